/**
 * Expert parallelism across GPUs: how tokens reach the experts of other GPUs and what that costs.
 *
 *  - `all_gather` (DP-attention without an all-to-all backend): every rank all-gathers the hidden
 *    states of all DP ranks before the experts and reduce-scatters the sums after (SGLang
 *    dp_gather / dp_scatter, TensorRT-LLM allgather + reducescatter); with TP attention the MoE
 *    output is all-reduced like any TP layer.
 *  - `all_to_all` (DeepEP normal / low-latency, AMD MoRI, TensorRT-LLM MNNVL): each rank sends each
 *    of its tokens' top-k copies to the rank holding that expert (dispatch) and gets the weighted
 *    outputs back (combine): bytes per GPU = local tokens × top-k × hidden × bytes per element.
 *  - load imbalance: the slowest EP rank sets the step; redundant expert slots (EPLB) even it out.
 *
 * The choice per pool follows the engine profile (`expert_parallel` in data/engines) unless the plan
 * sets it (`moe.exchange`, `moe.a2a`, `moe.redundant`, `moe.overlap`).
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { bytesPerElement } from "../core/dtypes";
import type { Assumption } from "../core/explain";
import { DATA_DIR } from "../core/paths";
import { parseOrThrow } from "../core/validate";
import type { EngineProfile } from "../engine/profile";
import type { HardwareProfile } from "../hardware/schema";
import { powerLawImbalance } from "../kernels/index";
import type { ModelIR, MoeSpec } from "../model/ir";
import type { ParallelPlan, PhasePlan } from "../parallel/plan";
import { weightDtype } from "../parallel/memory";
import { collectiveOp } from "./communication";
import type { Op, StepInput } from "./op";

const Setting = z.object({ value: z.number(), unit: z.string(), source: z.string(), uncertain: z.boolean().optional() }).strict();
const File = z.object({ _about: z.string(), routing_alpha: Setting, dispatch_bytes: z.object({ deepep: Setting, nvfp4: Setting }).strict() }).strict();
const FILE = "data/cost/moe.json";
export const MOE_SETTINGS = parseOrThrow(File, JSON.parse(fs.readFileSync(path.join(DATA_DIR, "cost", "moe.json"), "utf8")), FILE);

export type PoolRole = "aggregated" | "prefill" | "decode";

/** Whether the engine's rule puts this phase plan on all-to-all. */
function usesAllToAll(rule: EngineProfile["expert_parallel"]["all_to_all"]["value"], p: PhasePlan, m: MoeSpec, hw: HardwareProfile, role: PoolRole): boolean {
  if (p.attention.dp <= 1 || p.moe.ep <= 1) return false;
  switch (rule) {
    case "never":
      return false;
    case "dp_attention_ep":
      return true;
    case "disaggregated_dp_attention_ep":
      return role !== "aggregated";
    case "mnnvl_dp_attention_ep": {
      // A multi-node NVLink fabric: the NVLink domain spans more GPUs than one node (GB200 NVL72) and holds the EP group.
      const node = hw.node_gpus?.value ?? hw.scale_up.domain_gpus.value;
      return p.moe.ep >= m.topk && hw.scale_up.domain_gpus.value > node && p.moe.ep <= hw.scale_up.domain_gpus.value;
    }
  }
}

/**
 * The plan with the MoE exchange, all-to-all kernels, redundant experts and two-batch overlap of each phase
 * filled in from the engine profile where the plan leaves them unset; each choice recorded.
 */
export function resolveExpertParallel(ir: ModelIR, plan: ParallelPlan, engine: EngineProfile, hw: HardwareProfile, role: PoolRole): { plan: ParallelPlan; assumptions: Assumption[] } {
  const m = ir.layers.find((l) => l.moe)?.moe;
  if (!m) return { plan, assumptions: [] };
  const o = engine.expert_parallel;
  const assumptions: Assumption[] = [];
  const out: ParallelPlan = { ...plan };
  const phases: ("prefill" | "decode")[] = role === "prefill" ? ["prefill"] : role === "decode" ? ["decode"] : ["prefill", "decode"];
  for (const ph of phases) {
    const p = plan[ph];
    const moe = { ...p.moe };
    if (moe.exchange === undefined) {
      moe.exchange = usesAllToAll(o.all_to_all.value, p, m, hw, role) ? "all_to_all" : "all_gather";
      if (p.moe.ep > 1 && p.attention.dp > 1) assumptions.push({ what: `${role} ${ph} MoE exchange`, value: moe.exchange === "all_to_all" ? "all-to-all dispatch / combine" : "all-gather before, reduce-scatter after the experts", why: `data/engines/${engine.id}.json expert_parallel.all_to_all ${o.all_to_all.value}: ${o.all_to_all.source}` });
    }
    if (moe.exchange === "all_to_all" && moe.a2a === undefined) {
      moe.a2a = o.kernels[ph];
      assumptions.push({ what: `${role} ${ph} all-to-all kernels`, value: moe.a2a, why: `data/engines/${engine.id}.json expert_parallel.kernels: ${o.kernels.source}` });
    }
    if (moe.redundant === undefined) moe.redundant = p.moe.ep > 1 ? o.eplb_redundant_experts.value : 0;
    if (moe.overlap === undefined) moe.overlap = moe.exchange === "all_to_all" && o.two_batch_overlap.value;
    out[ph] = { ...p, moe };
  }
  return { plan: out, assumptions };
}

