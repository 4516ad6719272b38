/**
 * Attention family (MHA/GQA/MQA, sliding windows; MLA in ./mla.ts): the layer's projections (GEMMs),
 * the attention core (prefill and decode kernels over the KV cache) and the output all-reduce —
 * counting, the attention kernel-table key, and the roofline bound.
 */
import type { Dtype } from "../core/dtypes";
import { roundLength } from "../core/round";
import type { AttentionSpec, ModelIR } from "../model/ir";
import type { ParallelPlan, PhasePlan } from "../parallel/plan";
import { attentionShape } from "./attention-shape";
import { windowKey } from "./batch";
import { collectiveOp } from "./communication";
import { gemmOp } from "./gemm";
import { LAUNCHES } from "./kernel-launches";
import { mlaOps } from "./mla";
import { mlaLookup } from "./mla-lookup";
import { computeMemoryRoofline, type LayerGroup, type Op, type OpFamily, type StepInput } from "./op";

/** KV dtypes the attention tables were measured with. */
const KV_DTYPE: Partial<Record<Dtype, string>> = { bf16: "bf16", fp16: "bf16", fp8: "fp8" };

/** Lengths as lookup keys: rounded (lib/core/round.ts) and at least 1. */
export const lengthKey = (x: number): number => Math.max(1, roundLength(x));

/** Ops of the attention layer type `g` for this step, on one GPU of the attention group. */
export function attentionOps(ir: ModelIR, plan: ParallelPlan, phase: PhasePlan, g: LayerGroup, s: StepInput, part: "all" | "core" | "projections" = "all"): Op[] {
  if ((g.layer.attention as AttentionSpec).mla) return mlaOps(ir, plan, phase, g, s, part);
  const { a, H, act, kvB, wd, tp, dp, T, L } = attentionShape(ir, plan, phase, g, s);
  const headsG = a.heads / tp;
  // KV heads are split across TP ranks; when TP exceeds them each rank keeps a replica of one.
  const kvHeadsG = Math.max(1, a.kvHeads / tp);
  const work = s.attention[windowKey(a.window)] ?? { pairs: 0, kvRead: 0, prefillPairs: 0, prefillKvRead: 0 };
  const pairs = work.pairs / dp;
  const kvRead = work.kvRead / dp;
  const ops: Op[] = [];
  const wantProj = part !== "core";
  const wantCore = part !== "projections";
  const n = (headsG + 2 * kvHeadsG) * a.headDim;
  if (wantProj) ops.push(gemmOp(g.type, L, "qkv_proj", T, n, H, wd, act, a.qkvBias ? n : 0));
  const kvPerTok = kvHeadsG * (a.headDim + a.vHeadDim);
  const coreFlopsPerPair = 2 * headsG * (a.headDim + a.vHeadDim);
  // Prefill and decode sequences run different attention kernels: one op each.
  const core = (phaseName: "prefill" | "decode", seqs: number, tokens: number, pr: number, kv: number): Op => ({
    layerType: g.type, layers: L, name: `attention_${phaseName}`, kind: "attention",
    flops: coreFlopsPerPair * pr,
    weightBytes: 0,
    activationBytes: tokens * headsG * (a.headDim + a.vHeadDim) * act,
    kvBytes: (kv + tokens) * kvPerTok * kvB,
    computeDtype: "bf16", kernels: LAUNCHES.attention,
    formula: "flops = 2·heads·(d_qk + d_v)·pairs; kv bytes = (kv read + new tokens)·kv elements per token·bytes(kv)",
    attention: { phase: phaseName, seqs, tokens, kvRead: kv, heads: headsG, kvHeads: kvHeadsG, headDim: a.headDim, window: a.window, kvDtype: plan.kvCache },
  });
  const pSeqs = s.prefillSeqs / dp;
  const pTok = s.prefillTokens / dp;
  const dSeqs = (s.seqs - s.prefillSeqs) / dp;
  if (wantCore && pSeqs > 0) ops.push(core("prefill", pSeqs, pTok, work.prefillPairs / dp, work.prefillKvRead / dp));
  if (wantCore && dSeqs > 0) ops.push(core("decode", dSeqs, T - pTok, pairs - work.prefillPairs / dp, kvRead - work.prefillKvRead / dp));
  if (!wantProj) return ops;
  ops.push(gemmOp(g.type, L, "o_proj", T, H, headsG * a.vHeadDim, wd, act, a.qkvBias ? H : 0));
  if (tp > 1) ops.push(collectiveOp(g.type, L, phase.sp ? "reduce_scatter" : "all_reduce", T * H * act, tp, "attention output all-reduce"));
  if (tp > 1 && phase.sp) ops.push(collectiveOp(g.type, L, "all_gather", T * H * act, tp, "sequence-parallel all-gather"));
  return ops;
}

/** A prefill chunk after cached context as the table's from-empty prompt with the same causal pairs per sequence (bucketed). */
function equivalentPrompt(op: Op): number {
  const a = op.attention!;
  const pairsPerSeq = op.flops > 0 ? a.tokens / a.seqs : 1;
  return lengthKey(Math.max(1, Math.round(Math.sqrt(2 * (a.kvRead / a.seqs) * pairsPerSeq + pairsPerSeq * pairsPerSeq))));
}

/** The key a lookup of this attention op is memoised under: exactly what the lookup reads, so a memoised value never depends on which op came first. */
export function attentionMemoKey(op: Op): string {
  const a = op.attention!;
  const len = a.phase === "decode" ? lengthKey(a.kvRead / Math.max(a.seqs, 1e-9)) : a.seqs > 0 ? equivalentPrompt(op) : 0;
  return `${op.mla ? `mla${op.mla.tables ? "+" : "-"}|` : ""}${a.phase}|${a.heads}|${a.kvHeads}|${a.headDim}|${a.window}|${a.kvDtype}|${Math.round(a.seqs)}|${a.seqs > 0}|${len}`;
}

export const ATTENTION: OpFamily = {
  kind: "attention",
  lookup(t, op) {
    if (op.mla) return mlaLookup(t, op, equivalentPrompt, lengthKey);
    const a = op.attention!;
    const kv = KV_DTYPE[a.kvDtype];
    if (!kv || a.seqs <= 0) return undefined;
    const batch = Math.max(1, Math.round(a.seqs));
    const shape = { batch, heads: a.heads, kvHeads: a.kvHeads, headDim: a.headDim, window: a.window ?? 0, kvDtype: kv };
    if (a.phase === "decode") return t.generationAttention({ ...shape, kvLen: lengthKey(a.kvRead / a.seqs) });
    return t.contextAttention({ ...shape, seqLen: equivalentPrompt(op) });
  },
  memoKey: attentionMemoKey,
  roofline: (op, hw, eff) => computeMemoryRoofline(op, hw, eff, eff.attention_compute.value),
};
