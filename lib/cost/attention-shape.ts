/** What every attention family's costing starts from: the layer's spec and this GPU's share of the step. */
import { bytesPerElement, type Dtype } from "../core/dtypes";
import type { AttentionSpec, ModelIR } from "../model/ir";
import type { ParallelPlan, PhasePlan } from "../parallel/plan";
import { weightDtype } from "../parallel/memory";
import type { LayerGroup, StepInput } from "./op";

export interface AttentionShape {
  a: AttentionSpec;
  /** Hidden size, bytes per activation / KV element, weight dtype. */
  H: number;
  act: number;
  kvB: number;
  wd: Dtype;
  /** Attention TP and DP degrees; tokens on this GPU's rank (T = tokens / dp); layers on this stage (L = count / pp). */
  tp: number;
  dp: number;
  T: number;
  L: number;
}

export function attentionShape(ir: ModelIR, plan: ParallelPlan, phase: PhasePlan, g: LayerGroup, s: StepInput): AttentionShape {
  const dp = phase.attention.dp;
  return {
    a: g.layer.attention as AttentionSpec,
    H: ir.hidden,
    act: bytesPerElement(plan.activations),
    kvB: bytesPerElement(plan.kvCache),
    wd: weightDtype(ir, plan, "attention"),
    tp: phase.attention.tp,
    dp,
    T: s.tokens / dp,
    L: g.count / phase.pp,
  };
}
