/**
 * MoE family: router, routed experts (grouped GEMMs), shared experts and the expert-parallel exchange
 * (./expert-parallel.ts) — counting, table key, roofline.
 *
 * The measured MoE tables (lib/kernels lookup-moe.ts) are read for uniform routing (`distribution:
 * "uniform"`, derived from the balanced rows); the load imbalance between EP ranks is applied here: the
 * table is queried at tokens × imbalance, i.e. the busiest rank's pairs (imbalance × tokens·k/ep) with
 * the distinct experts uniform routing touches at that many tokens. Grouped-GEMM efficiency by tokens per
 * expert is what the tables measure along their token axis; the roofline takes the larger of weight
 * reads (few tokens per expert) and FLOPs (many). Dtypes whose tables were measured without the engine's
 * autotuning (the lookup's `caveat`, e.g. w4a16_mxfp4) stay on the calibrated roofline.
 */
import { bytesPerElement, computeDtypeOf, type Dtype } from "../core/dtypes";
import { roundLength } from "../core/round";
import type { ModelIR, MoeSpec } from "../model/ir";
import type { ParallelPlan, PhasePlan } from "../parallel/plan";
import { weightDtype } from "../parallel/memory";
import { expertExchangeOps, rankImbalance } from "./expert-parallel";
import { gemmOp } from "./gemm";
import { LAUNCHES } from "./kernel-launches";
import { moeTransferLookup } from "./moe-transfer";
import { computeMemoryRoofline, type LayerGroup, type Op, type OpFamily, type StepInput } from "./op";

/** MoE kernels by expert weight dtype (activations bf16 unless the format says otherwise). */
const MOE_DTYPE: Partial<Record<Dtype, string>> = { bf16: "bf16", fp16: "bf16", fp8: "fp8", "fp8-block": "fp8_block", nvfp4: "nvfp4", mxfp4: "w4a16_mxfp4", int4: "int4_wo" };

/** Token counts as MoE lookup keys: whole, at least 1, rounded to 1/256 of an octave (lib/core/round.ts) so lookups are reused. */
const tokenKey = (x: number): number => Math.max(1, roundLength(Math.ceil(x)));

/** MoE routing assumed when reading the MoE tables: uniform (lib/kernels MoeQuery.distribution); imbalance is applied on top. */
export const MOE_TABLE_DISTRIBUTION = "uniform";

/** Expected distinct experts hit when `tokens` tokens each pick `topk` of `experts` uniformly at random. */
export function expectedActiveExperts(tokens: number, topk: number, experts: number): number {
  return experts * (1 - Math.pow(1 - topk / experts, tokens));
}

/** Σ_{j=1..experts} j^−skew, once per (skew, experts): a fitted profile has one skew, a model one expert count. */
const zipfNorms = new Map<string, number>();
function zipfNorm(skew: number, experts: number): number {
  const key = `${skew}|${experts}`;
  let norm = zipfNorms.get(key);
  if (norm === undefined) {
    norm = 0;
    for (let e = 1; e <= experts; e++) norm += Math.pow(e, -skew);
    zipfNorms.set(key, norm);
  }
  return norm;
}

/**
 * Expected distinct experts hit when expert popularity follows a Zipf law of exponent `skew` (0 = uniform):
 * a token includes the e-th most popular expert with probability min(1, topk · e^−skew / Σ_j j^−skew), so
 * Σ_e 1 − (1 − that)^tokens. At skew 0 this is expectedActiveExperts.
 */
export function activeExpertsUnder(skew: number, tokens: number, topk: number, experts: number): number {
  if (skew <= 0) return expectedActiveExperts(tokens, topk, experts);
  const norm = zipfNorm(skew, experts);
  let hit = 0;
  for (let e = 1; e <= experts; e++) hit += 1 - Math.pow(1 - Math.min(1, (topk * Math.pow(e, -skew)) / norm), tokens);
  return hit;
}

/** The routed-expert op with its weight reads for routing of Zipf exponent `skew` (the op is built for uniform routing). */
export function withRoutingSkew(op: Op, skew: number): Op {
  const m = op.moe;
  if (!m || skew <= 0) return op;
  const uniform = expectedActiveExperts(m.tokens, m.topk, m.experts);
  const ratio = uniform > 0 ? activeExpertsUnder(skew, m.tokens, m.topk, m.experts) / uniform : 1;
  return { ...op, weightBytes: op.weightBytes * ratio };
}

