/**
 * Adapts the measured kernel tables (lib/kernels) to the step model: an op is timed from the
 * table of the row's engine on its hardware where that table covers it, else by the roofline.
 */
import type { Dtype } from "../core/dtypes";
import { roundLength } from "../core/round";
import type { Op } from "../cost/ops";
import type { HardwareProfile } from "../hardware/schema";
import { loadKernelTables, type KernelTables } from "../kernels/index";
import type { KernelLookup } from "../kernels/types";
import type { EngineProfile } from "../serving/engine";
import type { KernelSource } from "./roofline";

const GEMM_DTYPE: Partial<Record<Dtype, "bf16" | "fp8" | "fp8_block" | "nvfp4">> = { bf16: "bf16", fp16: "bf16", fp8: "fp8", "fp8-block": "fp8_block", nvfp4: "nvfp4" };
/** MoE kernels by expert weight dtype (activations bf16 unless the format says otherwise). */
const MOE_DTYPE: Partial<Record<Dtype, string>> = { bf16: "bf16", fp16: "bf16", fp8: "fp8", "fp8-block": "fp8_block", nvfp4: "nvfp4", mxfp4: "w4a16_mxfp4", int4: "int4_wo" };
const KV_DTYPE: Partial<Record<Dtype, string>> = { bf16: "bf16", fp16: "bf16", fp8: "fp8" };

/** MoE routing assumed when reading the MoE tables (see lib/kernels MoeQuery.distribution). */
export const MOE_TABLE_DISTRIBUTION = "power_law_1.01";

export type TableOp = "gemm" | "attention" | "moe" | "comm";

/** Lengths as lookup keys: rounded (lib/core/round.ts) and at least 1. */
const bucket = (x: number): number => Math.max(1, roundLength(x));

/** A prefill chunk after cached context as the table's from-empty prompt with the same causal pairs per sequence (bucketed). */
function equivalentPrompt(op: Op): number {
  const a = op.attention!;
  const pairsPerSeq = op.flops > 0 ? a.tokens / a.seqs : 1;
  return bucket(Math.max(1, Math.round(Math.sqrt(2 * (a.kvRead / a.seqs) * pairsPerSeq + pairsPerSeq * pairsPerSeq))));
}

function lookupOp(t: KernelTables, op: Op, use: Set<TableOp>): KernelLookup | undefined {
  if (op.gemm && !use.has("gemm")) return undefined;
  if (op.attention && !use.has("attention")) return undefined;
  if (op.moe && !use.has("moe")) return undefined;
  if (op.comm && !use.has("comm")) return undefined;
  if (op.gemm) {
    const d = GEMM_DTYPE[op.gemm.weightDtype];
    return d ? t.gemm(Math.max(1, Math.ceil(op.gemm.m)), op.gemm.n, op.gemm.k, d) : undefined;
  }
  if (op.attention) {
    const a = op.attention;
    const kv = KV_DTYPE[a.kvDtype];
    if (!kv || a.seqs <= 0) return undefined;
    const batch = Math.max(1, Math.round(a.seqs));
    const shape = { batch, heads: a.heads, kvHeads: a.kvHeads, headDim: a.headDim, window: a.window ?? 0, kvDtype: kv };
    if (a.phase === "decode") return t.generationAttention({ ...shape, kvLen: bucket(a.kvRead / a.seqs) });
    return t.contextAttention({ ...shape, seqLen: equivalentPrompt(op) });
  }
  if (op.moe) {
    const m = op.moe;
    const d = MOE_DTYPE[m.weightDtype];
    if (!d) return undefined;
    return t.moe({ tokens: Math.max(1, Math.ceil(m.tokens)), hidden: m.hidden, inter: m.inter, topk: m.topk, experts: m.experts, tp: m.tp, ep: m.ep, dtype: d, distribution: MOE_TABLE_DISTRIBUTION });
  }
  if (op.comm && op.comm.op !== "p2p" && op.comm.scope === "scale_up") {
    const r = t.collective(op.comm.op, op.comm.bytes, op.comm.gpus);
    if (op.comm.op === "all_gather" || op.comm.op === "reduce_scatter") {
      // An all-gather or reduce-scatter moves half the data of an all-reduce of the same buffer, so it never
      // needs longer than the engine's own (custom, CUDA-graph) all-reduce; NCCL's small-message launch cost
      // would otherwise dominate DP-attention MoE exchanges that engines run with custom kernels.
      const ar = t.collective("all_reduce", op.comm.bytes, op.comm.gpus);
      if (ar && (!r || ar.latencyMs < r.latencyMs)) return { ...ar, source: `${ar.source} (bounds ${op.comm.op}: half the data of an all-reduce)` };
    }
    return r;
  }
  return undefined;
}

const sources = new Map<string, KernelSource | undefined>();

/** Tables for this hardware × engine, restricted to `ops` (default: the engine profile's kernel_table_ops). */
export function kernelSourceFor(hw: HardwareProfile, engine: EngineProfile, ops?: TableOp[]): KernelSource | undefined {
  if (!hw.kernel_tables || !engine.kernel_framework) return undefined;
  const use = new Set<TableOp>(ops ?? engine.kernel_table_ops.ops);
  if (use.size === 0) return undefined;
  const key = `${hw.kernel_tables}|${engine.kernel_framework}|${[...use].sort().join(",")}`;
  if (sources.has(key)) return sources.get(key);
  const tables = loadKernelTables(hw.kernel_tables, engine.kernel_framework);
  // Attention lookups repeat with bucketed lengths every step: memoise them here by shape.
  const memo = new Map<string, { seconds: number; source: string; extrapolated: boolean } | undefined>();
  const src: KernelSource | undefined = tables && {
    name: `measured kernel tables data/kernels/${tables.system}/${tables.framework} for ${[...use].join(", ")} (aiconfigurator, Apache-2.0); roofline for the rest and where not covered`,
    time(op: Op) {
      const a = op.attention;
      // Keyed by exactly what the lookup reads, so a memoised value never depends on which op came first.
      const len = a ? (a.phase === "decode" ? bucket(a.kvRead / Math.max(a.seqs, 1e-9)) : a.seqs > 0 ? equivalentPrompt(op) : 0) : 0;
      const key = a ? `${a.phase}|${a.heads}|${a.kvHeads}|${a.headDim}|${a.window}|${a.kvDtype}|${Math.round(a.seqs)}|${a.seqs > 0}|${len}` : "";
      if (a && memo.has(key)) return memo.get(key);
      const r = lookupOp(tables, op, use);
      const out = !r || !(r.latencyMs > 0) ? undefined : { seconds: r.latencyMs / 1e3, source: r.source, extrapolated: r.extrapolated };
      if (a) memo.set(key, out);
      return out;
    },
  };
  sources.set(key, src);
  return src;
}
