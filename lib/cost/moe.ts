/** MoE family: router, routed experts (grouped GEMMs), shared experts and the expert-group collectives — counting, table key, roofline. */
import { bytesPerElement, computeDtypeOf, type Dtype } from "../core/dtypes";
import type { ModelIR, MoeSpec } from "../model/ir";
import type { ParallelPlan, PhasePlan } from "../parallel/plan";
import { weightDtype } from "../parallel/memory";
import { collectiveOp } from "./communication";
import { gemmOp } from "./gemm";
import { LAUNCHES } from "./kernel-launches";
import { computeMemoryRoofline, type LayerGroup, type Op, type OpFamily, type StepInput } from "./op";

/** MoE kernels by expert weight dtype (activations bf16 unless the format says otherwise). */
const MOE_DTYPE: Partial<Record<Dtype, string>> = { bf16: "bf16", fp16: "bf16", fp8: "fp8", "fp8-block": "fp8_block", nvfp4: "nvfp4", mxfp4: "w4a16_mxfp4", int4: "int4_wo" };

/** MoE routing assumed when reading the MoE tables (see lib/kernels MoeQuery.distribution). */
export const MOE_TABLE_DISTRIBUTION = "power_law_1.01";

/** Expected distinct experts hit when `tokens` tokens each pick `topk` of `experts` uniformly at random. */
export function expectedActiveExperts(tokens: number, topk: number, experts: number): number {
  return experts * (1 - Math.pow(1 - topk / experts, tokens));
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
  const ops: Op[] = [gemmOp(g.type, L, "router", T / dp, m.experts, H, rd, act)];
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
    ops.push(gemmOp(g.type, L, "shared_gate_up", T, (m.gated ? 2 : 1) * I, H, weightDtype(ir, plan, "ffn"), act));
    ops.push(gemmOp(g.type, L, "shared_down", T, H, I, weightDtype(ir, plan, "ffn"), act));
  }
  const gpus = tp * ep;
  if (gpus > 1) {
    if (dp > 1) {
      // DP-attention: each rank gathers all tokens before the experts and scatters the sums back.
      ops.push(collectiveOp(g.type, L, "all_gather", T * H * act, gpus, "MoE token all-gather"));
      ops.push(collectiveOp(g.type, L, "reduce_scatter", T * H * act, gpus, "MoE output reduce-scatter"));
    } else {
      ops.push(collectiveOp(g.type, L, "all_reduce", T * H * act, gpus, "MoE output all-reduce"));
    }
  }
  return ops;
}

export const MOE: OpFamily = {
  kind: "moe",
  lookup(t, op) {
    const m = op.moe!;
    const d = MOE_DTYPE[m.weightDtype];
    if (!d) return undefined;
    return t.moe({ tokens: Math.max(1, Math.ceil(m.tokens)), hidden: m.hidden, inter: m.inter, topk: m.topk, experts: m.experts, tp: m.tp, ep: m.ep, dtype: d, distribution: MOE_TABLE_DISTRIBUTION });
  },
  roofline: (op, hw, eff) => computeMemoryRoofline(op, hw, eff, eff.moe_compute.value),
};
