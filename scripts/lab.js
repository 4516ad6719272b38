#!/usr/bin/env node
/*
 * `npm run lab`: the live notebook workbench. Installs what is missing (scripts/setup.js: npm
 * packages, Debian's jupyter-notebook, python3-ipykernel and chromium, the "tslab" kernel spec),
 * starts a Jupyter Notebook server on 127.0.0.1 with the checkout as its root and a fresh token,
 * prints the URL, and on Ctrl-C (SIGINT), SIGTERM or SIGHUP stops it: the server shuts its kernels
 * down, and any process it started that is still running after a grace period (a kernel, the
 * kernel's headless Chromium) is stopped by its id. Plain Node with no dependencies.
 *
 *   npm run lab [-- --port N] [--root DIR] [--no-setup]
 *
 * Other systems: `pip install notebook nbconvert nbclient ipykernel`, then `npm run lab -- --no-setup`.
 * The first line on stdout is the URL with its token; progress goes to stderr.
 */
"use strict";
const { spawn } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const http = require("http");
const net = require("net");
const path = require("path");
const setup = require("./setup");
const proc = require("./proc");

const APT_PACKAGES = ["jupyter-notebook", "python3-ipykernel", "chromium"];
const PIP_HINT = "pip install notebook nbconvert nbclient ipykernel, and a Chromium at /usr/bin/chromium or named by MANTILE_CHROMIUM";
const HOST = "127.0.0.1";
/** Bytes of randomness in the access token (hex-encoded: twice as many characters). */
const TOKEN_BYTES = 24;
/** How long the server may take to answer /api/status after it starts. */
const STARTUP_TIMEOUT_MS = 60_000;
const POLL_MS = 250;
/**
 * How long the server may take to stop after SIGTERM: it asks each kernel to shut down and kills
 * those that do not within jupyter_client's shutdown_wait_time (5 s by default), so 20 s covers a few.
 */
const SHUTDOWN_GRACE_MS = 20_000;
/** After the server has gone, how long its leftover processes get between SIGTERM and SIGKILL. */
const LEFTOVER_GRACE_MS = 3_000;
/** The notebook linked next to the tree URL. */
const FIRST_NOTEBOOK = "notebooks/00_your_benchmark.ipynb";

