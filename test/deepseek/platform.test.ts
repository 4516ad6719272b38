/** Platforms without measured kernels: AMD's published GEMM efficiency, "uncalibrated" where nothing applies; kernels far above their roofline are flagged. */
import { describe, expect, it } from "vitest";
import { defaultEfficiency, withFactors } from "../../lib/calibration/efficiency";
import { gemmEfficiency } from "../../lib/cost/vendor-efficiency";
import { simplePlan } from "../../lib/parallel/plan";
import { estimate } from "../../lib/run/estimate";

describe("AMD GEMM efficiency from data/efficiency/amd.json", () => {
  it("MI355X: the published fraction of dense peak per dtype, unless a calibration sets gemm_compute", () => {
    const eff = defaultEfficiency();
    // 1489 / 2516.6 TFLOPS bf16, 3257 / 5033.2 fp8, 5255 / 10066.4 fp4 (Gluon GEMM tutorial, ROCm blog).
    expect(gemmEfficiency("mi355x", "bf16", eff)).toBe(0.5917);
    expect(gemmEfficiency("mi355x", "fp16", eff)).toBe(0.5917);
    expect(gemmEfficiency("mi355x", "fp8", eff)).toBe(0.6471);
    expect(gemmEfficiency("mi355x", "fp4", eff)).toBe(0.522);
    // No figure for MI300X or for int8: the default factor.
    expect(gemmEfficiency("mi300x", "bf16", eff)).toBe(eff.gemm_compute.value);
    expect(gemmEfficiency("mi355x", "int8", eff)).toBe(eff.gemm_compute.value);
    const cal = withFactors(eff, { gemm_compute: 0.4 }, "calibration", "test");
    expect(gemmEfficiency("mi355x", "fp8", cal)).toBe(0.4);
  });

  it("a prefill GEMM on MI355X without calibration runs at 0.6471 of the fp8 peak, and the prediction says why", () => {
    const e = estimate({ model: "deepseek-ai/DeepSeek-R1", hardware: "mi355x", engine: "sglang", plan: simplePlan({ tp: 8 }), phase: "prefill", batch: 4, seqLen: 4096, calibration: "none" });
    const gate = e.step.ops.find((o) => o.op.name === "gate_up_proj")!;
    // compute = 2·m·n·k / (5033.2e12 × 0.6471), m = 16384 tokens, n = 2 · 18432 / 8, k = 7168.
    expect(gate.time.compute).toBeCloseTo((2 * 16384 * ((2 * 18432) / 8) * 7168) / (5033.2e12 * 0.6471), 12);
    expect(e.assumptions.find((a) => a.what === "GEMM efficiency")?.value).toMatch(/fp8 0\.6471/);
    // AMD publishes GEMM figures only: MLA and MoE stay uncalibrated for SGLang on MI355X.
    expect(e.assumptions.find((a) => a.what === "kernel efficiency")?.why).toMatch(/attention \(incl\. MLA\) and MoE/);
    // The MI355X × ATOM profile (fitted on that hardware and engine) calibrates ATOM predictions.
    const atom = estimate({ model: "openai/gpt-oss-120b", hardware: "mi355x", engine: "atom", plan: simplePlan({ tp: 8 }), phase: "decode", batch: 8, seqLen: 1024 });
    expect(atom.assumptions.some((a) => a.value === "uncalibrated")).toBe(false);
  });

  it("MI300X has neither tables nor vendor figures nor a calibration fitted on it: uncalibrated", () => {
    const none = estimate({ model: "deepseek-ai/DeepSeek-R1", hardware: "mi300x", engine: "sglang", plan: simplePlan({ tp: 8 }), phase: "decode", batch: 8, seqLen: 1024, calibration: "none" });
    expect(none.assumptions.find((a) => a.what === "kernel efficiency")?.value).toBe("uncalibrated");
    // A transfer from another chip's profile does not calibrate MI300X either.
    const auto = estimate({ model: "deepseek-ai/DeepSeek-R1", hardware: "mi300x", engine: "sglang", plan: simplePlan({ tp: 8 }), phase: "decode", batch: 8, seqLen: 1024 });
    expect(auto.assumptions.find((a) => a.what === "kernel efficiency")?.why).toMatch(/transferred from the mi355x × atom profile/);
    // H200 has measured tables: nothing to say.
    const h200 = estimate({ model: "deepseek-ai/DeepSeek-R1", hardware: "h200", engine: "sglang", plan: simplePlan({ tp: 8 }), phase: "decode", batch: 8, seqLen: 1024 });
    expect(h200.assumptions.some((a) => a.what === "kernel efficiency" || a.what === "GEMM efficiency")).toBe(false);
  });
});

describe("a measured kernel more than 10× its roofline bound is flagged", () => {
  it("vLLM's fp8-block GEMM table prices DeepSeek-R1's small decode projections at ~80 µs on H200: flagged in the estimate", () => {
    const e = estimate({ model: "deepseek-ai/DeepSeek-R1", hardware: "h200", engine: "vllm", plan: simplePlan({ tp: 8 }), phase: "decode", batch: 64, seqLen: 4096 });
    const q = e.step.ops.find((o) => o.op.name === "q_b_proj")!;
    // q_b: 1536 × 3072 fp8-block weights = 4.72 MB; at 0.9352 × 4.8 TB/s (calibrated) + 3 µs ≈ 4.2 µs; the table says ~83 µs.
    expect(q.time.rooflineRatio!).toBeGreaterThan(10);
    const flags = e.assumptions.filter((a) => a.what === "kernel time > 10× roofline");
    expect(flags.some((f) => f.value.startsWith("attention.mla/q_b_proj"))).toBe(true);
    expect(e.violations.some((v) => v.field === "kernel time" && v.severity === "warning")).toBe(true);
    // SGLang's tables for the same shapes are within the bound.
    const s = estimate({ model: "deepseek-ai/DeepSeek-R1", hardware: "h200", engine: "sglang", plan: simplePlan({ tp: 8 }), phase: "decode", batch: 64, seqLen: 4096 });
    expect(s.assumptions.some((a) => a.what === "kernel time > 10× roofline")).toBe(false);
  });
});
