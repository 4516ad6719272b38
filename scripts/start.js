#!/usr/bin/env node
/*
 * `npm start`: install whatever is missing, then run every notebook headless and build the HTML
 * reports (scripts/notebooks.ts). Plain Node with no dependencies, so it runs on a fresh clone.
 *
 *   node scripts/start.js                  set up, then run all notebooks
 *   node scripts/start.js -- 02            set up, then run the notebooks matching "02"
 *   node scripts/start.js --setup-only     set up only (used by .ci/run)
 *
 * Setup, each step skipped when already done:
 *   1. `npm ci` when node_modules (or a package the notebooks need) is missing;
 *   2. Debian packages jupyter-nbconvert, python3-nbclient, python3-ipykernel and chromium via
 *      apt-get (needs root or password-less sudo; otherwise says what to install);
 *   3. the Jupyter kernel spec "tslab" (TypeScript), registered for interactive Jupyter; see
 *      lib/notebook/kernel/launch.js for why it is Mantile's launcher around tslab.
 * Progress goes to stderr.
 */
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const APT_PACKAGES = ["jupyter-nbconvert", "python3-nbclient", "python3-ipykernel", "chromium"];
const PYTHON = "/usr/bin/python3";

function say(msg) {
  process.stderr.write(`[start] ${msg}\n`);
}

function fail(msg) {
  say(`error: ${msg}`);
  process.exit(1);
}

/** Run a command with its output on our stderr; returns the exit status. */
function run(cmd, args, opts = {}) {
  say(`$ ${[cmd, ...args].join(" ")}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ["ignore", 2, 2], ...opts });
  if (r.error) return { status: -1, error: r.error };
  return { status: r.status };
}

function quiet(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts });
}

function which(cmd) {
  const r = quiet("sh", ["-c", `command -v ${cmd}`]);
  return r.status === 0 ? r.stdout.trim() : null;
}

function checkNode() {
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 20) fail(`Node ${process.versions.node} is too old: Mantile needs Node 20 or newer`);
}

function ensureNodeModules() {
  const needed = ["tslab", "tsx", "playwright-core", "plotly.js-dist", "vitest", "typescript"].filter(
    (p) => !fs.existsSync(path.join(ROOT, "node_modules", p, "package.json")),
  );
  if (needed.length === 0) {
    say("node_modules: ok");
    return;
  }
  say(`node_modules: missing ${needed.join(", ")}; installing`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  if (run(npm, ["ci", "--no-audit", "--no-fund"]).status === 0) return;
  // `npm ci` refuses a package-lock.json that is out of sync with package.json; install anyway
  // so setup and CI can go on, and say that the lock file needs regenerating.
  say("`npm ci` failed; trying `npm install` (if the lock file is out of sync, commit the updated package-lock.json)");
  if (run(npm, ["install", "--no-audit", "--no-fund"]).status !== 0) fail("`npm install` failed (see above)");
}

function dpkgInstalled(pkg) {
  const r = quiet("dpkg-query", ["-W", "-f=${Status}", pkg]);
  return r.status === 0 && /install ok installed/.test(r.stdout);
}

/** What is missing, judged by what the tools need (works without dpkg too). */
function missingSystemPackages() {
  const haveDpkg = which("dpkg-query") !== null;
  const py = fs.existsSync(PYTHON) ? PYTHON : which("python3");
  const canImport = (mod) => py !== null && quiet(py, ["-c", `import ${mod}`]).status === 0;
  // One interpreter for the usual case (everything present): each start of python3 with Jupyter costs seconds.
  const all = canImport("nbconvert, nbclient, ipykernel, jupyter_client");
  const checks = {
    "jupyter-nbconvert": () => all || canImport("nbconvert"),
    "python3-nbclient": () => all || canImport("nbclient"),
    "python3-ipykernel": () => all || (canImport("ipykernel") && canImport("jupyter_client")),
    chromium: () => fs.existsSync("/usr/bin/chromium") || (haveDpkg && dpkgInstalled("chromium")),
  };
  return APT_PACKAGES.filter((p) => !checks[p]());
}

function ensureSystemPackages() {
  const missing = missingSystemPackages();
  if (missing.length === 0) {
    say(`system packages: ok (${APT_PACKAGES.join(", ")})`);
    return;
  }
  say(`system packages: missing ${missing.join(", ")}`);
  const apt = which("apt-get");
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const sudo = !isRoot && which("sudo") && quiet("sudo", ["-n", "true"]).status === 0 ? ["sudo", "-n"] : null;
  if (!apt || (!isRoot && !sudo)) {
    fail(
      `cannot install ${missing.join(", ")}: ${apt ? "not root and no password-less sudo" : "apt-get not found"}.\n` +
        `  Install them as root:  apt-get update && apt-get install -y ${missing.join(" ")}\n` +
        "  (on other systems: Jupyter's nbconvert, nbclient and ipykernel for python3, and a Chromium " +
        "binary at /usr/bin/chromium or named by MANTILE_CHROMIUM)",
    );
  }
  const pre = sudo ?? [];
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const exec = (args) => (pre.length ? run(pre[0], [...pre.slice(1), ...args], { env }) : run(args[0], args.slice(1), { env }));
  if (exec(["apt-get", "update"]).status !== 0) fail("`apt-get update` failed (see above)");
  if (exec(["apt-get", "install", "-y", ...missing]).status !== 0) fail(`\`apt-get install ${missing.join(" ")}\` failed`);
  const still = missingSystemPackages();
  if (still.length) fail(`still missing after apt-get: ${still.join(", ")}`);
  say("system packages: installed");
}

