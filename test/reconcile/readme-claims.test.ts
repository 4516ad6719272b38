/**
 * The README's claims about the library, pinned: the analytic steady state agrees with the simulator
 * on throughput, and calibration transfer picks the profiles the README names.
 */
import * as path from "path";
import { describe, expect, it } from "vitest";
import { calibrationFor, clearCalibrationCache } from "../../lib/calibration/transfer";
import { readCsv } from "../../lib/core/csv";
import { PROJECT_ROOT } from "../../lib/core/paths";
import { mean } from "../../lib/core/stats";
import { predictConfig, predictSteadyState } from "../../lib/reconcile/predict";
import { ConfigRow } from "../../lib/reconcile/standard";

const AGG = path.join(PROJECT_ROOT, "reconcile/by_model/openai_GPT-OSS-120B/inferencemax_aggregated.csv");

describe("README: the analytic steady state is within 2% of the simulator on throughput", () => {
  it("mean |steady − simulated| / simulated throughput < 2% over single-pool rows of every platform", () => {
    // Every 6th single-pool configuration (deterministic sample across hardware, engines, ISL/OSL, concurrency).
    const rows = readCsv(AGG).rows.filter((r) => r.disagg !== "true").filter((_, i) => i % 6 === 0);
    expect(rows.length).toBeGreaterThan(20);
    const gaps = rows.map((raw) => {
      const row = ConfigRow.parse(raw);
      const sim = predictConfig(row).throughputPerGpu;
      const steady = predictSteadyState(row).throughputPerGpu;
      return Math.abs(steady / sim - 1);
    });
    expect(mean(gaps)).toBeLessThan(0.02);
  }, 120_000);
});

describe("README: calibration transfer picks the documented profile", () => {
  it("GB200 Dynamo + TensorRT-LLM takes the B200 TensorRT-LLM profile (no GB200 fit of its own)", () => {
    clearCalibrationCache();
    const c = calibrationFor("gb200", "dynamo-trt");
    // Nearest hardware to GB200 among fitted profiles: B200 (same vendor, same HBM bandwidth and bf16 peak);
    // nearest engine to dynamo-trt: trtllm (its family, data/policy/calibration.json).
    expect(c?.name).toBe("b200-trtllm → gb200/dynamo-trt");
  });

  it("a hardware × engine with its own profile uses it; an AMD chip without one takes MI355X's efficiency", () => {
    expect(calibrationFor("b200", "vllm")?.name).toBe("b200-vllm");
    // MI300X: same vendor as MI355X (distance ≤ 3) beats every NVIDIA profile (other-vendor distance 10);
    // engine overheads for sglang from its family on the same vendor: ATOM (rank 2, AMD) before vLLM (rank 1,
    // fitted on NVIDIA: + engine_other_vendor 10), so both come from the MI355X ATOM profile.
    const amd = calibrationFor("mi300x", "sglang");
    expect(amd?.name).toBe("mi355x-atom → mi300x/sglang");
  });
});
