/**
 * Per-op column layout and roofline work model.
 *
 * The work model (FLOPs and HBM bytes of one call on one GPU) serves two purposes:
 *  - the builder's data-error rule: a measured latency faster than the roofline allows is an error;
 *  - the lookup outside the measured range: utilisation is held at the nearest measured point and
 *    latency scales with the roofline time, i.e. with FLOPs where the shape is compute-bound and with
 *    bytes where it is memory-bound (`rooflineSeconds` takes the max of the two).
 * Counts are deliberately lower bounds (causal attention, no re-reads, balanced routing), so the
 * data-error rule only fires on rows that are impossible, not on merely fast ones.
 */
import type { KernelOp, Peaks } from "./types";

export type Shape = Record<string, number | string>;
export type ComputeClass = "bf16" | "fp8" | "fp4";

export interface Work {
  flops: number;
  bytes: number;
  compute: ComputeClass;
}

export interface OpSpec {
  op: KernelOp;
  /** Columns stored once per row: categorical columns, then fixed size coordinates. */
  keys: string[];
  /** The size column varying along a stored row. */
  axis: string;
  /** Numeric columns interpolated over, the axis last; the other keys are matched exactly. */
  coords: string[];
  /** FLOPs/bytes of one call; undefined for collectives (no HBM roofline). */
  work?: (s: Shape) => Work;
  /** A lower bound of that work, for the data-error rule (defaults to `work`). */
  workLowerBound?: (s: Shape) => Work;
  /** Roofline time in seconds, used only as a ratio (hold-utilisation scaling). */
  seconds: (s: Shape, p: Peaks) => number;
  /** Utilisation reported for a latency (fraction of the binding peak). */
  utilisation: (s: Shape, p: Peaks, latencyMs: number) => number;
}

const num = (s: Shape, k: string): number => Number(s[k]);

export function peakFlops(c: ComputeClass, p: Peaks): number {
  if (c === "fp4") return (p.fp4Tflops ?? p.fp8Tflops) * 1e12;
  if (c === "fp8") return p.fp8Tflops * 1e12;
  return p.bf16Tflops * 1e12;
}

export function rooflineParts(w: Work, p: Peaks): { compute: number; memory: number } {
  return { compute: w.flops / peakFlops(w.compute, p), memory: w.bytes / (p.hbmTBps * 1e12) };
}

export function rooflineSeconds(w: Work, p: Peaks): number {
  const r = rooflineParts(w, p);
  return Math.max(r.compute, r.memory);
}

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

const KV_BYTES: Record<string, number> = { bf16: 2, fp16: 2, fp8: 1 };

/** Causally attended (query, key) pairs of one sequence of `s` tokens with window `w` (0 = full). */
export function causalPairs(s: number, w: number): number {
  if (w > 0 && w < s) return (w * (w + 1)) / 2 + (s - w) * w;
  return (s * (s + 1)) / 2;
}

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

// ---- MoE -------------------------------------------------------------------------------------

/** Weight bytes per element and tensor-core rate of each MoE dtype. */
const MOE_DTYPES: Record<string, { w: number; compute: ComputeClass }> = {
  bf16: { w: 2, compute: "bf16" },
  fp8: { w: 1, compute: "fp8" },
  fp8_block: { w: 1, compute: "fp8" },
  nvfp4: { w: 0.5625, compute: "fp4" },
  // MXFP4 weights (one e8m0 scale per 32) with bf16 activations: dequantised to bf16 math.
  w4a16_mxfp4: { w: 0.53125, compute: "bf16" },
  // MXFP4 weights with MXFP8 activations run at the fp8 rate on Blackwell.
  w4a8_mxfp4_mxfp8: { w: 0.53125, compute: "fp8" },
  int4_wo: { w: 0.515625, compute: "bf16" },
};

/**
 * One MoE layer (gated: gate+up and down projections) on one GPU, for utilisation and roofline
 * scaling: routed token-expert pairs spread evenly over `ep` ranks, each touched local expert's
 * weights read once, touched experts = the expectation under uniform routing.
 */
