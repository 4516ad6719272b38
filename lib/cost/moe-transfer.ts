/**
 * MoE shapes the tables did not measure (e.g. Mixtral-8x22B, Kimi-K2's 384 experts): the grouped-GEMM
 * efficiency of the nearest measured shape of the same table, dtype and TP × EP split, read at the same
 * tokens per expert, applied to this shape's roofline time. Grouped-GEMM efficiency follows the tokens each
 * expert's GEMM gets (few: weight reads dominate; many: the GEMMs turn compute-bound), which is what this
 * keeps; the hidden and intermediate sizes only rescale the work.
 */
import type { KernelLookup, KernelTables, MoeQuery } from "../kernels/index";
import { rooflineSeconds, uniformRank } from "../kernels/index";
import { moeWorkFromLoad } from "../kernels/ops-moe";

/** Log distance of two MoE shapes (hidden, intermediate, top-k, experts). */
function distance(a: Record<string, unknown>, q: MoeQuery): number {
  const d = (x: number, y: number) => Math.abs(Math.log(x / y));
  return d(Number(a.hidden), q.hidden) + d(Number(a.inter), q.inter) + d(Number(a.topk), q.topk) + d(Number(a.experts), q.experts);
}

/** Seconds of the uniform-routing work of a shape at `tokens`, at the table's peaks. */
function workSeconds(q: MoeQuery, tokens: number, peaks: Parameters<typeof rooflineSeconds>[1]): number {
  const shape = { dtype: q.dtype, hidden: q.hidden, inter: q.inter, topk: q.topk, experts: q.experts, tp: q.tp, ep: q.ep, tokens };
  return rooflineSeconds(moeWorkFromLoad(shape, uniformRank(tokens, q.experts, q.topk, q.ep)), peaks);
}

/** The lookup of an unmeasured MoE shape through the nearest measured one; undefined when none of the same dtype and split exists. */
export function moeTransferLookup(t: KernelTables, q: MoeQuery): KernelLookup | undefined {
  const table = t.table("moe");
  if (!table) return undefined;
  const same = table.familyKeys().filter((f) => f.dtype === q.dtype && Number(f.tp) === q.tp && Number(f.ep) === q.ep && f.distribution === "balanced");
  if (!same.length) return undefined;
  const donor = same.reduce((a, b) => (distance(b, q) < distance(a, q) ? b : a));
  const dq: MoeQuery = { ...q, hidden: Number(donor.hidden), inter: Number(donor.inter), topk: Number(donor.topk), experts: Number(donor.experts) };
  // The same tokens per expert: tokens · k / E.
  const tokens = Math.max(1, Math.round((q.tokens * q.topk * dq.experts) / (dq.topk * q.experts)));
  const r = t.moe({ ...dq, tokens, distribution: "uniform" });
  if (!r || r.caveat) return undefined;
  const factor = workSeconds(q, q.tokens, table.header.peaks) / workSeconds(dq, tokens, table.header.peaks);
  const from = `hidden ${dq.hidden}, inter ${dq.inter}, top-${dq.topk} of ${dq.experts}`;
  return {
    ...r, latencyMs: r.latencyMs * factor, extrapolated: true,
    source: `${r.source} (shape not measured: utilisation of ${from} at the same tokens per expert)`,
    adjustment: { factor, reason: `MoE shape not in the table: the measured ${from} at ${tokens} tokens, scaled by the roofline time of this shape over that one (lib/cost/moe-transfer.ts)` },
  };
}
