/*
 * Setting up what Mantile's scripts need, each step skipped when already done. Plain Node with no
 * dependencies, so it runs on a fresh clone. Shared by `npm start` (scripts/start.js) and
 * `npm run lab` (scripts/lab.js).
 *
 *   checkNode()                      Node 20 or newer
 *   ensureNodeModules()              `npm ci` (or `npm install`) when a package the scripts need is missing
 *   ensureSystemPackages(pkgs)       Debian packages via apt-get (root or password-less sudo), judged
 *                                    by what the tools import, so it also works without dpkg
 *   ensureKernelSpec()               the Jupyter kernel spec "tslab" (lib/notebook/kernel/*)
 * Progress goes to stderr, prefixed with the tag given to setLogTag().
 */
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
/** Debian's Python: the Jupyter packages are installed for it (a pyenv or venv python3 may not see them). */
const PYTHON = "/usr/bin/python3";
/** Oldest Node the project supports (package.json engines, tsx and vitest need it). */
const MIN_NODE_MAJOR = 20;
/** npm packages whose absence means node_modules must be (re)installed. */
const NEEDED_NODE_PACKAGES = ["tslab", "tsx", "playwright-core", "plotly.js-dist", "vitest", "typescript"];

let tag = "setup";
function setLogTag(t) {
  tag = t;
}

function say(msg) {
  process.stderr.write(`[${tag}] ${msg}\n`);
}

function fail(msg) {
  say(`error: ${msg}`);
  process.exit(1);
}

/** Run a command with its output on our stderr; returns { status }. */
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

function isRoot() {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function checkNode() {
  const major = Number(process.versions.node.split(".")[0]);
  if (major < MIN_NODE_MAJOR) fail(`Node ${process.versions.node} is too old: Mantile needs Node ${MIN_NODE_MAJOR} or newer`);
}

function ensureNodeModules() {
  const needed = NEEDED_NODE_PACKAGES.filter((p) => !fs.existsSync(path.join(ROOT, "node_modules", p, "package.json")));
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

function pythonPath() {
  return fs.existsSync(PYTHON) ? PYTHON : which("python3");
}

/** How each Debian package is judged present: by what it provides, not by dpkg alone. */
function packageChecks() {
  const py = pythonPath();
  const canImport = (mod) => py !== null && quiet(py, ["-c", `import ${mod}`]).status === 0;
  const haveDpkg = which("dpkg-query") !== null;
  // One interpreter for the usual case (everything present): each start of python3 with Jupyter costs seconds.
  let all;
  const allJupyter = () => (all === undefined ? (all = canImport("nbconvert, nbclient, ipykernel, jupyter_client")) : all);
  return {
    "jupyter-nbconvert": () => allJupyter() || canImport("nbconvert"),
    "python3-nbclient": () => allJupyter() || canImport("nbclient"),
    "python3-ipykernel": () => allJupyter() || (canImport("ipykernel") && canImport("jupyter_client")),
    // Debian bookworm ships the classic Notebook 6 server (python3-notebook) as jupyter-notebook.
    "jupyter-notebook": () => canImport("notebook"),
    chromium: () => fs.existsSync("/usr/bin/chromium") || (haveDpkg && dpkgInstalled("chromium")),
  };
}

/** The packages of `pkgs` that are missing. */
function missingSystemPackages(pkgs) {
  const checks = packageChecks();
  return pkgs.filter((p) => {
    if (!checks[p]) throw new Error(`setup.js: no check for Debian package "${p}"`);
    return !checks[p]();
  });
}

/**
 * Install the Debian packages of `pkgs` that are missing. `pipHint` names the equivalent for systems
 * without apt (said when apt-get cannot be used).
 */
function ensureSystemPackages(pkgs, pipHint) {
  const missing = missingSystemPackages(pkgs);
  if (missing.length === 0) {
    say(`system packages: ok (${pkgs.join(", ")})`);
    return;
  }
  say(`system packages: missing ${missing.join(", ")}`);
  const apt = which("apt-get");
  const sudo = !isRoot() && which("sudo") && quiet("sudo", ["-n", "true"]).status === 0 ? ["sudo", "-n"] : null;
  if (!apt || (!isRoot() && !sudo)) {
    fail(
      `cannot install ${missing.join(", ")}: ${apt ? "not root and no password-less sudo" : "apt-get not found"}.\n` +
        `  Install them as root:  apt-get update && apt-get install -y ${missing.join(" ")}\n` +
        `  (on other systems: ${pipHint})`,
    );
  }
  const pre = sudo || [];
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const exec = (args) => (pre.length ? run(pre[0], [...pre.slice(1), ...args], { env }) : run(args[0], args.slice(1), { env }));
  if (exec(["apt-get", "update"]).status !== 0) fail("`apt-get update` failed (see above)");
  if (exec(["apt-get", "install", "-y", ...missing]).status !== 0) fail(`\`apt-get install ${missing.join(" ")}\` failed`);
  const still = missingSystemPackages(pkgs);
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

/** Register (or update) the kernel spec "tslab" where Jupyter finds it; returns its directory. */
function ensureKernelSpec() {
  const spec = require(path.join(ROOT, "lib", "notebook", "kernel", "spec.js"));
  const specs = findKernelSpecs() || {};
  const fallback = isRoot()
    ? "/usr/local/share/jupyter/kernels/tslab"
    : path.join(os.homedir(), ".local", "share", "jupyter", "kernels", "tslab");
  const dir = specs[spec.KERNEL_NAME] || fallback;
  if (spec.isCurrent(dir)) {
    say(`kernel spec "tslab": ok (${dir})`);
    return dir;
  }
  try {
    spec.writeKernelSpec(dir);
  } catch (e) {
    fail(`cannot write the kernel spec to ${dir}: ${e.message}`);
  }
  say(`kernel spec "tslab": ${specs[spec.KERNEL_NAME] ? "updated" : "installed"} in ${dir} (TypeScript via tslab, started from the checkout root)`);
  return dir;
}

module.exports = {
  ROOT,
  PYTHON,
  setLogTag,
  say,
  fail,
  run,
  quiet,
  which,
  checkNode,
  ensureNodeModules,
  missingSystemPackages,
  ensureSystemPackages,
  findKernelSpecs,
  ensureKernelSpec,
};