export function moeWork(s: Shape): Work {
  const t = num(s, "tokens"), H = num(s, "hidden"), I = num(s, "inter"), k = num(s, "topk");
  const E = num(s, "experts"), tp = num(s, "tp"), ep = num(s, "ep");
  const d = MOE_DTYPES[String(s.dtype)] ?? MOE_DTYPES.bf16;
  const pairs = (t * k) / ep;
  const touched = Math.min((E / ep) * (1 - Math.pow(1 - 1 / E, t * k)), Math.max(pairs, 1));
  return {
    flops: pairs * 6 * H * (I / tp),
    bytes: touched * 3 * H * (I / tp) * d.w + t * H * 2 * 2,
    compute: d.compute,
  };
}

const balancedMemo = new Map<string, { pairs: number; touched: number }>();

/**
 * Token-expert pairs and distinct experts on EP rank 0 (experts [0, E/ep)) under aiconfigurator's
 * `balanced` routing: token i takes experts (i + j·stride) mod E, stride = ceil(E/topk), or
 * floor(i·stride/T + j·stride) mod E when T < stride.
 */
export function balancedRank0(t: number, E: number, k: number, ep: number): { pairs: number; touched: number } {
  const key = `${t},${E},${k},${ep}`;
  let r = balancedMemo.get(key);
  if (!r) {
    const stride = Math.ceil(E / k), local = E / ep;
    const seen = new Set<number>();
    let pairs = 0;
    for (let i = 0; i < t; i++) {
      for (let j = 0; j < k; j++) {
        const e = (t >= stride ? i + j * stride : Math.floor((i * stride) / t + j * stride)) % E;
        if (e < local) {
          pairs++;
          seen.add(e);
        }
      }
    }
    balancedMemo.set(key, (r = { pairs, touched: seen.size }));
  }
  return r;
}

/**
 * Lower bound of the work of the measured call, for the data-error rule. With `balanced` routing
 * the routing is known exactly. With power-law routing aiconfigurator puts the most loaded EP rank
 * at rank 0 (so it has at least the average pairs), but which experts are hit is random: an
 * expert takes at most `tokens` pairs, which bounds the distinct experts from below.
 */
export function moeWorkLowerBound(s: Shape): Work {
  const t = num(s, "tokens"), H = num(s, "hidden"), I = num(s, "inter"), k = num(s, "topk");
  const E = num(s, "experts"), tp = num(s, "tp"), ep = num(s, "ep");
  const d = MOE_DTYPES[String(s.dtype)] ?? MOE_DTYPES.bf16;
  let pairs = (t * k) / ep;
  let touched = Math.ceil(pairs / t);
  if (String(s.distribution) === "balanced") ({ pairs, touched } = balancedRank0(t, E, k, ep));
  return {
    flops: pairs * 6 * H * (I / tp),
    bytes: touched * 3 * H * (I / tp) * d.w + t * H * 2 * 2,
    compute: d.compute,
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

function workOp(op: KernelOp, keys: string[], axis: string, coords: string[], work: (s: Shape) => Work): OpSpec {
  return {
    op,
    keys,
    axis,
    coords,
    work,
    seconds: (s, p) => rooflineSeconds(work(s), p),
    utilisation: (s, p, ms) => rooflineSeconds(work(s), p) / (ms * 1e-3),
  };
}

const ATTN_KEYS = ["heads", "kv_heads", "head_dim", "window", "attn_dtype", "kv_dtype", "batch"];

export const OP_SPECS: Record<KernelOp, OpSpec> = {
  gemm: workOp("gemm", ["dtype", "n", "k"], "m", ["n", "k", "m"], gemmWork),
  context_attention: workOp("context_attention", ATTN_KEYS, "isl", ["batch", "isl"], contextAttentionWork),
  generation_attention: workOp("generation_attention", ATTN_KEYS, "kv_len", ["batch", "kv_len"], generationAttentionWork),
  moe: {
    ...workOp("moe", ["dtype", "hidden", "inter", "topk", "experts", "tp", "ep", "distribution"], "tokens", ["tokens"], moeWork),
    workLowerBound: moeWorkLowerBound,
  },
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
