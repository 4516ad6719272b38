/**
 * Per-GPU operations of one engine step, per layer type: FLOPs, bytes moved and collectives.
 * These are the countable facts of a step; lib/step turns them into time.
 */
import { bytesPerElement, computeDtypeOf, type Dtype } from "../core/dtypes";
import type { ComputeDtype } from "../hardware/schema";
import type { AttentionSpec, DtypeGroup, LayerIR, ModelIR, MoeSpec, FfnSpec } from "../model/ir";
import { kvElementsPerToken } from "../model/build";
import type { ParallelPlan, PhasePlan } from "../parallel/plan";
import type { AttentionWork } from "./batch";
import { windowKey } from "./batch";
import { LAUNCHES } from "./kernel-launches";

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
  moe?: { tokens: number; hidden: number; inter: number; topk: number; experts: number; tp: number; ep: number; weightDtype: Dtype };
  comm?: { op: CollectiveOp; bytes: number; gpus: number; scope: "scale_up" | "scale_out" };
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

export function weightDtype(ir: ModelIR, plan: ParallelPlan, g: DtypeGroup): Dtype {
  return plan.weights[g] ?? ir.defaultDtypes[g];
}

/** Expected distinct experts hit when `tokens` tokens each pick `topk` of `experts` uniformly at random. */
export function expectedActiveExperts(tokens: number, topk: number, experts: number): number {
  return experts * (1 - Math.pow(1 - topk / experts, tokens));
}

function gemm(
  layerType: string, layers: number, name: string, m: number, n: number, k: number,
  wd: Dtype, actBytes: number, weightBias = 0,
): Op {
  return {
    layerType, layers, name, kind: "gemm",
    flops: 2 * m * n * k,
    weightBytes: n * k * bytesPerElement(wd) + weightBias * actBytes,
    activationBytes: (m * k + m * n) * actBytes,
    kvBytes: 0, computeDtype: computeDtypeOf(wd), kernels: LAUNCHES.gemm,
    formula: "flops = 2·m·n·k; bytes = n·k·bytes(w) + (m·k + m·n)·bytes(act)",
    gemm: { m, n, k, weightDtype: wd },
  };
}

function collective(layerType: string, layers: number, op: CollectiveOp, bytes: number, gpus: number, name: string, scope: "scale_up" | "scale_out" = "scale_up"): Op {
  return {
    layerType, layers, name, kind: "comm", flops: 0, weightBytes: 0, activationBytes: 0, kvBytes: 0,
    computeDtype: "bf16", kernels: LAUNCHES.comm, formula: `${op} of the layer output across ${gpus} GPUs`,
    comm: { op, bytes, gpus, scope },
  };
}

export interface StepInput {
  tokens: number;
  seqs: number;
  logitRows: number;
  prefillTokens: number;
  prefillSeqs: number;
  attention: Record<string, AttentionWork>;
}

