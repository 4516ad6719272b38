/** Plan validation: every violation at once, each with the fix. */
import type { ModelIR } from "../model/ir";
import type { ParallelPlan, PhasePlan } from "./plan";
import { stageGpus } from "./plan";

export interface Violation {
  severity: "error" | "warning";
  phase: "prefill" | "decode";
  field: string;
  message: string;
  fix: string;
}

export function validatePlan(ir: ModelIR, plan: ParallelPlan): Violation[] {
  const out: Violation[] = [];
  for (const phaseName of ["prefill", "decode"] as const) {
    const p: PhasePlan = plan[phaseName];
    const v = (severity: Violation["severity"], field: string, message: string, fix: string) => out.push({ severity, phase: phaseName, field, message, fix });
    const att = ir.layers.find((l) => l.attention)?.attention;
    const moe = ir.layers.find((l) => l.moe)?.moe;
    const ffn = ir.layers.find((l) => l.ffn)?.ffn;
    const tp = p.attention.tp;
    if (att) {
      if (att.heads % tp !== 0) v("error", "attention.tp", `${att.heads} attention heads do not split over tp=${tp}`, `use an attention.tp that divides ${att.heads}`);
      if (!att.mla && tp > att.kvHeads) {
        if (tp % att.kvHeads !== 0) v("error", "attention.tp", `tp=${tp} is not a multiple of ${att.kvHeads} KV heads`, `use attention.tp dividing or a multiple of ${att.kvHeads}`);
        else v("warning", "attention.tp", `tp=${tp} exceeds ${att.kvHeads} KV heads: each KV head is replicated ${tp / att.kvHeads}×`, "accept the replicated KV cache, or use DP-attention");
      } else if (!att.mla && att.kvHeads % tp !== 0) {
        v("error", "attention.tp", `${att.kvHeads} KV heads do not split over tp=${tp}`, `use an attention.tp that divides ${att.kvHeads}`);
      }
    }
    if (moe) {
      if (moe.experts % p.moe.ep !== 0) v("error", "moe.ep", `${moe.experts} experts do not split over ep=${p.moe.ep}`, `use an ep that divides ${moe.experts}`);
      if (moe.expertIntermediate % p.moe.tp !== 0) v("error", "moe.tp", `expert intermediate ${moe.expertIntermediate} does not split over moe.tp=${p.moe.tp}`, `use a moe.tp that divides ${moe.expertIntermediate}`);
    } else if (p.moe.ep > 1) {
      v("warning", "moe.ep", `ep=${p.moe.ep} set but ${ir.id} has no MoE layers`, "remove moe.ep");
    }
    if (ffn && ffn.intermediate % p.ffn.tp !== 0) v("error", "ffn.tp", `FFN intermediate ${ffn.intermediate} does not split over ffn.tp=${p.ffn.tp}`, `use an ffn.tp that divides ${ffn.intermediate}`);
    if (ir.blocks % p.pp !== 0) v("warning", "pp", `${ir.blocks} blocks over pp=${p.pp} stages are uneven`, `use a pp that divides ${ir.blocks}`);
    const gpus = stageGpus(p);
    const attG = p.attention.tp * p.attention.dp * p.attention.cp;
    const moeG = p.moe.tp * p.moe.ep;
    if (moe && attG !== moeG) v("error", "moe", `attention uses ${attG} GPUs per stage but MoE uses ${moeG}`, `make moe.tp × moe.ep = attention.tp × attention.dp × attention.cp = ${gpus}`);
    if (ffn && p.ffn.tp !== attG) v("error", "ffn.tp", `attention uses ${attG} GPUs per stage but the FFN uses ffn.tp=${p.ffn.tp}`, `set ffn.tp = ${attG}`);
    if (p.attention.cp > 1 && phaseName === "decode") v("warning", "attention.cp", "context parallelism is modelled for prefill only", "use cp=1 for decode");
  }
  return out;
}
