/**
 * DeepSeek-V3 MLA by hand: KV bytes per token and KV pool (latent replicated on every TP rank, sequences
 * sharded across DP-attention ranks), and one decode step on 8 × H200, TP 8 against DP-attention 8 + EP 8.
 * Roofline only, library defaults (calibration none, data/efficiency/defaults.json): memory at 0.8 × 4.8 TB/s
 * plus 3 µs per kernel, attention at 0.5 × 989 TFLOPS bf16.
 */
import { describe, expect, it } from "vitest";
import { bytesPerElement } from "../../lib/core/dtypes";
import { memoryPolicyOf, getEngine } from "../../lib/engine/profile";
import { getHardware } from "../../lib/hardware/registry";
import { loadModel } from "../../lib/model/registry";
import { memoryReport } from "../../lib/parallel/memory";
import { ParallelPlan, simplePlan } from "../../lib/parallel/plan";
import { estimate } from "../../lib/run/estimate";

const MODEL = "deepseek-ai/DeepSeek-V3";
const LAYERS = 61;
const LATENT = 512 + 64; // kv_lora_rank + qk_rope_head_dim
const TP8 = simplePlan({ tp: 8 });
const DP8 = simplePlan({ tp: 8, ep: 8, dpAttention: true });

describe("MLA KV cache: replicated under TP, sharded by sequence under DP-attention", () => {
  const ir = loadModel(MODEL);
  const hw = getHardware("h200");
  const policy = memoryPolicyOf(getEngine("sglang"));
  const tp = memoryReport(ir, hw, ParallelPlan.parse(TP8), ParallelPlan.parse(TP8).decode, policy);
  const dp = memoryReport(ir, hw, ParallelPlan.parse(DP8), ParallelPlan.parse(DP8).decode, policy);

  it("KV bytes per token per GPU = 576 × 61 layers × dtype bytes, whatever the TP", () => {
    // bf16: 576 × 61 × 2 = 70,272 B; every TP rank stores the whole latent (one shared "head").
    expect(tp.kvPerTokenPerGpu.value).toBe(70_272);
    expect(dp.kvPerTokenPerGpu.value).toBe(70_272);
    const tp4 = ParallelPlan.parse({ ...simplePlan({ tp: 4 }), kvCache: "fp8" });
    // fp8: 576 × 61 × 1 = 35,136 B at TP 4 too.
    expect(memoryReport(ir, hw, tp4, tp4.decode, policy).kvPerTokenPerGpu.value).toBe(LATENT * LAYERS);
  });

  it("KV pool: usable − weights − reserve; a TP-8 replica holds one GPU's pool of tokens, a DP-8 replica eight", () => {
    for (const m of [tp, dp]) {
      expect(m.kvPoolPerGpu.value).toBeCloseTo(m.usablePerGpu.value - m.weightsPerGpu.value - policy.runtimeReserveGb.value * 1e9, 0);
      expect(m.kvCapacityTokens.value).toBeCloseTo(m.kvPoolPerGpu.value / 70_272, 6);
    }
    // DP-attention keeps the whole attention block on every GPU. The TP-split attention parameters of one layer:
    // q_b 1536·128·192 + kv_b 512·128·(128 + 128) + o_proj 128·128·7168 = 37,748,736 + 16,777,216 + 117,440,512
    // = 171,966,464; under TP 8 a GPU holds 1/8, under DP all of it: 7/8 more, × 61 layers, in fp8-block bytes.
    // Experts (TP 8 vs EP 8), dense FFN (TP 8), embedding and head (8-way) are the same 1/8 either way.
    const extra = 61 * 171_966_464 * (7 / 8) * bytesPerElement("fp8-block");
    expect(dp.weightsPerGpu.value - tp.weightsPerGpu.value).toBeCloseTo(extra, -3);
    expect(tp.kvPoolPerGpu.value - dp.kvPoolPerGpu.value).toBeCloseTo(extra, -3);
    // Replica capacity as the simulator counts it (kvCapacityTokens × attention DP ranks).
    const replica = (m: typeof tp, plan: typeof TP8) => m.kvCapacityTokens.value * ParallelPlan.parse(plan).decode.attention.dp;
    expect(replica(tp, TP8)).toBeCloseTo(tp.kvPoolPerGpu.value / 70_272, 3);
    expect(replica(dp, DP8)).toBeCloseTo((8 * dp.kvPoolPerGpu.value) / 70_272, 3);
    // 8 × (pool − 9.18 GB of extra attention weights) / pool ≈ 6.3× the tokens of a TP-8 replica.
    expect(replica(dp, DP8) / replica(tp, TP8)).toBeCloseTo((8 * (tp.kvPoolPerGpu.value - extra)) / tp.kvPoolPerGpu.value, 9);
    expect(replica(dp, DP8) / replica(tp, TP8)).toBeGreaterThan(6);
  });
});