/** Ops of the attention layer type `g` for this step, on one GPU of the attention group. */
export function attentionOps(ir: ModelIR, plan: ParallelPlan, phase: PhasePlan, g: LayerGroup, s: StepInput, part: "all" | "core" | "projections" = "all"): Op[] {
  const a = g.layer.attention as AttentionSpec;
  const H = ir.hidden;
  const act = bytesPerElement(plan.activations);
  const wd = weightDtype(ir, plan, "attention");
  const tp = phase.attention.tp;
  const dp = phase.attention.dp;
  const T = s.tokens / dp;
  const L = g.count / phase.pp;
  const headsG = a.heads / tp;
  // KV heads are split across TP ranks; when TP exceeds them each rank keeps a replica of one.
  const kvHeadsG = a.mla ? 1 : Math.max(1, a.kvHeads / tp);
  const work = s.attention[windowKey(a.window)] ?? { pairs: 0, kvRead: 0, prefillPairs: 0, prefillKvRead: 0 };
  const pairs = work.pairs / dp;
  const kvRead = work.kvRead / dp;
  const kvB = bytesPerElement(plan.kvCache);
  const ops: Op[] = [];
  const wantProj = part !== "core";
  const wantCore = part !== "projections";
  let kvPerTok: number;
  let coreFlopsPerPair: number;
  if (a.mla) {
    const m = a.mla;
    const qk = m.nopeHeadDim + m.ropeHeadDim;
    if (wantProj) {
      if (m.qLoraRank) {
        ops.push(gemm(g.type, L, "q_a_proj", T, m.qLoraRank, H, wd, act));
        ops.push(gemm(g.type, L, "q_b_proj", T, headsG * qk, m.qLoraRank, wd, act));
      } else ops.push(gemm(g.type, L, "q_proj", T, headsG * qk, H, wd, act));
      ops.push(gemm(g.type, L, "kv_a_proj", T, m.kvLoraRank + m.ropeHeadDim, H, wd, act));
      ops.push(gemm(g.type, L, "kv_b_proj", T, headsG * (m.nopeHeadDim + a.vHeadDim), m.kvLoraRank, wd, act));
    }
    kvPerTok = kvElementsPerToken(a);
    // Absorbed MLA: scores over the latent (kv_lora + rope) and values from the latent (kv_lora).
    coreFlopsPerPair = 2 * headsG * (m.kvLoraRank + m.ropeHeadDim + m.kvLoraRank);
  } else {
    const n = (headsG + 2 * kvHeadsG) * a.headDim;
    if (wantProj) ops.push(gemm(g.type, L, "qkv_proj", T, n, H, wd, act, a.qkvBias ? n : 0));
    kvPerTok = kvHeadsG * (a.headDim + a.vHeadDim);
    coreFlopsPerPair = 2 * headsG * (a.headDim + a.vHeadDim);
  }
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
  ops.push(gemm(g.type, L, "o_proj", T, H, headsG * a.vHeadDim, wd, act, a.qkvBias ? H : 0));
  if (tp > 1) ops.push(collective(g.type, L, phase.sp ? "reduce_scatter" : "all_reduce", T * H * act, tp, "attention output all-reduce"));
  if (tp > 1 && phase.sp) ops.push(collective(g.type, L, "all_gather", T * H * act, tp, "sequence-parallel all-gather"));
  return ops;
}

/** Ops of an MoE layer on one GPU of the (moe.tp × moe.ep) group. */
export function moeOps(ir: ModelIR, plan: ParallelPlan, phase: PhasePlan, g: LayerGroup, s: StepInput): Op[] {
  const m = g.layer.moe as MoeSpec;
  const H = ir.hidden;
  const act = bytesPerElement(plan.activations);
  const wd = weightDtype(ir, plan, "experts");
  const rd = weightDtype(ir, plan, "router");
  const { tp, ep } = phase.moe;
  const dp = phase.attention.dp;
  const L = g.count / phase.pp;
  const T = s.tokens; // every token of the stage reaches the MoE group
  const inW = (m.gated ? 2 : 1) * m.expertIntermediate;
  const perExpertParams = (inW + m.expertIntermediate) * H / tp;
  const active = expectedActiveExperts(T, m.topk, m.experts) / ep;
  const assignments = (T * m.topk) / ep; // balanced routing
  const ops: Op[] = [gemm(g.type, L, "router", T / dp, m.experts, H, rd, act)];
  ops.push({
    layerType: g.type, layers: L, name: "experts", kind: "moe",
    flops: 2 * assignments * perExpertParams,
    weightBytes: active * perExpertParams * bytesPerElement(wd),
    activationBytes: assignments * (H + H) * act + T * H * act,
    kvBytes: 0, computeDtype: computeDtypeOf(wd), kernels: LAUNCHES.moe,
    formula:
      "flops = 2·(tokens·topk/ep)·(3·I·H/tp); weight bytes = E·(1 − (1 − k/E)^tokens)/ep experts hit · expert bytes/tp",
    moe: { tokens: T, hidden: H, inter: m.expertIntermediate, topk: m.topk, experts: m.experts, tp, ep, weightDtype: wd },
  });
  if (m.sharedExperts > 0) {
    const I = (m.sharedExperts * m.sharedIntermediate) / (tp * ep);
    ops.push(gemm(g.type, L, "shared_gate_up", T, (m.gated ? 2 : 1) * I, H, weightDtype(ir, plan, "ffn"), act));
    ops.push(gemm(g.type, L, "shared_down", T, H, I, weightDtype(ir, plan, "ffn"), act));
  }
  const gpus = tp * ep;
  if (gpus > 1) {
    if (dp > 1) {
      // DP-attention: each rank gathers all tokens before the experts and scatters the sums back.
      ops.push(collective(g.type, L, "all_gather", T * H * act, gpus, "MoE token all-gather"));
      ops.push(collective(g.type, L, "reduce_scatter", T * H * act, gpus, "MoE output reduce-scatter"));
    } else {
      ops.push(collective(g.type, L, "all_reduce", T * H * act, gpus, "MoE output all-reduce"));
    }
  }
  return ops;
}

