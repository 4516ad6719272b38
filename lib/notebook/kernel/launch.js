#!/usr/bin/env node
/*
 * Mantile's launcher for the tslab Jupyter kernel (installed by `npm start` as the kernel spec
 * "tslab": kernel.json runs `node {resource_dir}/launch.js kernel --config-path ...`).
 *
 * Why: tslab type-checks each cell together with the local .ts files it imports, with the
 * kernel's working directory as TypeScript's rootDir, so a notebook started in notebooks/ cannot
 * import ../lib ("File ... is not under 'rootDir'"). When the notebook lives inside a Mantile
 * checkout, this launcher starts tslab from the checkout's root instead; notebooks then import
 * `./lib/...` and read files relative to the root. Anywhere else it behaves like plain tslab.
 */
"use strict";
const fs = require("fs");
const path = require("path");

const MAIN = ["node_modules", "tslab", "dist", "main.js"];

function* ancestors(dir) {
  for (;;) {
    yield dir;
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

function isMantileRoot(dir) {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    return pkg.name === "mantile" && fs.existsSync(path.join(dir, ...MAIN));
  } catch {
    return false;
  }
}

function findTslab() {
  const cwd = process.cwd();
  for (const dir of ancestors(cwd)) {
    if (isMantileRoot(dir)) {
      process.chdir(dir);
      return path.join(dir, ...MAIN);
    }
  }
  for (const dir of ancestors(cwd)) {
    if (path.basename(dir) !== "node_modules" && fs.existsSync(path.join(dir, ...MAIN))) return path.join(dir, ...MAIN);
  }
  try {
    return require.resolve("tslab/dist/main.js");
  } catch {
    return null;
  }
}

const main = findTslab();
if (!main) {
  process.stderr.write("mantile kernel launcher: no tslab found (run `npm ci` in the Mantile checkout)\n");
  process.exit(1);
}
require(main).main();
