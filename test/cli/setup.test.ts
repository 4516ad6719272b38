/**
 * A fresh machine: `npm test` and `npm start` both set up what they need first, `npm ci` accepts the lock
 * file, and package.json names the Node versions supported. The full fresh-clone run (it installs every
 * package, minutes) is opt-in: MANTILE_FRESH_CLONE=1 npx vitest run test/cli/setup.test.ts
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));

function run(cmd: string, args: string[], cwd: string): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, out }));
  });
}

describe("setup on a fresh machine", () => {
  it("npm test runs the setup of npm start before it type-checks; both commands work first", () => {
    expect(pkg.scripts.start).toBe("node scripts/start.js");
    // npm runs `pretest` before `test`: the same setup, then the type-check needs node_modules/.bin/tsc.
    expect(pkg.scripts.pretest).toBe("node scripts/start.js --setup-only");
    expect(pkg.scripts.test.startsWith("npm run typecheck")).toBe(true);
  });

  it("package.json names Node 20 and 22, and this Node is one of them", () => {
    expect(pkg.engines.node).toBe("^20.0.0 || ^22.0.0");
    expect(["20", "22"]).toContain(process.versions.node.split(".")[0]);
  });

  it("scripts/start.js --setup-only finds everything in place and exits 0", async () => {
    const r = await run("node", ["scripts/start.js", "--setup-only"], ROOT);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/node_modules: ok/);
    expect(r.out).toMatch(/setup done in/);
  });

  it("npm ci accepts package.json with package-lock.json (dry run)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-lock-"));
    for (const f of ["package.json", "package-lock.json"]) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    const r = await run("npm", ["ci", "--dry-run", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"], dir);
    expect(r.out).not.toMatch(/npm error/);
    expect(r.status).toBe(0);
  });

  it.skipIf(!process.env.MANTILE_FRESH_CLONE)("a fresh clone: `npm test` as the first command sets up, type-checks and tests", async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-fresh-"));
    const clone = path.join(base, "mantile");
    expect(spawnSync("git", ["clone", "-q", ROOT, clone]).status).toBe(0);
    fs.symlinkSync(path.resolve(ROOT, "..", "shared"), path.join(base, "shared")); // the project expects ../shared
    const r = await run("npm", ["test", "--", "test/reconcile/limits.test.ts"], clone);
    expect(r.out).toMatch(/\[start\] setup done in/);
    expect(r.out).toMatch(/tsc --noEmit -p tsconfig\.json && tsc --noEmit -p tsconfig\.notebook\.json/);
    expect(r.out).toMatch(/Tests\s+4 passed/);
    expect(r.status).toBe(0);
  }, 1_800_000);
});