export function ffnOps(ir: ModelIR, plan: ParallelPlan, phase: PhasePlan, g: LayerGroup, s: StepInput): Op[] {
  const f = g.layer.ffn as FfnSpec;
  const H = ir.hidden;
  const act = bytesPerElement(plan.activations);
  const wd = weightDtype(ir, plan, "ffn");
  const tp = phase.ffn.tp;
  const L = g.count / phase.pp;
  const T = s.tokens;
  const I = f.intermediate / tp;
  const ops = [
    gemm(g.type, L, f.gated ? "gate_up_proj" : "up_proj", T, (f.gated ? 2 : 1) * I, H, wd, act),
    gemm(g.type, L, "down_proj", T, H, I, wd, act),
  ];
  if (tp > 1) ops.push(collective(g.type, L, "all_reduce", T * H * act, tp, "FFN output all-reduce"));
  return ops;
}

/** Norms, embedding gather and the LM head. */
export function otherOps(ir: ModelIR, plan: ParallelPlan, phase: PhasePlan, g: LayerGroup, s: StepInput): Op[] {
  const H = ir.hidden;
  const act = bytesPerElement(plan.activations);
  const dp = phase.attention.dp;
  const T = s.tokens / dp;
  const L = g.count / phase.pp;
  const elementwise = (name: string, bytes: number, formula: string): Op => ({
    layerType: g.type, layers: L, name, kind: "elementwise", flops: 0, weightBytes: 0, activationBytes: bytes, kvBytes: 0,
    computeDtype: "bf16", kernels: LAUNCHES.elementwise, formula,
  });
  if (g.kind === "norm") return [elementwise("rmsnorm + residual", 3 * T * H * act, "bytes = 3·tokens·H·bytes(act) (read x, read residual, write)")];
  if (g.kind === "embedding") return [elementwise("embedding gather", T * H * bytesPerElement(weightDtype(ir, plan, "embedding")), "bytes = tokens·H·bytes(w)")];
  if (g.kind === "lm_head") {
    const tp = phase.attention.tp * dp; // vocab split over the stage's GPUs
    const rows = s.logitRows;
    const wd = weightDtype(ir, plan, "lm_head");
    const ops = [gemm(g.type, L, "lm_head", rows, ir.vocab / tp, H, wd, act)];
    if (tp > 1) ops.push(collective(g.type, L, "all_gather", (rows * ir.vocab * 4) / tp, tp, "logits all-gather (fp32)"));
    return ops;
  }
  return [];
}

/** All ops of one step for one pipeline stage's GPU (layers counted per stage). */
export function stepOps(ir: ModelIR, plan: ParallelPlan, phase: PhasePlan, groups: LayerGroup[], s: StepInput): Op[] {
  const ops: Op[] = [];
  for (const g of groups) {
    if (g.kind === "attention") ops.push(...attentionOps(ir, plan, phase, g, s));
    else if (g.kind === "moe") ops.push(...moeOps(ir, plan, phase, g, s));
    else if (g.kind === "ffn") ops.push(...ffnOps(ir, plan, phase, g, s));
    else ops.push(...otherOps(ir, plan, phase, g, s));
  }
  if (phase.pp > 1) {
    const act = bytesPerElement(plan.activations);
    ops.push(collective("pipeline", phase.pp - 1, "p2p", (s.tokens / phase.attention.dp) * ir.hidden * act, 2, "pipeline stage hand-off"));
  }
  return ops;
}
