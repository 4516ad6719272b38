/**
 * MLA (multi-head latent attention) work models, DeepSeek-V3 geometry.
 *
 * aiconfigurator measures MLA only at DeepSeek-V3's dimensions (collector `Scenario` in
 * collector/trtllm/collect_mla.py; the module collectors read the DeepSeek-V3 config): per head a
 * 128-value "nope" and a 64-value rotary part for q·k, 128 values of v, and a cached latent of
 * kv_lora_rank 512 + rope 64 = 576 values per token. `heads` is always the heads on the measured
 * GPU (num_heads / TP).
 *
 * Prefill runs on decompressed K/V: per head q·k over nope+rope = 192 values and p·v over 128.
 * Decode runs with absorbed weights (q·W_UK before, ·W_UV after, the mla_bmm ops): one shared latent
 * "head" of 576 values for q·k and its first 512 for p·v, read once per sequence for all heads.
 */
import { ACT_BYTES, causalPairs, type ComputeClass, KV_BYTES, num, type Shape, type Work, workOp } from "./work";

/** DeepSeek-V3 MLA geometry (data/models/deepseek-ai_DeepSeek-V3.json; the collectors' Scenario). */
export const MLA = {
  hidden: 7168,
  qLoraRank: 1536,
  kvLoraRank: 512,
  qkNopeHeadDim: 128,
  qkRopeHeadDim: 64,
  vHeadDim: 128,
} as const;

/** q·k width per head when decompressed (nope + rope = 192). */
const QK_DIM = MLA.qkNopeHeadDim + MLA.qkRopeHeadDim;
/** Cached latent per token (kv_lora_rank + rope = 576): the absorbed q·k width. */
export const LATENT_DIM = MLA.kvLoraRank + MLA.qkRopeHeadDim;
/** Absorbed p·v width: the latent without its rotary part (512). */
const LATENT_V_DIM = MLA.kvLoraRank;
/** 2 FLOPs per multiply-add. */
const FLOPS_PER_MAC = 2;

const kvBytes = (s: Shape): number => KV_BYTES[String(s.kv_dtype)] ?? ACT_BYTES;
const attnClass = (d: string): ComputeClass => (d === "fp8" ? "fp8" : "bf16");

/**
 * Forms of the context (prefill) kernel as measured:
 *  - `mha`: decompressed K/V with one K/V head per query head (TRT-LLM: q, k [tokens, h·192], v [tokens, h·128]);
 *  - `mqa`: decompressed widths, one K/V head shared by all query heads (SGLang trtllm_mla collector);
 *  - `absorbed`: prefill in the latent space, q·k over 576 and p·v over 512 with one shared K/V head
 *    (SGLang fa3 / triton backends on Hopper).
 */
export type MlaContextForm = "mha" | "mqa" | "absorbed";

/** Context MLA over `batch` sequences of `isl` tokens from an empty cache, `heads` local heads. */
export function contextMlaWork(s: Shape): Work {
  const b = num(s, "batch"), L = num(s, "isl"), h = num(s, "heads"), form = String(s.form);
  const pairs = b * causalPairs(L, 0);
  const absorbed = form === "absorbed";
  const qk = absorbed ? LATENT_DIM : QK_DIM, pv = absorbed ? LATENT_V_DIM : MLA.vHeadDim;
  const kvHeads = form === "mha" ? h : 1;
  const tokens = b * L;
  // Q in and O out per head; K and V per K/V head (the latent serves as both in absorbed form);
  // the new tokens' latent written to the cache.
  const kvPerToken = absorbed ? LATENT_DIM * ACT_BYTES : kvHeads * (qk + pv) * ACT_BYTES;
  return {
    flops: FLOPS_PER_MAC * h * pairs * (qk + pv),
    bytes: tokens * (h * (qk + pv) * ACT_BYTES + kvPerToken + LATENT_DIM * kvBytes(s)),
    compute: attnClass(String(s.attn_dtype)),
  };
}

/** Generation (decode) MLA, absorbed: `batch` sequences, one new token each, `kv_len` tokens attended. */
export function generationMlaWork(s: Shape): Work {
  const b = num(s, "batch"), L = num(s, "kv_len"), h = num(s, "heads");
  return {
    flops: FLOPS_PER_MAC * b * h * L * (LATENT_DIM + LATENT_V_DIM),
    // The latent cache read once per sequence (shared by all heads), q in (576 per head), o out (512).
    bytes: b * (L * LATENT_DIM * kvBytes(s) + h * (LATENT_DIM + LATENT_V_DIM) * ACT_BYTES),
    // fp8 KV: the decode kernels run q·k in fp8 (the faster peak keeps the bound a lower bound).
    compute: attnClass(String(s.kv_dtype)),
  };
}

