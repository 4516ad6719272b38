/**
 * The vocabulary of per-op costs: an op is a plain record of one kernel's work on one GPU (FLOPs,
 * bytes, collective), with its formula as text. Each op family (gemm, attention incl. MLA, moe,
 * communication, elementwise, embedding/head — one module each) counts its ops, names the measured
 * kernel table that times them, and gives their roofline bound.
 */
import type { ComputeDtype, Dtype } from "../core/dtypes";
import type { Efficiency } from "../calibration/efficiency";
import type { HardwareProfile } from "../hardware/schema";
import { memoryBandwidth, peakFlops } from "../hardware/registry";
import type { KernelLookup, KernelTables } from "../kernels/index";
import type { LayerIR, ModelIR } from "../model/ir";
import type { AttentionWork } from "./batch";

export type OpKind = "gemm" | "attention" | "moe" | "elementwise" | "comm";
export type CollectiveOp = "all_reduce" | "all_gather" | "reduce_scatter" | "all_to_all" | "p2p";

export interface Op {
  /** Layer type this op belongs to ("attention.full", "moe", …) and how many such layers run per step. */
  layerType: string;
  layers: number;
  name: string;
  kind: OpKind;
  /** FLOPs on one GPU for one layer. */
  flops: number;
  /** Bytes moved through HBM on one GPU for one layer: weights + activations + KV. */
  weightBytes: number;
  activationBytes: number;
  kvBytes: number;
  computeDtype: ComputeDtype;
  /** Kernel launches this op stands for. */
  kernels: number;
  formula: string;
  gemm?: { m: number; n: number; k: number; weightDtype: Dtype };
  attention?: { phase: "prefill" | "decode"; seqs: number; tokens: number; kvRead: number; heads: number; kvHeads: number; headDim: number; window: number | null; kvDtype: Dtype };
  /** MLA attention core: latent width per token, and whether the layer has the geometry the MLA tables were measured at. */
  mla?: { latent: number; tables: boolean };
  /** MLA absorbed BMM (q_nope·W_UK = "pre", o·W_UV = "post") over decode tokens. */
  bmm?: { op: "pre" | "post"; tokens: number; heads: number; dtype: "bf16" | "fp8" };
  /** Routed experts; `tokens` is what the busiest EP rank is priced at: the group's tokens × `imbalance` (max / mean rank load). */
  moe?: { tokens: number; hidden: number; inter: number; topk: number; experts: number; tp: number; ep: number; weightDtype: Dtype; imbalance: number };
  comm?: {
    op: CollectiveOp; bytes: number; gpus: number; scope: "scale_up" | "scale_out";
    /** An expert-parallel all-to-all: its kernels, the copies per token, and whether two-batch overlap hides it behind compute. */
    a2a?: { kernels: string; topk: number; overlapped: boolean };
  };
}

/** What one step processes, reduced to the sums costs depend on (see ./batch). */
export interface StepInput {
  tokens: number;
  seqs: number;
  logitRows: number;
  prefillTokens: number;
  prefillSeqs: number;
  attention: Record<string, AttentionWork>;
}

/** Identical layers grouped: one representative and how many there are. */
export interface LayerGroup {
  type: string;
  kind: LayerIR["kind"];
  count: number;
  layer: LayerIR;
}

export function groupLayers(ir: ModelIR): LayerGroup[] {
  const groups = new Map<string, LayerGroup>();
  for (const l of ir.layers) {
    const g = groups.get(l.type);
    if (g) g.count++;
    else groups.set(l.type, { type: l.type, kind: l.kind, count: 1, layer: l });
  }
  return [...groups.values()];
}

/**
 * Roofline parts of an op on one GPU, seconds: compute at the family's efficiency, memory traffic
 * (without and with the fixed per-kernel latency), and collective time.
 */
export interface RooflineParts {
  compute: number;
  memory: number;
  /** Fixed latency added to memory-bound time (per-kernel constant; collectives include theirs in `comm`). */
  latency: number;
  comm: number;
}

/** One op family: how its ops are timed from measured tables and bounded by the roofline. */
export interface OpFamily {
  kind: OpKind;
  /** The measured kernel table that times this op (its table key), or undefined when no table covers it. */
  lookup?(tables: KernelTables, op: Op): KernelLookup | undefined;
  /** The key a lookup of this op may be memoised under (exactly what the lookup reads); undefined: not memoised. */
  memoKey?(op: Op): string | undefined;
  /** Whether single-system tables can time this op on this hardware at all (e.g. a collective spanning domains cannot). */
  tablesApply?(op: Op, hw: HardwareProfile): boolean;
  roofline(op: Op, hw: HardwareProfile, eff: Efficiency): RooflineParts;
}

/** Compute at `effCompute` of the dtype's peak, memory at the calibrated HBM bandwidth: the roofline of a kernel on one GPU. */
export function computeMemoryRoofline(op: Op, hw: HardwareProfile, eff: Efficiency, effCompute: number): RooflineParts {
  const compute = op.flops / (peakFlops(hw, op.computeDtype) * effCompute);
  const bytes = op.weightBytes + op.activationBytes + op.kvBytes;
  const memory = bytes / (memoryBandwidth(hw) * eff.memory_bandwidth.value);
  return { compute, memory, latency: eff.memory_latency_us.value / 1e6, comm: 0 };
}
