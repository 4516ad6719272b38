#!/usr/bin/env node
// Entry point of the `mantile` CLI: registers tsx so the TypeScript library runs without a build step.
const { register } = require("tsx/cjs/api");
register();
require("../lib/cli/main.ts")
  .main(process.argv.slice(2))
  .then((code) => process.exit(code ?? 0))
  .catch((err) => {
    process.stderr.write(`mantile: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(1);
  });