/** Weight bytes per element of the MLA BMM and module GEMM dtypes. */
const MLA_GEMM_DTYPES: Record<string, { w: number; compute: ComputeClass }> = {
  bf16: { w: 2, compute: "bf16" },
  fp8: { w: 1, compute: "fp8" },
  fp8_block: { w: 1, compute: "fp8" },
  nvfp4: { w: 0.5625, compute: "fp4" },
};
const gemmDtype = (d: string) => MLA_GEMM_DTYPES[d] ?? MLA_GEMM_DTYPES.bf16;

/**
 * The absorbed decode BMMs, per head h: `pre` = q_nope [t, 128] · W_UK [128, 512] -> [t, 512];
 * `post` = o_latent [t, 512] · W_UV [512, 128] -> [t, 128]. bf16 activations in and out.
 */
export function mlaBmmWork(s: Shape): Work {
  const t = num(s, "tokens"), h = num(s, "heads");
  const d = gemmDtype(String(s.dtype));
  const inDim = s.op === "pre" ? MLA.qkNopeHeadDim : MLA.kvLoraRank;
  const outDim = s.op === "pre" ? MLA.kvLoraRank : MLA.vHeadDim;
  return {
    flops: FLOPS_PER_MAC * t * h * MLA.qkNopeHeadDim * MLA.kvLoraRank,
    bytes: h * MLA.qkNopeHeadDim * MLA.kvLoraRank * d.w + t * h * (inDim + outDim) * ACT_BYTES,
    compute: d.compute,
  };
}

/**
 * Linear-layer parameters of one MLA module on one GPU with `h` local heads: the fused q_a + kv_a
 * down-projection (replicated, hidden × (1536 + 576)), q_b (1536 × h·192), the K/V up-projection
 * kv_b (512 × h·(128 + 128); in decode the same weights as W_UK and W_UV) and o_proj (h·128 × hidden).
 */
export function mlaModuleParams(h: number): number {
  return (
    MLA.hidden * (MLA.qLoraRank + LATENT_DIM) +
    MLA.qLoraRank * h * QK_DIM +
    MLA.kvLoraRank * h * (MLA.qkNopeHeadDim + MLA.vHeadDim) +
    h * MLA.vHeadDim * MLA.hidden
  );
}

/** The whole attention module (projections, norms, rope, attention, output): linear layers + core. */
function moduleWork(s: Shape, tokens: number, core: Work): Work {
  const d = gemmDtype(String(s.gemm_dtype));
  const params = mlaModuleParams(num(s, "heads"));
  return {
    flops: FLOPS_PER_MAC * tokens * params,
    // Weights once, hidden states in and out, plus the attention core's own traffic.
    bytes: params * d.w + tokens * MLA.hidden * ACT_BYTES * 2 + core.bytes,
    compute: d.compute,
    extraFlops: [{ flops: core.flops, compute: core.compute }],
  };
}

/** Context module: prefill in MHA form on decompressed K/V (both vLLM and TRT-LLM). */
export function mlaContextModuleWork(s: Shape): Work {
  return moduleWork(s, num(s, "batch") * num(s, "isl"), contextMlaWork({ ...s, form: "mha" }));
}

/** Generation module: absorbed decode, one new token per sequence. */
export function mlaGenerationModuleWork(s: Shape): Work {
  return moduleWork(s, num(s, "batch"), generationMlaWork(s));
}

const BATCH_SEQ = ["batch", "isl"];
const BATCH_KV = ["batch", "kv_len"];

export const MLA_SPECS = {
  context_mla: workOp("context_mla", ["form", "attn_dtype", "kv_dtype", "heads", "batch"], "isl", BATCH_SEQ, contextMlaWork),
  generation_mla: workOp("generation_mla", ["kv_dtype", "heads", "batch"], "kv_len", BATCH_KV, generationMlaWork),
  mla_bmm: workOp("mla_bmm", ["op", "dtype", "heads"], "tokens", ["tokens"], mlaBmmWork),
  mla_context_module: workOp(
    "mla_context_module",
    ["gemm_dtype", "attn_dtype", "kv_dtype", "heads", "batch"],
    "isl",
    BATCH_SEQ,
    mlaContextModuleWork,
  ),
  mla_generation_module: workOp(
    "mla_generation_module",
    ["gemm_dtype", "kv_dtype", "heads", "batch"],
    "kv_len",
    BATCH_KV,
    mlaGenerationModuleWork,
  ),
};