/** The routed-expert op on the busiest GPU of the (moe.tp × moe.ep) group. */
export function routedExpertsOp(ir: ModelIR, plan: ParallelPlan, phase: PhasePlan, layerType: string, layers: number, m: MoeSpec, tokens: number): Op {
  const H = ir.hidden;
  const act = bytesPerElement(plan.activations);
  const wd = weightDtype(ir, plan, "experts");
  const { tp, ep } = phase.moe;
  const imb = rankImbalance(tokens, m, phase);
  const busiest = tokens * imb.factor;
  const perExpertParams = ((m.gated ? 2 : 1) * m.expertIntermediate + m.expertIntermediate) * H / tp;
  const active = expectedActiveExperts(busiest, m.topk, m.experts) / ep;
  const assignments = (busiest * m.topk) / ep;
  return {
    layerType, layers, name: "experts", kind: "moe",
    flops: 2 * assignments * perExpertParams,
    weightBytes: active * perExpertParams * bytesPerElement(wd),
    activationBytes: assignments * (H + H) * act + tokens * H * act,
    kvBytes: 0, computeDtype: computeDtypeOf(wd), kernels: LAUNCHES.moe,
    formula:
      `busiest rank at tokens × imbalance ${imb.factor.toFixed(3)} (${imb.why}); flops = 2·(tokens·imbalance·topk/ep)·(3·I·H/tp); ` +
      "weight bytes = E·(1 − (1 − k/E)^(tokens·imbalance))/ep experts hit · expert bytes/tp; tokens per expert = tokens·imbalance·k/E",
    moe: { tokens: busiest, hidden: H, inter: m.expertIntermediate, topk: m.topk, experts: m.experts, tp, ep, weightDtype: wd, imbalance: imb.factor },
  };
}

/** Ops of an MoE layer on one GPU of the (moe.tp × moe.ep) group. */
export function moeOps(ir: ModelIR, plan: ParallelPlan, phase: PhasePlan, g: LayerGroup, s: StepInput): Op[] {
  const m = g.layer.moe as MoeSpec;
  const H = ir.hidden;
  const act = bytesPerElement(plan.activations);
  const rd = weightDtype(ir, plan, "router");
  const { tp, ep } = phase.moe;
  const dp = phase.attention.dp;
  const L = g.count / phase.pp;
  const T = s.tokens; // every token of the stage reaches the MoE group
  const ops: Op[] = [gemmOp(g.type, L, "router", T / dp, m.experts, H, rd, act)];
  ops.push(routedExpertsOp(ir, plan, phase, g.type, L, m, T));
  if (m.sharedExperts > 0) {
    const I = (m.sharedExperts * m.sharedIntermediate) / (tp * ep);
    ops.push(gemmOp(g.type, L, "shared_gate_up", T, (m.gated ? 2 : 1) * I, H, weightDtype(ir, plan, "ffn"), act));
    ops.push(gemmOp(g.type, L, "shared_down", T, H, I, weightDtype(ir, plan, "ffn"), act));
  }
  ops.push(...expertExchangeOps(ir, plan, phase, g.type, L, m, s));
  return ops;
}

export const MOE: OpFamily = {
  kind: "moe",
  memoKey(op) {
    const m = op.moe!;
    return `moe|${m.weightDtype}|${m.hidden}|${m.inter}|${m.topk}|${m.experts}|${m.tp}|${m.ep}|${tokenKey(m.tokens)}`;
  },
  lookup(t, op) {
    const m = op.moe!;
    const d = MOE_DTYPE[m.weightDtype];
    if (!d) return undefined;
    const q = { tokens: tokenKey(m.tokens), hidden: m.hidden, inter: m.inter, topk: m.topk, experts: m.experts, tp: m.tp, ep: m.ep, dtype: d, distribution: MOE_TABLE_DISTRIBUTION };
    // An unmeasured shape borrows the efficiency of the nearest measured one (./moe-transfer.ts).
    const r = t.moe(q) ?? moeTransferLookup(t, q);
    // Untuned measurements (the table's caveat) are slower than serving: keep the calibrated roofline.
    return r && !r.caveat ? r : undefined;
  },
  // Weight reads follow the calibrated routing skew (moe_routing_skew; 0 = uniform, as the op is built).
  roofline: (op, hw, eff) => computeMemoryRoofline(withRoutingSkew(op, eff.moe_routing_skew.value), hw, eff, eff.moe_compute.value),
};
