import { beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../lib/core/validate";
import { getHardware } from "../../lib/hardware/registry";
import { precisionsFor, replicasFor, sizeDeployment, tableRows, TABLE_COLUMNS, type SizingResult } from "../../lib/sizing/search";

const LLAMA8 = "meta-llama/Llama-3.1-8B-Instruct";
// Short runs: the point of these tests is the search logic, not the precision of the rate.
const SMALL = { minRequests: 150, minSpanSec: 20, minSpanE2E: 10 };
// Uncalibrated, so results do not move when calibration profiles are added to data/calibration.
const NONE = "none" as const;

describe("infeasible without simulating", () => {
  it("a model that does not fit at any TP: Llama-3.1-405B on L40S", () => {
    // By hand: 405.9e9 parameters; even with fp8 linear weights (1 byte each) split over TP 8 a GPU
    // holds ≥ 405e9 / 8 = 50.7 GB, more than the usable 0.9 × 48 GB = 43.2 GB of an L40S
    // (vLLM gpu_memory_utilization 0.9), before the 4 GB runtime reserve and any KV cache.
    // bf16 (2 bytes) is twice that. So every TP ∈ {1, 2, 4, 8} × {bf16, fp8} fails the memory check.
    const r = sizeDeployment({ model: "meta-llama/Llama-3.1-405B-Instruct", hardware: "L40S", isl: 5000, osl: 500, ttftBudgetSec: 3 });
    expect(r.feasible).toBe(false);
    expect(r.reason).toMatch(/^the weights do not fit at any TP ≤ 8 \(bf16\/fp8\)/);
    expect(r.reason).toMatch(/even at TP 8 fp8/); // the smallest footprint is named
    expect(r.candidates).toHaveLength(8);
    expect(r.candidates.every((c) => c.reasonKind === "memory")).toBe(true);
    const tp8fp8 = r.candidates.find((c) => c.tp === 8 && c.precision === "fp8")!;
    expect(tp8fp8.weightsGbPerGpu).toBeGreaterThan(50.7);
    expect(r.simulations).toBe(0);
    expect(r.gpusForTarget).toBeNaN();
  });

  it("a budget below the single-request prefill time: Llama-3.1-8B on A10G at 0.1 s", () => {
    // By hand: the linear layers of Llama-3.1-8B hold 32 × (2·4096² + 2·4096·1024 + 3·4096·14336)
    // = 32 × 218.1e6 = 6.98e9 weights, so a 5000-token prefill is ≥ 2 · 6.98e9 · 5000 = 6.98e13 FLOP
    // (attention comes on top). A10G: 70 dense bf16 TFLOPS and no fp8. Even at TP 8 and 100% of peak,
    // prefill ≥ 6.98e13 / (8 · 70e12) = 0.125 s > 0.1 s: over budget at every TP, one request alone.
    const r = sizeDeployment({ model: LLAMA8, hardware: "A10G", isl: 5000, osl: 16, ttftBudgetSec: 0.1 });
    expect(r.feasible).toBe(false);
    expect(r.reason).toMatch(/^TTFT over budget even for one request at every TP\/precision: best single-request TTFT/);
    expect(r.candidates.map((c) => `${c.tp}${c.precision}`)).toEqual(["1bf16", "2bf16", "4bf16", "8bf16"]);
    expect(r.candidates.every((c) => c.reasonKind === "single")).toBe(true);
    expect(r.bestSingleTtft).toBeGreaterThan(0.125);
    // One single-request simulation per candidate, no rate search.
    expect(r.simulations).toBe(4);
    expect(r.trials.every((t) => t.stage === "single")).toBe(true);
  });

  it("a TP that does not divide the heads is a candidate with the plan's reason", () => {
    // Llama-3.1-8B has 32 query heads and 8 KV heads: 32 % 3 ≠ 0.
    const r = sizeDeployment({ model: LLAMA8, hardware: "H100 SXM", isl: 100, osl: 10, ttftBudgetSec: 1, tps: [3], precisions: ["bf16"] });
    expect(r.feasible).toBe(false);
    expect(r.candidates[0].reasonKind).toBe("plan");
    expect(r.candidates[0].reason).toMatch(/32 attention heads do not split over tp=3/);
    expect(r.reason).toMatch(/no valid TP split/);
  });
});

describe("precision and candidates", () => {
  it("fp8 only where the GPU has fp8 tensor cores (dense_tflops.fp8)", () => {
    expect(precisionsFor(getHardware("H100 SXM"))).toEqual(["bf16", "fp8"]);
    expect(precisionsFor(getHardware("L40S"))).toEqual(["bf16", "fp8"]);
    expect(precisionsFor(getHardware("A100 SXM"))).toEqual(["bf16"]);
    expect(precisionsFor(getHardware("A10G"))).toEqual(["bf16"]);
    expect(() => sizeDeployment({ model: LLAMA8, hardware: "A100 SXM", isl: 100, osl: 10, ttftBudgetSec: 1, precisions: ["fp8"] })).toThrow(/precision fp8: a100-sxm has no fp8 tensor cores/);
  });
});

describe("rate search", () => {
  // One small configuration at three budgets: 1000-token prompts, 64 output tokens, TP 1 bf16.
  const budgets = [0.05, 0.1, 0.2];
  let results: SizingResult[] = [];
  beforeAll(() => {
    results = budgets.map((b) => sizeDeployment({ model: LLAMA8, hardware: "H100 SXM", isl: 1000, osl: 64, ttftBudgetSec: b, tps: [1], precisions: ["bf16"], settings: SMALL, calibration: NONE }));
  });

  it("a looser budget never gives fewer requests/s per GPU", () => {
    for (const r of results) expect(r.feasible).toBe(true);
    for (let i = 1; i < results.length; i++) expect(results[i].rpsPerGpu).toBeGreaterThanOrEqual(results[i - 1].rpsPerGpu);
  });

  it("the chosen rate meets the budget and keeps up; the next rate tried above it does not (2% bracket)", () => {
    for (const r of results) {
      const best = r.best!.best!;
      expect(best.ttft).toBeLessThanOrEqual(r.ttftBudgetSec);
      expect(best.keepUp).toBeGreaterThanOrEqual(0.97);
      const above = r.trials.filter((t) => t.stage === "rate" && t.rate > best.rate);
      expect(above.length).toBeGreaterThan(0);
      expect(above.every((t) => !t.feasible)).toBe(true);
      expect(Math.min(...above.map((t) => t.rate)) / best.rate).toBeLessThanOrEqual(1.02 + 1e-9);
      // Little's law: requests in the system = λ · mean E2E.
      expect(best.concurrency).toBeCloseTo(best.rate * best.e2eMean, 9);
    }
  });

  it("GPUs for the target = ceil(target / λ per replica) replicas × TP", () => {
    // Definition: a replica serves λ req/s on TP GPUs, so rps/GPU = λ / TP and the target needs
    // ceil(target / λ) whole replicas = ceil(target / (rps/GPU · TP)) · TP GPUs.
    expect(replicasFor(10, 2.11)).toBe(5); // 10 / 2.11 = 4.74 → 5 replicas (× TP 4 = 20 GPUs)
    expect(replicasFor(10, 2.5)).toBe(4); // exactly 4, not 5 through floating point
    expect(replicasFor(10, 40)).toBe(1); // one replica is the minimum
    for (const r of results) {
      const c = r.best!;
      expect(r.rpsPerGpu).toBe(c.rate / c.tp);
      expect(r.replicas).toBe(Math.ceil(10 / c.rate));
      expect(r.gpusForTarget).toBe(r.replicas * c.tp);
    }
  });

  it("with no TTFT limit the rate is capped by prefill throughput (keep-up check)", () => {
    // By hand: each request's 2000-token prompt needs p seconds of prefill (the single-request
    // prefill, or a share of a full 8192-token step: the candidate's prefillSec). Prefill is
    // compute-bound, so a replica cannot finish more than 1/p prompts per second whatever the queue:
    // above that rate the queue grows without bound, which only the keep-up criterion can catch when
    // the budget is 1000 s. 8 output tokens ride along in the prefill steps, so the answer sits just
    // below 1/p.
    const r = sizeDeployment({ model: LLAMA8, hardware: "H100 SXM", isl: 2000, osl: 8, ttftBudgetSec: 1000, tps: [1], precisions: ["bf16"], settings: SMALL, calibration: NONE });
    const c = r.best!;
    expect(c.rate * c.prefillSec).toBeLessThanOrEqual(1.02);
    expect(c.rate * c.prefillSec).toBeGreaterThan(0.8);
    expect(r.trials.some((t) => t.stage === "rate" && /does not keep up/.test(t.reason) && t.ttft <= 1000)).toBe(true);
  });

  it("the search table has every trial, one chosen row", () => {
    const rows = tableRows(results[0]);
    expect(Object.keys(rows[0])).toEqual([...TABLE_COLUMNS]);
    expect(rows.length).toBe(results[0].trials.length);
    expect(rows.filter((x) => x.chosen)).toHaveLength(1);
    expect(rows[0].stage).toBe("single");
  });
});

describe("bad input names the field", () => {
  it("negative budget, zero lengths, unknown GPU, unknown statistic", () => {
    const base = { model: LLAMA8, hardware: "H100 SXM", isl: 100, osl: 10, ttftBudgetSec: 1 };
    expect(() => sizeDeployment({ ...base, ttftBudgetSec: -1 })).toThrow(InputError);
    expect(() => sizeDeployment({ ...base, ttftBudgetSec: -1 })).toThrow(/ttft budget \(seconds\) must be a number > 0 \(got "-1"\)/);
    expect(() => sizeDeployment({ ...base, isl: 0 })).toThrow(/isl \(input tokens\) must be a whole number ≥ 1/);
    expect(() => sizeDeployment({ ...base, hardware: "TPU v9" })).toThrow(/unknown hardware "TPU v9"/);
    expect(() => sizeDeployment({ ...base, ttftStat: "p50" as never })).toThrow(/ttft statistic must be one of mean, p90, p99/);
    expect(() => sizeDeployment({ ...base, tps: [16] })).toThrow(/tp: none of 16 fits one node of 8/);
  });
});
