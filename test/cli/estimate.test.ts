import { execFileSync, spawnSync } from "child_process";
import * as path from "path";
import { describe, expect, it } from "vitest";

const BIN = path.resolve(__dirname, "../../bin/mantile.js");

describe("mantile estimate (real process)", () => {
  it("prints a table per layer type and a total", () => {
    const out = execFileSync("node", [BIN, "estimate", "--model", "openai/gpt-oss-120b", "--hardware", "b200", "--tp", "2", "--phase", "decode", "--batch", "64", "--context", "2048"], { encoding: "utf8", cwd: "/" });
    expect(out).toMatch(/attention\.sliding128\s+18/);
    expect(out).toMatch(/moe\s+36/);
    expect(out).toMatch(/^total/m);
    expect(out).toMatch(/tokens\/s\/GPU/);
  });
  it("--json prints the explainable result", () => {
    const out = execFileSync("node", [BIN, "estimate", "--model", "openai/gpt-oss-120b", "--hardware", "b200-trt", "--tp", "1", "--json"], { encoding: "utf8" });
    const j = JSON.parse(out);
    expect(j.hardware).toBe("b200");
    expect(j.totals.stepTime.formula).toMatch(/host overhead/);
  });
  it("errors go to stderr with a non-zero exit", () => {
    const r = spawnSync("node", [BIN, "estimate", "--model", "openai/gpt-oss-120b", "--hardware", "tpu-v9"], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown hardware "tpu-v9"/);
    expect(r.stdout).toBe("");
    const r2 = spawnSync("node", [BIN, "estimate", "--model", "openai/gpt-oss-120b", "--hardware", "b200", "--phase", "both"], { encoding: "utf8" });
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/--phase must be prefill or decode/);
  });
});
