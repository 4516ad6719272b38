/** Elementwise family: norms and residual adds — memory traffic only (no measured table). */
import { bytesPerElement } from "../core/dtypes";
import type { ModelIR } from "../model/ir";
import type { ParallelPlan, PhasePlan } from "../parallel/plan";
import { LAUNCHES } from "./kernel-launches";
import { computeMemoryRoofline, type LayerGroup, type Op, type OpFamily, type StepInput } from "./op";

export function elementwiseOp(layerType: string, layers: number, name: string, bytes: number, formula: string): Op {
  return {
    layerType, layers, name, kind: "elementwise", flops: 0, weightBytes: 0, activationBytes: bytes, kvBytes: 0,
    computeDtype: "bf16", kernels: LAUNCHES.elementwise, formula,
  };
}

/** RMSNorm with the residual add of a norm layer, on one GPU (tokens split across attention-DP ranks). */
export function normOps(ir: ModelIR, plan: ParallelPlan, phase: PhasePlan, g: LayerGroup, s: StepInput): Op[] {
  const act = bytesPerElement(plan.activations);
  const T = s.tokens / phase.attention.dp;
  return [elementwiseOp(g.type, g.count / phase.pp, "rmsnorm + residual", 3 * T * ir.hidden * act, "bytes = 3·tokens·H·bytes(act) (read x, read residual, write)")];
}

export const ELEMENTWISE: OpFamily = {
  kind: "elementwise",
  roofline: (op, hw, eff) => computeMemoryRoofline(op, hw, eff, eff.gemm_compute.value),
};
