/*
 * Processes by id, from Linux's /proc: the descendants of a process and whether one is still
 * running. Used by scripts/lab.js to make sure stopping the Jupyter server leaves no kernel (or the
 * kernel's headless Chromium) behind, and by its test to check it. A process is identified by its
 * pid AND its start time, so a pid reused by an unrelated process is never taken for ours.
 * Elsewhere than Linux these return nothing (the server's own shutdown is then all there is).
 */
"use strict";
const fs = require("fs");

const PROC = "/proc";

/** { ppid, start, state } of one process, or null if it is gone (or /proc is absent). */
function stat(pid) {
  let text;
  try {
    text = fs.readFileSync(`${PROC}/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // "pid (comm) state ppid … starttime …": comm may hold spaces and parentheses, so split after the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // Fields after comm, from 0: state (field 3 of proc(5)), ppid (4), …, starttime (22).
  const STATE = 0;
  const PPID = 1;
  const STARTTIME = 19;
  return { state: fields[STATE], ppid: Number(fields[PPID]), start: fields[STARTTIME] };
}

function allPids() {
  try {
    return fs.readdirSync(PROC).filter((d) => /^\d+$/.test(d)).map(Number);
  } catch {
    return [];
  }
}

/** Every process below `pid` (children, grandchildren, …) as { pid, start }. */
function descendants(pid) {
  const children = new Map();
  for (const p of allPids()) {
    const s = stat(p);
    if (!s) continue;
    if (!children.has(s.ppid)) children.set(s.ppid, []);
    children.get(s.ppid).push({ pid: p, start: s.start });
  }
  const out = [];
  const queue = [...(children.get(pid) || [])];
  while (queue.length) {
    const p = queue.shift();
    out.push(p);
    queue.push(...(children.get(p.pid) || []));
  }
  return out;
}

/** The { pid, start } of a process, to check later that it is gone. */
function identify(pid) {
  const s = stat(pid);
  return s ? { pid, start: s.start } : null;
}

/** True while the process (same pid, same start time) runs; a zombie counts as gone. */
function isAlive(p) {
  const s = stat(p.pid);
  return s !== null && s.start === p.start && s.state !== "Z";
}

/** Short description of a process for messages: pid and command line. */
function describe(p) {
  try {
    const cmd = fs.readFileSync(`${PROC}/${p.pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    return `${p.pid} (${cmd.slice(0, 120)})`;
  } catch {
    return String(p.pid);
  }
}

module.exports = { descendants, identify, isAlive, describe };
