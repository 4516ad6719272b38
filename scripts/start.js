#!/usr/bin/env node
/*
 * `npm start`: install whatever is missing, then run every notebook headless and build the HTML
 * reports (scripts/notebooks.ts). Plain Node with no dependencies, so it runs on a fresh clone.
 *
 *   node scripts/start.js                  set up, then run all notebooks
 *   node scripts/start.js -- 02            set up, then run the notebooks matching "02"
 *   node scripts/start.js --setup-only     set up only (used by .ci/run)
 *
 * Setup (scripts/setup.js), each step skipped when already done:
 *   1. `npm ci` when node_modules (or a package the notebooks need) is missing;
 *   2. Debian packages jupyter-nbconvert, python3-nbclient, python3-ipykernel and chromium via
 *      apt-get (needs root or password-less sudo; otherwise says what to install);
 *   3. the Jupyter kernel spec "tslab" (TypeScript), registered for interactive Jupyter; see
 *      lib/notebook/kernel/launch.js for why it is Mantile's launcher around tslab.
 * Progress goes to stderr.
 */
"use strict";
const { spawnSync } = require("child_process");
const path = require("path");
const setup = require("./setup");

const APT_PACKAGES = ["jupyter-nbconvert", "python3-nbclient", "python3-ipykernel", "chromium"];
const PIP_HINT =
  "pip install nbconvert nbclient ipykernel for python3, and a Chromium binary at /usr/bin/chromium or named by MANTILE_CHROMIUM";

function main() {
  setup.setLogTag("start");
  const argv = process.argv.slice(2);
  const setupOnly = argv.includes("--setup-only");
  const rest = argv.filter((a) => a !== "--setup-only" && a !== "--");
  const t0 = Date.now();
  setup.checkNode();
  setup.ensureNodeModules();
  setup.ensureSystemPackages(APT_PACKAGES, PIP_HINT);
  setup.ensureKernelSpec();
  setup.say(`setup done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (setupOnly) return 0;
  const tsx = path.join(setup.ROOT, "node_modules", ".bin", process.platform === "win32" ? "tsx.cmd" : "tsx");
  setup.say("running the notebooks (scripts/notebooks.ts)");
  const r = spawnSync(tsx, [path.join(setup.ROOT, "scripts", "notebooks.ts"), ...rest], { cwd: setup.ROOT, stdio: "inherit" });
  if (r.error) setup.fail(`cannot run tsx: ${r.error.message}`);
  return r.status === null ? 1 : r.status;
}

if (require.main === module) process.exit(main());

module.exports = { APT_PACKAGES, missingSystemPackages: () => setup.missingSystemPackages(APT_PACKAGES), findKernelSpecs: setup.findKernelSpecs };
