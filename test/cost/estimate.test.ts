import { describe, expect, it } from "vitest";
import { causalPairs, decodeBatch, prefillBatch } from "../../lib/cost/batch";
import { expectedActiveExperts } from "../../lib/cost/moe";
import { explainText } from "../../lib/core/explain";
import { ParallelPlan, simplePlan } from "../../lib/parallel/plan";
import { validatePlan } from "../../lib/parallel/validate";
import { loadModel } from "../../lib/model/index";
import { estimate } from "../../lib/run/estimate";
import { collectiveTraffic } from "../../lib/cost/communication";

describe("batch statistics", () => {
  it("causal pairs of a 4-token prompt = 1+2+3+4 = 10; with window 2: 1+2+2+2 = 7", () => {
    expect(causalPairs(0, 4, null)).toBe(10);
    expect(causalPairs(0, 4, 2)).toBe(7);
    // A 3-token chunk after 5 cached tokens: 6 + 7 + 8 = 21 pairs.
    expect(causalPairs(5, 3, null)).toBe(21);
  });
  it("decode reads the cached context, capped by the window", () => {
    const b = decodeBatch(10, 1000, [null, 128]);
    expect(b.attention.full.kvRead).toBe(10_000);
    expect(b.attention["128"].kvRead).toBe(1280);
    expect(prefillBatch(2, 8, [null]).attention.full.pairs).toBe(72); // 2 × 8·9/2
  });
  it("expected distinct experts: 1 token picks exactly top-k; many tokens approach all experts", () => {
    expect(expectedActiveExperts(1, 4, 128)).toBeCloseTo(4, 10);
    expect(expectedActiveExperts(10_000, 4, 128)).toBeCloseTo(128, 6);
  });
});

describe("decode weight bytes of Llama-3.1-70B at TP=8 in FP8", () => {
  it("per GPU = (attention + MLP weights of 80 layers) / 8 in 1 B/param + the LM head slice", () => {
    const e = estimate({
      model: "meta-llama/Llama-3.1-70B-Instruct", hardware: "h100", engine: "vllm", useKernelTables: false,
      plan: simplePlan({ tp: 8, weights: { attention: "fp8", ffn: "fp8", lm_head: "bf16" } }),
      phase: "decode", batch: 1, seqLen: 1024,
    });
    // Per layer: q 8192·8192 + k,v 2·8192·1024 + o 8192·8192 = 150,994,944; MLP 3·8192·28672 = 704,643,072.
    // 80 layers × 855,638,016 params / 8 GPUs × 1 byte = 8,556,380,160 B.
    // LM head: 128256 · 8192 / 8 GPUs × 2 bytes (bf16) = 262,668,288 B.
    const layerBytes = (80 * (150_994_944 + 704_643_072)) / 8;
    const headBytes = (128256 * 8192 * 2) / 8;
    expect(e.totals.weightBytes.value).toBeCloseTo(layerBytes + headBytes, -1);
  });
});

describe("GPT-OSS-120B FLOPs per decode token", () => {
  it("≈ 2 × active GEMM parameters (excluding embedding) at batch 1, TP 1", () => {
    const e = estimate({ model: "openai/gpt-oss-120b", hardware: "b200", plan: simplePlan({ tp: 1 }), phase: "decode", batch: 1, seqLen: 1, useKernelTables: false });
    // Matmul parameters touched per token: per block q,k,v,o = 2880·(4096+512+512) + 4096·2880 = 26,542,080;
    // router 2880·128 = 368,640; 4 experts × (2880·5760 + 2880·2880) = 99,532,800. 36 blocks + LM head 201088·2880.
    const perBlock = 26_542_080 + 368_640 + 99_532_800;
    const gemm = 2 * (36 * perBlock + 201_088 * 2880);
    const row = e.rows.reduce((s, r) => s + r.gemmFlops, 0);
    expect(row).toBeCloseTo(gemm, -3);
    expect(gemm / 1e9).toBeCloseTo(10.26, 1); // ≈ 2 × 5.13B active parameters
  });
});