/** Kernel spec directories Jupyter knows, by name (asks jupyter_client). */
function findKernelSpecs() {
  const code = "import json\nfrom jupyter_client.kernelspec import KernelSpecManager\nprint(json.dumps(KernelSpecManager().find_kernel_specs()))";
  const r = quiet(PYTHON, ["-c", code]);
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout.trim().split("\n").pop());
  } catch {
    return null;
  }
}

function ensureKernelSpec() {
  const spec = require(path.join(ROOT, "lib", "notebook", "kernel", "spec.js"));
  const specs = findKernelSpecs() || {};
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const fallback = isRoot
    ? "/usr/local/share/jupyter/kernels/tslab"
    : path.join(os.homedir(), ".local", "share", "jupyter", "kernels", "tslab");
  const dir = specs[spec.KERNEL_NAME] || fallback;
  if (spec.isCurrent(dir)) {
    say(`kernel spec "tslab": ok (${dir})`);
    return;
  }
  try {
    spec.writeKernelSpec(dir);
  } catch (e) {
    fail(`cannot write the kernel spec to ${dir}: ${e.message}`);
  }
  say(`kernel spec "tslab": ${specs[spec.KERNEL_NAME] ? "updated" : "installed"} in ${dir} (TypeScript via tslab, started from the checkout root)`);
}

function main() {
  const argv = process.argv.slice(2);
  const setupOnly = argv.includes("--setup-only");
  const rest = argv.filter((a) => a !== "--setup-only" && a !== "--");
  const t0 = Date.now();
  checkNode();
  ensureNodeModules();
  ensureSystemPackages();
  ensureKernelSpec();
  say(`setup done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (setupOnly) return 0;
  const tsx = path.join(ROOT, "node_modules", ".bin", process.platform === "win32" ? "tsx.cmd" : "tsx");
  say("running the notebooks (scripts/notebooks.ts)");
  const r = spawnSync(tsx, [path.join(ROOT, "scripts", "notebooks.ts"), ...rest], { cwd: ROOT, stdio: "inherit" });
  if (r.error) fail(`cannot run tsx: ${r.error.message}`);
  return r.status === null ? 1 : r.status;
}

if (require.main === module) process.exit(main());

module.exports = { missingSystemPackages, findKernelSpecs };
