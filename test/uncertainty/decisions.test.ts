/**
 * Decisions that use the interval, and the places that carry it: sizing at a confidence, the audit's
 * width attribution, bundles that reproduce their intervals, run comparison.
 */
import { describe, expect, it } from "vitest";
import { auditPinned } from "../../lib/audit/index";
import { exportBundle, predictBundle } from "../../lib/bundle/bundle";
import { compareRuns, comparisonTable, runRecord } from "../../lib/bundle/compare";
import { pinRow, resolvePinned } from "../../lib/bundle/run";
import { InputError } from "../../lib/core/validate";
import { ConfigRow } from "../../lib/reconcile/standard";
import { resolveRun } from "../../lib/run/resolve";
import { simplePlan } from "../../lib/parallel/plan";
import { sizeDeployment } from "../../lib/sizing/search";
import { confidenceMargin, predictionIntervals } from "../../lib/uncertainty/interval";
import { logQuantile, loadWidths } from "../../lib/uncertainty/widths";

const B200_VLLM = { model: "openai/gpt-oss-120b", gpu_model: "b200", framework: "vllm", precision: "fp4", input_seq_len: "1024", output_seq_len: "256", tensor_parallel: "2", expert_parallel: "1", dp_attention: "false", concurrency: "8" };
const H200_TRT = { model: "meta-llama/Llama-3.1-8B", gpu_model: "NVIDIA H200 SXM 141GB", framework: "trtllm", precision: "fp8", input_seq_len: "128", output_seq_len: "128", tensor_parallel: "1", request_rate: "inf", num_requests: "200", engine_version: "0.17" };

describe("mantile size --confidence", () => {
  // Llama-3.1-8B on A10G, 5000-token prompts, 0.1 s budget: infeasible from the single-request screen alone
  // (test/sizing/search.test.ts derives why), so the search costs 4 one-request simulations.
  const req = { model: "meta-llama/Llama-3.1-8B-Instruct", hardware: "A10G", isl: 5000, osl: 16, ttftBudgetSec: 0.1, calibration: "none" as const };

  it("holds the predicted TTFT to budget ÷ the measured margin at that confidence, and says so", () => {
    const r = sizeDeployment({ ...req, confidence: 0.9 });
    // The margin: exp(p90 of ln(actual/predicted) TTFT residuals) for this request's basis under an open loop.
    const run = resolveRun({ model: req.model, hardware: "A10G", aggregated: { plan: simplePlan({ tp: 1 }), workers: 1 }, calibration: "none" });
    const m = confidenceMargin(run, "ttft", 0.9, "open");
    expect(m.factor.value).toBeCloseTo(Math.exp(logQuantile(m.width, 0.9)), 12);
    expect(r.confidence!.factor).toBe(m.factor.value);
    expect(r.confidence!.effectiveBudgetSec).toBeCloseTo(0.1 / m.factor.value, 12);
    expect(r.ttftBudgetSec).toBe(0.1);
    expect(r.confidence!.basis).toMatch(/^no calibration/);
    expect(r.assumptions.find((a) => a.what === "confidence")!.value).toMatch(/predicted TTFT held to 0\.1 \/ [\d.]+ = [\d.]+ s/);
    expect(r.simulations).toBe(4);
  });

  it("refuses a confidence the widths cannot give", () => {
    expect(() => sizeDeployment({ ...req, confidence: 0.99 })).toThrow(InputError);
    expect(() => sizeDeployment({ ...req, confidence: 0.99 })).toThrow(/confidence must be between 0\.5 and 0\.95/);
  });
});

describe("audit", () => {
  it("a request like the fit: intervals, and no distance widening them", () => {
    const log = auditPinned(pinRow(ConfigRow.parse(B200_VLLM)), { impacts: false });
    expect(log.interval!.basis).toMatch(/^fitted profile b200-vllm/);
    expect(log.interval!.metrics.map((m) => m.metric)).toEqual(["throughput/GPU", "output throughput/GPU", "TTFT", "TPOT", "E2E"]);
    expect(log.interval!.contributions).toEqual([]);
    expect(log.interval!.largest).toBeNull();
  });

  it("a transfer: names the distance whose closing narrows the interval most", () => {
    const log = auditPinned(pinRow(ConfigRow.parse(H200_TRT)), { impacts: false });
    const c = log.interval!.contributions;
    expect(c.length).toBeGreaterThan(0);
    // Every distance of this transfer that is not the nearest: another chip, an engine of another family, a model family
    // and a load mode the fit never saw (kernel tables exist for h200 × TensorRT-LLM).
    expect(c.map((x) => x.dimension).sort()).toEqual(["engine", "hardware", "load", "model"]);
    // Sorted by share, largest first; the audit names the first.
    for (let i = 1; i < c.length; i++) expect(c[i - 1].share).toBeGreaterThanOrEqual(c[i].share);
    expect(log.interval!.largest).toContain(c[0].assumption);
  });
});

describe("bundles and run comparison", () => {
  it("a bundle pins its intervals and reproduces them exactly; an older bundle without them still predicts", () => {
    const p = pinRow(ConfigRow.parse(B200_VLLM));
    const b = exportBundle(p);
    const iv = b.intervals!;
    expect(iv.basis).toMatch(/^fitted profile b200-vllm/);
    // The bound is the prediction times exp(the pinned quantile).
    expect(iv.metrics.throughput.low).toBeCloseTo(b.prediction.throughput_per_gpu * Math.exp(iv.metrics.throughput.low_ln_ratio), 9);
    const r = predictBundle(b);
    expect(r.reproduced).toBe(true);
    expect(r.intervals!.bounds.ttft).toEqual({ low: iv.metrics.ttft.low, high: iv.metrics.ttft.high });
    const { intervals: _drop, ...old } = b;
    const r2 = predictBundle(old as typeof b);
    expect(r2.reproduced).toBe(true);
    expect(r2.intervals).toBeUndefined();
  });

  it("the comparison shows each run's interval and basis", () => {
    const a = runRecord(pinRow(ConfigRow.parse(B200_VLLM), { label: "A" }));
    const b = runRecord(pinRow(ConfigRow.parse({ ...B200_VLLM, tensor_parallel: "4" }), { label: "B" }));
    const c = compareRuns(a, b);
    const tput = c.metrics.find((m) => m.key === "throughputPerGpu")!;
    expect(tput.aRange!.low).toBeLessThan(tput.a);
    expect(tput.aRange!.high).toBeGreaterThan(tput.a);
    expect(c.basis!.a).toMatch(/^fitted profile b200-vllm/);
    expect(comparisonTable(c)).toMatch(/80% intervals: A fitted profile b200-vllm/);
    // The same interval as a prediction of that run gives.
    const direct = predictionIntervals(resolvePinned(pinRow(ConfigRow.parse(B200_VLLM))), { throughput: tput.a, output_throughput: NaN, ttft: NaN, tpot: NaN, e2e: NaN });
    expect(tput.aRange!.low).toBeCloseTo(direct.metrics.throughput!.low.value, 9);
    expect(loadWidths()).not.toBeNull();
  });
});
