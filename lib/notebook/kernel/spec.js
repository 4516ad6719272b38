/*
 * The Jupyter kernel spec "tslab" that Mantile uses: kernel.json + launch.js (see launch.js for
 * why a launcher). Plain CommonJS so scripts/start.js can use it before anything is installed.
 */
"use strict";
const fs = require("fs");
const path = require("path");

const KERNEL_NAME = "tslab";
const LAUNCHER = path.join(__dirname, "launch.js");

/** kernel.json for a spec directory; `node` is the Node binary to run (absolute path). */
function kernelJson(node) {
  return {
    argv: [node, "{resource_dir}/launch.js", "kernel", "--config-path", "{connection_file}"],
    display_name: "TypeScript",
    language: "typescript",
    metadata: { mantile_launcher: true },
  };
}

/** True when `dir` holds this exact spec (same launcher text, same node). */
function isCurrent(dir, node = process.execPath) {
  try {
    const kj = JSON.parse(fs.readFileSync(path.join(dir, "kernel.json"), "utf8"));
    const launch = fs.readFileSync(path.join(dir, "launch.js"), "utf8");
    return JSON.stringify(kj) === JSON.stringify(kernelJson(node)) && launch === fs.readFileSync(LAUNCHER, "utf8");
  } catch {
    return false;
  }
}

/** Write the spec into `dir` (…/kernels/tslab). Returns true if anything changed. */
function writeKernelSpec(dir, node = process.execPath) {
  if (isCurrent(dir, node)) return false;
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(LAUNCHER, path.join(dir, "launch.js"));
  fs.writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(kernelJson(node), null, 1) + "\n");
  return true;
}

module.exports = { KERNEL_NAME, LAUNCHER, kernelJson, isCurrent, writeKernelSpec };
