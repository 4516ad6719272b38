import { describe, expect, it } from "vitest";
import {
  contextMlaWork,
  generationMlaWork,
  LATENT_DIM,
  mlaBmmWork,
  mlaGenerationModuleWork,
  mlaModuleParams,
} from "../../lib/kernels/ops-mla";
import { rooflineParts } from "../../lib/kernels/work";
import { PEAKS, syntheticBuild } from "./helpers";

// DeepSeek-V3 geometry: nope 128 + rope 64 = 192 per head for decompressed q·k, v 128;
// latent 512 + rope 64 = 576 per token, of which 512 serve as the absorbed v.
describe("MLA work model (hand-derived)", () => {
  it("the cached latent is 576 values per token", () => {
    // kv_lora_rank 512 + qk_rope_head_dim 64; KV bytes per token and layer: 1152 (bf16), 576 (fp8).
    expect(LATENT_DIM).toBe(576);
  });

  const ctx = { attn_dtype: "bf16", kv_dtype: "bf16", heads: 2, batch: 2, isl: 4 };

  it("context MLA on decompressed K/V, one K/V head per query head (TRT-LLM `mha`)", () => {
    // Causal pairs per sequence 4·5/2 = 10, × 2 sequences = 20.
    // FLOPs = 2 FLOPs/MAC · 2 heads · 20 pairs · (192 for q·k + 128 for p·v) = 25,600.
    // Bytes per token: q in + o out 2 heads·(192 + 128)·2 B = 1280; k and v 2 heads·320·2 B = 1280;
    // latent written to the cache 576·2 B = 1152 -> 3712 per token, × 8 tokens = 29,696.
    const w = contextMlaWork({ ...ctx, form: "mha" });
    expect(w).toEqual({ flops: 25_600, bytes: 29_696, compute: "bf16" });
  });

  it("context MLA with one shared decompressed K/V head (SGLang trtllm_mla `mqa`)", () => {
    // Same FLOPs; k and v are one head: 320·2 B = 640 per token -> (1280 + 640 + 1152)·8 = 24,576.
    expect(contextMlaWork({ ...ctx, form: "mqa" })).toEqual({ flops: 25_600, bytes: 24_576, compute: "bf16" });
  });

  it("context MLA in the latent space (SGLang fa3 on Hopper, `absorbed`)", () => {
    // FLOPs = 2 · 2 heads · 20 pairs · (576 + 512) = 87,040.
    // Bytes per token: q/o 2 heads·(576 + 512)·2 B = 4352; latent as K/V 576·2 = 1152; cache write 1152
    // -> 6656 per token, × 8 = 53,248.
    expect(contextMlaWork({ ...ctx, form: "absorbed" })).toEqual({ flops: 87_040, bytes: 53_248, compute: "bf16" });
  });

  it("generation MLA reads the latent once per sequence for all heads", () => {
    // 3 sequences, 100 tokens attended, 4 heads, fp8 KV:
    // FLOPs = 2 · 3 · 4 · 100 · (576 + 512) = 2,611,200.
    // Bytes = 3 · (100·576·1 B latent + 4 heads·(576 q + 512 o)·2 B) = 3 · (57,600 + 8,704) = 198,912.
    const w = generationMlaWork({ kv_dtype: "fp8", heads: 4, batch: 3, kv_len: 100 });
    expect(w).toEqual({ flops: 2_611_200, bytes: 198_912, compute: "fp8" });
  });

  it("absorbed BMMs: q_nope·W_UK and o·W_UV", () => {
    // 8 tokens, 16 heads, fp8 weights: FLOPs = 2 · 8 · 16 · 128 · 512 = 16,777,216.
    // W: 16·128·512·1 B = 1,048,576; activations 8·16·(128 + 512)·2 B = 163,840 -> 1,212,416.
    const pre = mlaBmmWork({ op: "pre", dtype: "fp8", heads: 16, tokens: 8 });
    expect(pre).toEqual({ flops: 16_777_216, bytes: 1_212_416, compute: "fp8" });
    // post moves [t, 512] -> [t, 128]: the same sum of widths, hence the same work.
    expect(mlaBmmWork({ op: "post", dtype: "fp8", heads: 16, tokens: 8 })).toEqual(pre);
  });

  it("module parameters and a DeepSeek decode step on one of 8 GPUs (TP 8: 16 heads)", () => {
    // q_a + kv_a: 7168·(1536 + 576) = 15,138,816; q_b: 1536·16·192 = 4,718,592;
    // kv_b (= W_UK + W_UV): 512·16·256 = 2,097,152; o_proj: 16·128·7168 = 14,680,064 -> 36,634,624.
    expect(mlaModuleParams(16)).toBe(36_634_624);
    // Batch 64 at 4096 tokens, fp8 KV, fp8_block projections:
    // GEMM FLOPs 2·64·36,634,624 = 4,689,231,872; attention FLOPs 2·64·16·4096·1088 = 9,126,805,504 (fp8);
    // bytes: weights 36,634,624 + hidden in/out 64·7168·2·2 = 1,835,008
    //        + latent 64·(4096·576·1 + 16·1088·2) = 153,223,168 -> 191,692,800.
    const w = mlaGenerationModuleWork({ gemm_dtype: "fp8_block", kv_dtype: "fp8", heads: 16, batch: 64, kv_len: 4096 });
    expect(w.flops).toBe(4_689_231_872);
    expect(w.bytes).toBe(191_692_800);
    expect(w.extraFlops).toEqual([{ flops: 9_126_805_504, compute: "fp8" }]);
    // Both FLOP parts run at 2000 TFLOPS fp8 (test peaks): 13,816,037,376 / 2e15 = 6.908 µs;
    // bytes at 8 TB/s: 23.96 µs -> the decode module is memory-bound.
    const r = rooflineParts(w, PEAKS);
    expect(r.compute).toBeCloseTo(6.908018688e-6, 12);
    expect(r.memory).toBeCloseTo(2.39616e-5, 10);
  });

  it("the data-error rule uses the MLA work: faster than the latent read is an error", () => {
    // Generation, 64 × 4096 tokens × 576 B (fp8) = 150,994,944 B + q/o 64·16·1088·2 = 2,228,224
    // -> 153,223,168 B = 19.15 µs at 8 TB/s. 15 µs is impossible, 40 µs is kept.
    const row = (ms: number) => ({ shape: { kv_dtype: "fp8", heads: 16, batch: 64, kv_len: 4096 }, latencyMs: ms });
    const { rejected, file } = syntheticBuild("generation_mla", [row(0.015)]);
    expect(rejected.map((r) => r.reason)).toEqual(["HBM utilisation 1.277 > 1 of 8 TB/s"]);
    expect(file.rows).toEqual([]);
    expect(syntheticBuild("generation_mla", [row(0.04)]).rejected).toEqual([]);
  });
});
