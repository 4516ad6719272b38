/**
 * Per-op column layout and roofline work model of the GEMM, attention and collective tables, and the
 * registry of every op (MLA: ops-mla.ts, MoE: ops-moe.ts; shared arithmetic: work.ts).
 * Counts are deliberately lower bounds (causal attention, no re-reads, balanced routing), so the
 * data-error rule only fires on rows that are impossible, not on merely fast ones.
 */
import { MLA_SPECS } from "./ops-mla";
import { MOE_SPEC } from "./ops-moe";
import type { KernelOp, Peaks } from "./types";
import { causalPairs, type ComputeClass, KV_BYTES, num, type OpSpec, type Shape, type Work, workOp } from "./work";

export * from "./work";

// ---- GEMM ------------------------------------------------------------------------------------

/** Bytes per element of (activation, weight) and the tensor-core rate each GEMM dtype runs at. */
const GEMM_DTYPES: Record<string, { a: number; w: number; compute: ComputeClass }> = {
  bf16: { a: 2, w: 2, compute: "bf16" },
  fp8: { a: 1, w: 1, compute: "fp8" },
  fp8_block: { a: 1, w: 1, compute: "fp8" },
  // 4-bit values plus one fp8 scale per 16 elements.
  nvfp4: { a: 0.5625, w: 0.5625, compute: "fp4" },
};

export function gemmWork(s: Shape): Work {
  const m = num(s, "m"), n = num(s, "n"), k = num(s, "k");
  const d = GEMM_DTYPES[String(s.dtype)] ?? GEMM_DTYPES.bf16;
  // Read A and B once, write C in bf16.
  return { flops: 2 * m * n * k, bytes: m * k * d.a + k * n * d.w + m * n * 2, compute: d.compute };
}

// ---- attention -------------------------------------------------------------------------------

export function contextAttentionWork(s: Shape): Work {
  const b = num(s, "batch"), isl = num(s, "isl"), h = num(s, "heads"), g = num(s, "kv_heads");
  const d = num(s, "head_dim"), w = num(s, "window");
  const kvB = KV_BYTES[String(s.kv_dtype)] ?? 2;
  return {
    // QK^T and PV: 2 FLOPs per multiply-add, d multiply-adds each, per attended pair and head.
    flops: 4 * b * h * d * causalPairs(isl, w),
    // Q in and O out (bf16), K and V once.
    bytes: b * isl * (2 * h * d * 2 + 2 * g * d * kvB),
    compute: String(s.attn_dtype) === "fp8" ? "fp8" : "bf16",
  };
}

export function generationAttentionWork(s: Shape): Work {
  const b = num(s, "batch"), len = num(s, "kv_len"), h = num(s, "heads"), g = num(s, "kv_heads");
  const d = num(s, "head_dim"), w = num(s, "window");
  const kvB = KV_BYTES[String(s.kv_dtype)] ?? 2;
  const eff = w > 0 ? Math.min(len, w) : len;
  return {
    flops: 4 * b * h * d * eff,
    // The KV cache read dominates: K and V of `eff` tokens, plus Q in and O out.
    bytes: b * (eff * 2 * g * d * kvB + 2 * h * d * 2),
    compute: "bf16",
  };
}

// ---- collectives -----------------------------------------------------------------------------

/** Bus-bandwidth factor (nccl-tests convention): bytes each GPU moves over its link per byte. */
export function busFactor(op: string, gpus: number): number {
  if (gpus <= 1) return 0;
  return op === "all_reduce" ? (2 * (gpus - 1)) / gpus : (gpus - 1) / gpus;
}

/**
 * Small messages are latency-bound (a fixed ~5 µs), large ones bandwidth-bound: outside the measured
 * sizes latency is held below the range and scales with bytes above it.
 */
function commSeconds(s: Shape, p: Peaks): number {
  const bytes = num(s, "bytes"), gpus = num(s, "gpus");
  return 5e-6 + (busFactor(String(s.op ?? "all_reduce"), gpus) * bytes) / (p.linkGBps * 1e9);
}

function commUtilisation(s: Shape, p: Peaks, latencyMs: number): number {
  const bus = busFactor(String(s.op ?? "all_reduce"), num(s, "gpus")) * num(s, "bytes");
  return bus / (latencyMs * 1e-3 * p.linkGBps * 1e9);
}

const ATTN_KEYS = ["heads", "kv_heads", "head_dim", "window", "attn_dtype", "kv_dtype", "batch"];

export const OP_SPECS: Record<KernelOp, OpSpec> = {
  gemm: workOp("gemm", ["dtype", "n", "k"], "m", ["n", "k", "m"], gemmWork),
  context_attention: workOp("context_attention", ATTN_KEYS, "isl", ["batch", "isl"], contextAttentionWork),
  generation_attention: workOp("generation_attention", ATTN_KEYS, "kv_len", ["batch", "kv_len"], generationAttentionWork),
  moe: MOE_SPEC,
  ...MLA_SPECS,
  nccl: {
    op: "nccl",
    keys: ["op", "dtype", "gpus"],
    axis: "bytes",
    coords: ["bytes"],
    seconds: commSeconds,
    utilisation: commUtilisation,
  },
  custom_allreduce: {
    op: "custom_allreduce",
    keys: ["dtype", "gpus", "mode"],
    axis: "bytes",
    coords: ["bytes"],
    seconds: commSeconds,
    utilisation: commUtilisation,
  },
};

/** Categorical columns of an op: the keys that are not interpolated over. */
export function categoricalColumns(spec: OpSpec): string[] {
  return spec.keys.filter((k) => !spec.coords.includes(k));
}