function usage(msg) {
  process.stderr.write(`${msg}\nusage: node scripts/lab.js [--port N] [--root DIR] [--no-setup]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { port: 0, root: setup.ROOT, setup: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === "--port") o.port = Number(val());
    else if (a === "--root") o.root = path.resolve(val());
    else if (a === "--no-setup") o.setup = false;
    else if (a === "--") continue;
    else if (a === "-h" || a === "--help") usage("Start Jupyter Notebook on 127.0.0.1 with the tslab kernel; Ctrl-C stops it.");
    else usage(`unknown option ${a}`);
  }
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) usage("--port must be a TCP port number (0 = any free port)");
  if (!fs.existsSync(o.root)) usage(`--root: directory not found: ${o.root}`);
  return o;
}

/** A free TCP port on 127.0.0.1 (the OS picks one; the server binds it right after). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Major version of the installed notebook package (6: classic NotebookApp; 7+: jupyter_server). */
function notebookMajor(python) {
  const r = setup.quiet(python, ["-c", "import notebook; print(notebook.__version__)"]);
  if (r.status !== 0) return null;
  return Number(r.stdout.trim().split(".")[0]);
}

function serverArgs(major, port, root, token) {
  const app = major >= 7 ? "ServerApp" : "NotebookApp";
  const rootFlag = major >= 7 ? `--ServerApp.root_dir=${root}` : `--notebook-dir=${root}`;
  const args = ["-m", "notebook", "--no-browser", `--ip=${HOST}`, `--port=${port}`, "--port-retries=0", rootFlag, `--${app}.token=${token}`];
  // Jupyter refuses to run as root unless told (containers and CI often are root).
  if (typeof process.getuid === "function" && process.getuid() === 0) args.push("--allow-root");
  return args;
}

/** Resolves true once GET /api/status answers 200, false if `stillRunning()` turns false or time runs out. */
async function waitReady(port, token, stillRunning) {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  const status = () =>
    new Promise((resolve) => {
      const req = http.get({ host: HOST, port, path: `/api/status?token=${token}`, timeout: POLL_MS * 4 }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on("error", () => resolve(0));
      req.on("timeout", () => {
        req.destroy();
        resolve(0);
      });
    });
  while (Date.now() < deadline && stillRunning()) {
    if ((await status()) === 200) return true;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return false;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitGone(procs, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && procs.some(proc.isAlive)) await sleep(POLL_MS);
  return procs.filter(proc.isAlive);
}

function signal(p, sig) {
  try {
    process.kill(p.pid, sig);
  } catch {
    /* already gone */
  }
}

async function main() {
  setup.setLogTag("lab");
  const o = parseArgs(process.argv.slice(2));
  if (o.setup) {
    setup.checkNode();
    setup.ensureNodeModules();
    setup.ensureSystemPackages(APT_PACKAGES, PIP_HINT);
    setup.ensureKernelSpec();
  }
  const python = fs.existsSync(setup.PYTHON) ? setup.PYTHON : setup.which("python3");
  const major = python ? notebookMajor(python) : null;
  if (!major) setup.fail(`no Jupyter Notebook for ${python || "python3"}: run without --no-setup (Debian), or ${PIP_HINT}`);
  const port = o.port || (await freePort());
  const token = crypto.randomBytes(TOKEN_BYTES).toString("hex");
  // Own process group: a Ctrl-C in the terminal reaches this script only, which then stops the
  // server itself (Notebook 6 would otherwise ask "Shutdown this notebook server (y/[n])?").
  const server = spawn(python, serverArgs(major, port, o.root, token), {
    cwd: o.root,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const serverId = { pid: server.pid, start: (proc.identify(server.pid) || {}).start };
  let exited = null;
  server.on("exit", (code, sig) => (exited = { code, sig }));
  server.stdout.on("data", (d) => process.stderr.write(d));
  server.stderr.on("data", (d) => process.stderr.write(d));

  let stopping = null;
  const stop = (why) => {
    stopping ??= (async () => {
      setup.say(`${why}: stopping the Jupyter server (pid ${server.pid})`);
      const tree = proc.descendants(server.pid);
      if (exited === null) signal(serverId, "SIGTERM");
      const left = await waitGone([serverId, ...tree].filter((p) => p.start !== undefined), SHUTDOWN_GRACE_MS);
      for (const p of left) {
        setup.say(`still running after ${SHUTDOWN_GRACE_MS / 1000} s, stopping it: ${proc.describe(p)}`);
        signal(p, "SIGTERM");
      }
      for (const p of await waitGone(left, LEFTOVER_GRACE_MS)) signal(p, "SIGKILL");
      setup.say(`stopped (${tree.length} process(es) it had started are gone)`);
    })();
    return stopping;
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => stop(sig).then(() => process.exit(0)));

  const ready = await waitReady(port, token, () => exited === null);
  if (!ready) {
    await stop(exited ? `the server exited (code ${exited.code})` : `no answer within ${STARTUP_TIMEOUT_MS / 1000} s`);
    setup.fail("the Jupyter server did not start (see its log above)");
  }
  const base = `http://${HOST}:${port}`;
  process.stdout.write(`${base}/tree?token=${token}\n`);
  setup.say(`Jupyter Notebook ${major} serving ${o.root} with the TypeScript (tslab) kernel`);
  setup.say(`open ${base}/notebooks/${FIRST_NOTEBOOK}?token=${token}`);
  setup.say("Ctrl-C stops the server and its kernels");
  server.on("exit", () => {
    if (!stopping) stop(`the server exited by itself (code ${exited && exited.code})`).then(() => process.exit(1));
  });
}

main().catch((e) => {
  process.stderr.write(`[lab] ${e && e.stack ? e.stack : String(e)}\n`);
  process.exit(1);
});
