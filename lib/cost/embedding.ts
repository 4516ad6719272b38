/** Embedding and head: the token-embedding gather (elementwise) and the LM head GEMM with its logits all-gather. */
import { bytesPerElement } from "../core/dtypes";
import type { ModelIR } from "../model/ir";
import type { ParallelPlan, PhasePlan } from "../parallel/plan";
import { weightDtype } from "../parallel/memory";
import { collectiveOp } from "./communication";
import { elementwiseOp } from "./elementwise";
import { gemmOp } from "./gemm";
import type { LayerGroup, Op, StepInput } from "./op";

export function embeddingOps(ir: ModelIR, plan: ParallelPlan, phase: PhasePlan, g: LayerGroup, s: StepInput): Op[] {
  const T = s.tokens / phase.attention.dp;
  return [elementwiseOp(g.type, g.count / phase.pp, "embedding gather", T * ir.hidden * bytesPerElement(weightDtype(ir, plan, "embedding")), "bytes = tokens·H·bytes(w)")];
}

/** The LM head on the rows that emit a token, vocabulary split over the stage's GPUs, then the fp32 logits gathered. */
export function lmHeadOps(ir: ModelIR, plan: ParallelPlan, phase: PhasePlan, g: LayerGroup, s: StepInput): Op[] {
  const act = bytesPerElement(plan.activations);
  const L = g.count / phase.pp;
  const tp = phase.attention.tp * phase.attention.dp; // vocab split over the stage's GPUs
  const rows = s.logitRows;
  const wd = weightDtype(ir, plan, "lm_head");
  const ops = [gemmOp(g.type, L, "lm_head", rows, ir.vocab / tp, ir.hidden, wd, act)];
  if (tp > 1) ops.push(collectiveOp(g.type, L, "all_gather", (rows * ir.vocab * bytesPerElement("fp32")) / tp, tp, "logits all-gather (fp32)"));
  return ops;
}