describe("explainability", () => {
  it("every headline number carries formula and inputs with provenance", () => {
    const e = estimate({ model: "openai/gpt-oss-120b", hardware: "b200", plan: simplePlan({ tp: 2 }), phase: "decode", batch: 64, seqLen: 2048, useKernelTables: false, calibration: "none" });
    const t = e.totals.tokensPerSecondPerGpu;
    expect(t.unit).toBe("tokens/s/GPU");
    expect(t.formula).toBe("tokens / step time / GPUs");
    expect(t.value).toBeCloseTo(64 / e.step.total / 2, 6);
    expect(explainText(t)).toMatch(/step_overhead = .* \[data: data\/engines\/vllm.json/);
  });
  it("a calibration profile replaces the defaults and is named, with calibration provenance", () => {
    const profile = {
      name: "test-profile", values: { memory_bandwidth: 0.9, step_overhead_ms: 2 },
    } as unknown as import("../../lib/calibration/profile").Calibration;
    profile.describe = () => "test";
    const e = estimate({ model: "openai/gpt-oss-120b", hardware: "b200", plan: simplePlan({ tp: 2 }), phase: "decode", batch: 8, seqLen: 512, useKernelTables: false, calibration: profile });
    expect(e.calibration).toBe("test-profile");
    expect(e.step.host).toBeCloseTo(0.002 + 8 * 5e-6, 9); // calibrated 2 ms + default 5 us × 8 sequences
    expect(explainText(e.totals.stepTime)).toMatch(/step_overhead = 0\.002 s  \[calibration:/);
  });

  it("roofline: a memory-bound decode step is bounded by memory, a long prefill by compute", () => {
    const d = estimate({ model: "meta-llama/Llama-3.1-8B", hardware: "h100", plan: simplePlan({ tp: 1 }), phase: "decode", batch: 1, seqLen: 128, useKernelTables: false });
    expect(d.rows.find((r) => r.layerType === "ffn.dense")!.bound).toBe("memory");
    const p = estimate({ model: "meta-llama/Llama-3.1-8B", hardware: "h100", plan: simplePlan({ tp: 1 }), phase: "prefill", batch: 4, seqLen: 4096, useKernelTables: false });
    expect(p.rows.find((r) => r.layerType === "ffn.dense")!.bound).toBe("compute");
  });
  it("a collective wider than one scale-up domain runs at scale-out speed", async () => {
    const { opTime } = await import("../../lib/step/roofline");
    const { getHardware } = await import("../../lib/hardware/registry");
    const { defaultEfficiency } = await import("../../lib/calibration/efficiency");
    const hw = getHardware("b200"); // 8-GPU NVLink domain
    const eff = defaultEfficiency();
    const op = (gpus: number) => ({ layerType: "t", layers: 1, name: "ar", kind: "comm" as const, flops: 0, weightBytes: 0, activationBytes: 0, kvBytes: 0, computeDtype: "bf16" as const, kernels: 0, formula: "", comm: { op: "all_reduce" as const, bytes: 1e8, gpus, scope: "scale_up" as const } });
    // 16 GPUs: latency_out + 1e8 B × 2·15/16 / (scale-out GB/s × 1e9 × comm efficiency).
    const out = hw.scale_out;
    const expected = out.latency_us.value / 1e6 + (1e8 * (2 * 15) / 16) / (out.bandwidth_gbps_unidir.value * 1e9 * eff.comm_bandwidth.value);
    expect(opTime(op(16), hw, eff, 0).comm).toBeCloseTo(expected, 12);
    // 8 GPUs stay on NVLink: far faster.
    expect(opTime(op(8), hw, eff, 0).comm).toBeLessThan(expected / 5);
  });
  it("routing skew: fewer distinct experts than uniform routing, and the roofline reads only their weights", async () => {
    const { activeExpertsUnder, expectedActiveExperts, MOE } = await import("../../lib/cost/moe");
    const { getHardware } = await import("../../lib/hardware/registry");
    const { defaultEfficiency, withFactors } = await import("../../lib/calibration/efficiency");
    // 2 experts, top-1, 2 tokens. Uniform: each expert is missed by both tokens with (1/2)² → 2·(1 − 1/4) = 1.5.
    expect(expectedActiveExperts(2, 1, 2)).toBeCloseTo(1.5, 12);
    expect(activeExpertsUnder(0, 2, 1, 2)).toBeCloseTo(1.5, 12);
    // Zipf exponent 1: popularity 1 : 1/2 → p = 2/3, 1/3; hit = (1 − (1/3)²) + (1 − (2/3)²) = 8/9 + 5/9 = 13/9.
    expect(activeExpertsUnder(1, 2, 1, 2)).toBeCloseTo(13 / 9, 12);
    // Many tokens: every expert is hit whatever the skew.
    expect(activeExpertsUnder(1, 10_000, 4, 128)).toBeCloseTo(128, 6);
    // The roofline's memory time scales with the experts hit: a memory-bound op of 1 GB of weights, 2 tokens, 2 experts, top-1.
    const hw = getHardware("b200");
    const op = { layerType: "t", layers: 1, name: "experts", kind: "moe" as const, flops: 0, weightBytes: 1e9, activationBytes: 0, kvBytes: 0, computeDtype: "bf16" as const, kernels: 0, formula: "", moe: { tokens: 2, hidden: 1, inter: 1, topk: 1, experts: 2, tp: 1, ep: 1, weightDtype: "bf16" as const, imbalance: 1 } };
    const eff = defaultEfficiency();
    const uniform = MOE.roofline(op, hw, eff).memory;
    const skewed = MOE.roofline(op, hw, withFactors(eff, { moe_routing_skew: 1 }, "override", "test")).memory;
    expect(skewed / uniform).toBeCloseTo(13 / 9 / 1.5, 12);
  });
  it("grouped expert GEMMs expose (1 − moe_overlap) of the shorter of compute and memory; other ops keep the ideal roofline", async () => {
    const { opTime } = await import("../../lib/step/roofline");
    const { getHardware } = await import("../../lib/hardware/registry");
    const { defaultEfficiency, withFactors } = await import("../../lib/calibration/efficiency");
    const hw = getHardware("b200");
    // 1 GFLOP in bf16 at moe_compute 0.5 of 2250 TFLOP/s: c = 1e9 / (2250e12 · 0.5) = 0.888… µs;
    // 1 MB of weights at memory_bandwidth 0.8 of 8 TB/s, + 3 µs memory latency: m = 1e6 / 6.4e12 + 3e-6 = 3.15625 µs.
    const eff = withFactors(defaultEfficiency(), { moe_compute: 0.5, memory_bandwidth: 0.8 }, "override", "test");
    const op = (kind: "moe" | "gemm") => ({ layerType: "t", layers: 1, name: "x", kind, flops: 1e9, weightBytes: 1e6, activationBytes: 0, kvBytes: 0, computeDtype: "bf16" as const, kernels: 0, formula: "" });
    const c = 1e9 / (hw.dense_tflops.bf16.value * 1e12 * 0.5);
    const m = 1e6 / (hw.memory.bandwidth_tbps.value * 1e12 * 0.8) + eff.memory_latency_us.value / 1e6;
    expect(m).toBeGreaterThan(c); // memory-bound, so the exposed part is the compute time
    // Default moe_overlap = 1: the ideal roofline max(c, m) = m.
    expect(opTime(op("moe"), hw, eff, 0).seconds).toBeCloseTo(m, 15);
    // moe_overlap 0.25: m + 0.75 · c.
    const partial = withFactors(eff, { moe_overlap: 0.25 }, "override", "test");
    expect(opTime(op("moe"), hw, partial, 0).seconds).toBeCloseTo(m + 0.75 * c, 15);
    // moe_overlap 0: compute + memory, no overlap.
    expect(opTime(op("moe"), hw, withFactors(eff, { moe_overlap: 0 }, "override", "test"), 0).seconds).toBeCloseTo(m + c, 15);
    // A dense GEMM ignores it (gemm_compute 0.7 by default: still memory-bound, time m).
    expect(opTime(op("gemm"), hw, partial, 0).seconds).toBeCloseTo(m, 15);
    // Out of its range [0, 1] it is refused, naming the factor.
    expect(() => withFactors(eff, { moe_overlap: 1.2 }, "override", "test")).toThrow(/moe_overlap/);
  });

  it("ring all-reduce moves 2(n−1)/n of the message per GPU", () => {
    expect(collectiveTraffic("all_reduce", 8)).toBeCloseTo(1.75, 10);
    expect(collectiveTraffic("all_gather", 4)).toBeCloseTo(0.75, 10);
    expect(collectiveTraffic("all_reduce", 1)).toBe(0);
  });
});

describe("plan validation reports every violation with its fix", () => {
  it("heads vs TP, experts vs EP, and mismatched stage sizes at once", () => {
    const ir = loadModel("openai/gpt-oss-120b");
    const plan = ParallelPlan.parse({
      prefill: { attention: { tp: 3 }, moe: { tp: 1, ep: 3 } },
      decode: { attention: { tp: 4 }, moe: { tp: 1, ep: 2 } },
    });
    const v = validatePlan(ir, plan);
    const msgs = v.map((x) => `${x.phase}:${x.field}`);
    expect(msgs).toEqual(expect.arrayContaining(["prefill:attention.tp", "prefill:moe.ep", "decode:moe"]));
    expect(v.every((x) => x.fix.length > 0)).toBe(true);
  });
  it("TP beyond the KV heads is a warning about replication", () => {
    const v = validatePlan(loadModel("meta-llama/Llama-3.1-8B"), ParallelPlan.parse(simplePlan({ tp: 16 })));
    expect(v.find((x) => x.field === "attention.tp")?.severity).toBe("warning");
  });
  it("a model that does not fit is an error naming memory", () => {
    const e = estimate({ model: "meta-llama/Llama-3.1-405B", hardware: "h100", plan: simplePlan({ tp: 1 }), phase: "decode", batch: 1, seqLen: 128, useKernelTables: false });
    expect(e.violations.find((x) => x.field === "memory")?.message).toMatch(/exceed usable memory/);
  });
  it("minimum GPUs: Llama-3.1-405B in bf16 on H100 needs 16 (TP 8 × PP 2); GPT-OSS-120B on B200 needs 1", () => {
    // 405.85e9 params × 2 B = 811.7 GB of weights; usable per H100 = 80 GB × 0.9 − 4 GB reserve = 68 GB,
    // so ≥ 12 GPUs; with power-of-two TP ≤ 8 per node and PP stages the first layout that fits is 8 × 2.
    const big = estimate({ model: "meta-llama/Llama-3.1-405B", hardware: "h100", plan: simplePlan({ tp: 8 }), phase: "decode", batch: 1, seqLen: 1024, useKernelTables: false, calibration: "none" });
    expect(big.minimumChips).toMatchObject({ chips: 16, tp: 8, pp: 2 });
    // GPT-OSS-120B: ~65 GB (MXFP4 experts, bf16 rest) < 180 GB × 0.9 − 4 GB on one B200.
    const small = estimate({ model: "openai/gpt-oss-120b", hardware: "b200", plan: simplePlan({ tp: 2 }), phase: "decode", batch: 1, seqLen: 1024, useKernelTables: false, calibration: "none" });
    expect(small.minimumChips?.chips).toBe(1);
  });

  it("bad plan input is a zod error naming the field", () => {
    expect(() => estimate({ model: "openai/gpt-oss-120b", hardware: "b200", plan: { prefill: { attention: { tp: 0 } }, decode: {} } as never, phase: "decode", batch: 1, seqLen: 1 })).toThrow(/prefill\.attention\.tp: attention\.tp must be ≥ 1/);
  });
});