/** Max-rank / mean-rank expert load of a step with `tokens` tokens (1 with one EP rank or with redundant experts). */
export function rankImbalance(tokens: number, m: MoeSpec, p: PhasePlan): { factor: number; why: string } {
  const ep = p.moe.ep;
  if (ep <= 1) return { factor: 1, why: "one EP rank holds every expert" };
  if ((p.moe.redundant ?? 0) > 0) return { factor: 1, why: `EPLB: ${p.moe.redundant} redundant expert slots even out the ranks' load (assumed fully)` };
  if (m.experts % ep !== 0) return { factor: 1, why: "experts do not split evenly over EP (plan validation reports it)" };
  const a = MOE_SETTINGS.routing_alpha.value;
  // Sampled on a grid of token counts (IMBALANCE_GRID_PER_OCTAVE per doubling) and interpolated in log tokens:
  // each sample costs tens of ms, and a simulation meets thousands of distinct step sizes.
  const x = Math.log2(Math.max(1, tokens)) * IMBALANCE_GRID_PER_OCTAVE;
  const lo = Math.floor(x);
  const at = (i: number) => powerLawImbalance(Math.max(1, Math.round(Math.pow(2, i / IMBALANCE_GRID_PER_OCTAVE))), m.experts, m.topk, ep, a).maxOverMean;
  const f = lo === x ? at(lo) : at(lo) + (at(lo + 1) - at(lo)) * (x - lo);
  return { factor: f, why: `power-law routing, alpha ${a} (${FILE} routing_alpha): busiest of ${ep} EP ranks over the mean` };
}

/** Grid of the imbalance in token counts: 4 points per doubling (the ratio moves a few % per doubling, so interpolation errs < 1%). */
const IMBALANCE_GRID_PER_OCTAVE = 4;

/** Bytes per hidden element of an all-to-all dispatch with these kernels. */
export function dispatchBytes(a2a: NonNullable<PhasePlan["moe"]["a2a"]>, ir: ModelIR, plan: ParallelPlan): number {
  if (a2a === "mnnvl") return weightDtype(ir, plan, "experts") === "nvfp4" ? MOE_SETTINGS.dispatch_bytes.nvfp4.value : bytesPerElement(plan.activations);
  return MOE_SETTINGS.dispatch_bytes.deepep.value;
}

/** The collectives that move tokens to the experts and back, on one GPU of the MoE group. */
export function expertExchangeOps(ir: ModelIR, plan: ParallelPlan, p: PhasePlan, layerType: string, layers: number, m: MoeSpec, s: StepInput): Op[] {
  const H = ir.hidden;
  const act = bytesPerElement(plan.activations);
  const T = s.tokens;
  const dp = p.attention.dp;
  const gpus = p.moe.tp * p.moe.ep;
  if (gpus <= 1) return [];
  if (dp <= 1) return [collectiveOp(layerType, layers, "all_reduce", T * H * act, gpus, "MoE output all-reduce")];
  if (p.moe.exchange === "all_to_all") {
    const kind = p.moe.a2a ?? "normal";
    const copies = (T / dp) * m.topk;
    const a2a = { kernels: kind, topk: m.topk, overlapped: p.moe.overlap === true };
    const dispatch = collectiveOp(layerType, layers, "all_to_all", copies * H * dispatchBytes(kind, ir, plan), p.moe.ep, `MoE dispatch (${kind})`);
    const combine = collectiveOp(layerType, layers, "all_to_all", copies * H * act, p.moe.ep, `MoE combine (${kind})`);
    dispatch.formula = "bytes per GPU = local tokens × top-k × hidden × dispatch bytes per element";
    combine.formula = "bytes per GPU = local tokens × top-k × hidden × bytes(activations)";
    return [{ ...dispatch, comm: { ...dispatch.comm!, a2a } }, { ...combine, comm: { ...combine.comm!, a2a } }];
  }
  // DP-attention: each rank gathers all tokens before the experts and scatters the sums back.
  return [
    collectiveOp(layerType, layers, "all_gather", T * H * act, gpus, "MoE token all-gather"),
    collectiveOp(layerType, layers, "reduce_scatter", T * H * act, gpus, "MoE output reduce-scatter"),
  ];
}
