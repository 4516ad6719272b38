import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { CALIBRATION_PARAMETERS } from "../../lib/calibration/parameters";
import { loadCalibration } from "../../lib/calibration/profile";
import { kFolds, nelderMead } from "../../lib/reconcile/fit";

const BIN = path.resolve(__dirname, "../../bin/mantile.js");
const DATA = path.resolve(__dirname, "../../reconcile/by_model/openai_GPT-OSS-120B/inferencemax.csv");

describe("fitting machinery", () => {
  it("Nelder–Mead finds the minimum of (x − 3)² + 2(y + 1)² at (3, −1)", () => {
    const r = nelderMead(([x, y]) => (x - 3) ** 2 + 2 * (y + 1) ** 2, [0, 0], 1, 400);
    expect(r.x[0]).toBeCloseTo(3, 3);
    expect(r.x[1]).toBeCloseTo(-1, 3);
    expect(r.fx).toBeLessThan(1e-6);
  });
  it("k-fold splits every item into exactly one fold", () => {
    const items = Array.from({ length: 23 }, (_, i) => i);
    const folds = kFolds(items, 5);
    expect(folds).toHaveLength(5);
    expect(folds.flat().sort((a, b) => a - b)).toEqual(items);
  });
});

describe("mantile calibrate (real process, tiny fit)", () => {
  it("writes a versioned profile with bounded parameters, uncertainty and held-out errors, and an out-of-fold CSV", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cal-"));
    const out = path.join(dir, "b200-vllm.json");
    const r = spawnSync("node", [BIN, "calibrate", "--data", DATA, "--profile", "b200/vllm", "--out", out, "--limit", "4", "--max-evals", "8", "--cv-evals", "4", "--folds", "2", "--params", "memory_bandwidth,step_overhead_ms"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const c = loadCalibration(out);
    expect(c.file.schema).toBe("mantile.calibration/v1");
    expect(c.file.hardware).toBe("b200");
    expect(c.file.engine).toBe("vllm");
    expect(c.file.data.configurations).toBe(4);
    for (const [k, v] of Object.entries(c.file.parameters)) {
      const b = CALIBRATION_PARAMETERS[k as keyof typeof CALIBRATION_PARAMETERS];
      expect(v.value).toBeGreaterThanOrEqual(b.min);
      expect(v.value).toBeLessThanOrEqual(b.max);
      // Bounds recorded as the policy gives them, and an uncertainty: a standard error (≥ 0) or null when
      // the loss is flat along the parameter (not identified).
      expect([v.min, v.max]).toEqual([b.min, b.max]);
      expect(v.sd === null || (typeof v.sd === "number" && v.sd >= 0)).toBe(true);
    }
    expect(Object.values(c.file.parameters).some((v) => v.sd !== null)).toBe(true);
    // Held-out errors: the k-fold MAPE of every metric, on the configurations fitted.
    for (const m of ["throughput_mape", "ttft_mape", "tpot_mape", "e2e_mape"]) expect(c.file.cross_validation["2-fold"][m]).toBeGreaterThanOrEqual(0);
    expect(Object.keys(c.file.parameters).sort()).toEqual(["memory_bandwidth", "step_overhead_ms"]);
    expect(c.file.cross_validation["2-fold"].rows).toBe(4);
    expect(fs.readFileSync(path.join(dir, "b200-vllm.out-of-fold.csv"), "utf8").split("\n")[0]).toMatch(/oof_throughput/);
  }, 120_000);

  it("more than 6 parameters, an unknown parameter, or a bad profile are clear errors", () => {
    const r = spawnSync("node", [BIN, "calibrate", "--data", DATA, "--profile", "b200/vllm", "--out", "/tmp/x.json", "--params", "speed_of_light"], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown parameter "speed_of_light"/);
    const r2 = spawnSync("node", [BIN, "calibrate", "--data", DATA, "--profile", "b200", "--out", "/tmp/x.json"], { encoding: "utf8" });
    expect(r2.stderr).toMatch(/--profile must be HARDWARE\/ENGINE/);
  });

  it("an old profile schema is refused with the fix", () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cal-")), "old.json");
    fs.writeFileSync(f, JSON.stringify({ schema: "mantile.calibration/v0", name: "x" }));
    expect(() => loadCalibration(f)).toThrow(/schema "mantile.calibration\/v0" is not supported.*re-run mantile calibrate/);
  });
});
