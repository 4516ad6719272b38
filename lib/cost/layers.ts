/** The ops of one engine step, layer by layer: each layer kind asks its op family for its ops. */
import { bytesPerElement } from "../core/dtypes";
import type { ModelIR } from "../model/ir";
import type { ParallelPlan, PhasePlan } from "../parallel/plan";
import { ATTENTION, attentionOps } from "./attention";
import { COMMUNICATION, collectiveOp } from "./communication";
import { ELEMENTWISE, normOps } from "./elementwise";
import { embeddingOps, lmHeadOps } from "./embedding";
import { GEMM, ffnOps } from "./gemm";
import { MOE, moeOps } from "./moe";
import type { LayerGroup, Op, OpFamily, OpKind, StepInput } from "./op";

/** Every op family by the op kind it times. */
export const FAMILIES: Record<OpKind, OpFamily> = { gemm: GEMM, attention: ATTENTION, moe: MOE, comm: COMMUNICATION, elementwise: ELEMENTWISE };

type LayerOps = (ir: ModelIR, plan: ParallelPlan, phase: PhasePlan, g: LayerGroup, s: StepInput) => Op[];

/** The ops of one layer group (attention: projections and core together). */
export const LAYER_OPS: Record<LayerGroup["kind"], LayerOps> = {
  attention: (ir, plan, phase, g, s) => attentionOps(ir, plan, phase, g, s),
  moe: moeOps,
  ffn: ffnOps,
  norm: normOps,
  embedding: embeddingOps,
  lm_head: lmHeadOps,
};

/**
 * Pipeline stage hand-off: a micro-batch passes its activations to the next stage once per stage (the last
 * stage's sampled tokens return to the first), so each stage's share of a pipelined step carries one p2p.
 */
export function pipelineOps(ir: ModelIR, plan: ParallelPlan, phase: PhasePlan, s: StepInput): Op[] {
  if (phase.pp <= 1) return [];
  const act = bytesPerElement(plan.activations);
  return [collectiveOp("pipeline", 1, "p2p", (s.tokens / phase.attention.dp) * ir.hidden * act, 2, "pipeline stage hand-off (one per stage and micro-batch)")];
}

/** All ops of one step for one pipeline stage's GPU (layers counted per stage). */
export function stepOps(ir: ModelIR, plan: ParallelPlan, phase: PhasePlan, groups: LayerGroup[], s: StepInput): Op[] {
  const ops: Op[] = [];
  for (const g of groups) ops.push(...LAYER_OPS[g.kind](ir, plan, phase, g, s));
  ops.push(...pipelineOps(ir, plan, phase, s));
  return ops;
}