describe("a DeepSeek-V3 decode step on 8 × H200: TP 8 vs DP-attention 8 + EP 8 (batch 64, context 4096)", () => {
  const run = (plan: typeof TP8) => estimate({ model: MODEL, hardware: "h200", engine: "sglang", plan, phase: "decode", batch: 64, seqLen: 4096, useKernelTables: false, calibration: "none" });
  const tp = run(TP8);
  const dp = run(DP8);
  const op = (e: typeof tp, name: string) => e.step.ops.find((o) => o.op.name.startsWith(name))!;
  const BW = 4.8e12 * 0.8;
  const LAT = 3e-6;
  const ATTN = 989e12 * 0.5;

  it("absorbed MLA decode: TP 8 reads the latent of all 64 sequences per GPU and is memory-bound", () => {
    const core = op(tp, "attention_decode");
    // 16 heads per GPU; pairs = 64 × (4096 + 1); FLOPs = 2 · 16 · (576 + 512) · pairs = 9,129,033,728.
    expect(core.op.flops).toBeCloseTo(2 * 16 * 1088 * 64 * 4097, 0);
    // KV: (64·4096 read + 64 new) × 576 × 2 B = 302,063,616 B; activations: 64 tokens × 16 heads × 1088 × 2 B = 2,228,224 B.
    expect(core.op.kvBytes).toBe(302_063_616);
    expect(core.op.activationBytes).toBe(2_228_224);
    // memory 304,291,840 / 3.84e12 + 3 µs = 82.24 µs > compute 9.13e9 / 4.945e14 = 18.46 µs.
    expect(core.time.memory).toBeCloseTo(304_291_840 / BW + LAT, 9);
    expect(core.time.compute).toBeCloseTo(9_129_033_728 / ATTN, 9);
    expect(core.time.bound).toBe("memory");
  });

  it("with DP-attention each GPU serves 8 sequences with all 128 heads: the same FLOPs, 1/8 of the KV, compute-bound", () => {
    const core = op(dp, "attention_decode");
    // 2 · 128 · 1088 · (8 · 4097) = 9,129,033,728 FLOPs; KV (8·4096 + 8) × 576 × 2 = 37,757,952 B; activations 8 × 128 × 1088 × 2 = 2,228,224 B.
    expect(core.op.flops).toBeCloseTo(9_129_033_728, 0);
    expect(core.op.kvBytes).toBe(37_757_952);
    expect(core.time.memory).toBeCloseTo((37_757_952 + 2_228_224) / BW + LAT, 9); // 13.41 µs
    expect(core.time.compute).toBeCloseTo(9_129_033_728 / ATTN, 9); // 18.46 µs
    expect(core.time.bound).toBe("compute");
  });

  it("the absorbed BMMs and projections: per-GPU weights grow 8× for the TP-split projections under DP-attention", () => {
    // W_UK per head: 128 × 512; TP 8: 16 heads → 1,048,576 fp8 weights (1 B each; kv_b is fp8-block, the BMM runs in fp8).
    expect(op(tp, "w_uk_bmm").op.weightBytes).toBe(16 * 128 * 512);
    expect(op(dp, "w_uk_bmm").op.weightBytes).toBe(128 * 128 * 512);
    // o_proj: TP 8 reads 2048 × 7168 weights, DP 16384 × 7168 (fp8-block bytes each).
    const b = bytesPerElement("fp8-block");
    expect(op(tp, "o_proj").op.weightBytes).toBeCloseTo(2048 * 7168 * b, 3);
    expect(op(dp, "o_proj").op.weightBytes).toBeCloseTo(16384 * 7168 * b, 3);
    // The fused q_a + kv_a down-projection is replicated: 7168 × (1536 + 576) on every GPU either way; m = tokens on the GPU.
    expect(op(tp, "q_a+kv_a_proj").op.gemm).toMatchObject({ m: 64, n: 2112, k: 7168 });
    expect(op(dp, "q_a+kv_a_proj").op.gemm).toMatchObject({ m: 8, n: 2112, k: 7168 });
  });

  it("MoE exchange: TP 8 all-reduces the MoE output; DP 8 + EP 8 all-gathers the 64 tokens and reduce-scatters them (no all-to-all in SGLang's aggregated default)", () => {
    // 64 tokens × 7168 × 2 B = 917,504 B.
    expect(op(tp, "MoE output all-reduce").op.comm).toMatchObject({ op: "all_reduce", bytes: 917_504, gpus: 8 });
    expect(op(dp, "MoE token all-gather").op.comm).toMatchObject({ op: "all_gather", bytes: 917_504, gpus: 8 });
    expect(op(dp, "MoE output reduce-scatter").op.comm).toMatchObject({ op: "reduce_scatter", bytes: 917_504, gpus: 8 });
    // No attention all-reduce with one GPU per attention rank.
    expect(dp.step.ops.some((o) => o.op.name === "attention output all-reduce")).toBe(false);
  });

  it("routed experts: TP 8 splits every expert 8 ways on balanced ranks; EP 8 prices the busiest rank", () => {
    const t = op(tp, "experts").op.moe!;
    const d = op(dp, "experts").op.moe!;
    expect(t.imbalance).toBe(1);
    expect(d.imbalance).toBeGreaterThan(1); // power-law routing, data/cost/moe.json
    expect(d.tokens).toBeCloseTo(64 * d.imbalance, 9);
    // FLOPs on the busiest GPU: 2 · (tokens · imbalance · 8 / ep) · (3 · 2048 · 7168 / moe tp).
    expect(op(dp, "experts").op.flops).toBeCloseTo(2 * ((64 * d.imbalance * 8) / 8) * 3 * 2048 * 7168, -3);
    expect(op(tp, "experts").op.flops).toBeCloseTo(2 * 64 * 8 * ((3 * 2048 * 7168) / 8), -3);
  });

  it("the step: the MLA layers are faster with DP-attention (1/8 of the KV per GPU), the TP-split projections slower", () => {
    const layer = (e: typeof tp, t: string) => e.rows.find((r) => r.layerType === t)!;
    expect(layer(dp, "attention.mla").kvBytes).toBeCloseTo(layer(tp, "attention.mla").kvBytes / 8, -3);
    expect(layer(dp, "attention.mla").weightBytes).toBeGreaterThan(layer(tp, "attention.mla").weightBytes * 4);
    expect(op(dp, "attention_decode").time.seconds).toBeLessThan(op(tp, "attention_decode").time.seconds / 3);
  });
});
