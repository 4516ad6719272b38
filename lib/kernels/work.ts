/**
 * Roofline work of one kernel call on one GPU: the shared types and arithmetic of the per-family
 * work models (ops.ts: GEMM, attention, collectives; ops-mla.ts: MLA; ops-moe.ts: MoE).
 *
 * The work model serves two purposes:
 *  - the builder's data-error rule: a measured latency faster than the roofline allows is an error;
 *  - the lookup outside the measured range: utilisation is held at the nearest measured point and
 *    latency scales with the roofline time, i.e. with FLOPs where the shape is compute-bound and with
 *    bytes where it is memory-bound (`rooflineSeconds` takes the max of the two).
 */
import type { KernelOp, Peaks } from "./types";

export type Shape = Record<string, number | string>;
export type ComputeClass = "bf16" | "fp8" | "fp4";

export interface Work {
  flops: number;
  bytes: number;
  compute: ComputeClass;
  /** Further FLOPs of the same call that run at another tensor-core rate (e.g. attention inside a module). */
  extraFlops?: { flops: number; compute: ComputeClass }[];
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

export const num = (s: Shape, k: string): number => Number(s[k]);

export function peakFlops(c: ComputeClass, p: Peaks): number {
  if (c === "fp4") return (p.fp4Tflops ?? p.fp8Tflops) * 1e12;
  if (c === "fp8") return p.fp8Tflops * 1e12;
  return p.bf16Tflops * 1e12;
}

export function rooflineParts(w: Work, p: Peaks): { compute: number; memory: number } {
  let compute = w.flops / peakFlops(w.compute, p);
  for (const x of w.extraFlops ?? []) compute += x.flops / peakFlops(x.compute, p);
  return { compute, memory: w.bytes / (p.hbmTBps * 1e12) };
}

export function rooflineSeconds(w: Work, p: Peaks): number {
  const r = rooflineParts(w, p);
  return Math.max(r.compute, r.memory);
}

/** Bytes per element of a KV-cache / attention dtype. */
export const KV_BYTES: Record<string, number> = { bf16: 2, fp16: 2, fp8: 1 };
/** Bytes per element of bf16 activations (inputs and outputs of every kernel here). */
export const ACT_BYTES = 2;

/** Causally attended (query, key) pairs of one sequence of `s` tokens with window `w` (0 = full). */
export function causalPairs(s: number, w: number): number {
  if (w > 0 && w < s) return (w * (w + 1)) / 2 + (s - w) * w;
  return (s * (s + 1)) / 2;
}

/** An op timed by its roofline work (every family except the collectives). */
export function workOp(
  op: KernelOp,
  keys: string[],
  axis: string,
  coords: string[],
  work: (s: Shape) => Work,
  workLowerBound?: (s: Shape) => Work,
): OpSpec {
  return {
    op,
    keys,
    axis,
    coords,
    work,
    ...(workLowerBound ? { workLowerBound } : {}),
    seconds: (s, p) => rooflineSeconds(work(s), p),
    utilisation: (s, p, ms) => rooflineSeconds(work(s), p) / (ms * 1e-3),
  };
}
