/** Memory per GPU for a plan: weight shards, KV cache per token, and what is left for KV. */
import { bytesPerElement } from "../core/dtypes";
import { derive, fact, type Explained } from "../core/explain";
import type { MemoryPolicy } from "../engine/profile";
import { deviceMemoryBytes } from "../hardware/memory";
import type { HardwareProfile } from "../hardware/schema";
import { kvElementsPerToken } from "../model/build";
import type { Dtype } from "../core/dtypes";
import type { DtypeGroup, LayerIR, ModelIR, TensorIR } from "../model/ir";
import type { ParallelPlan, PhasePlan } from "./plan";

/** The dtype a plan stores a weight group in: the plan's choice, else the checkpoint's. */
export function weightDtype(ir: ModelIR, plan: ParallelPlan, g: DtypeGroup): Dtype {
  return plan.weights[g] ?? ir.defaultDtypes[g];
}

/** Which plan degree splits a tensor on one stage's GPUs (the same for every layer of a kind). */
type ShardRule = "tp" | "kv" | "none" | "moe" | "ffn" | "vocab";

function shardRule(l: LayerIR, x: TensorIR): ShardRule {
  switch (x.group) {
    case "attention": {
      const a = l.attention;
      if (a && !a.mla && /k_proj|v_proj/.test(x.name)) return "kv"; // KV heads replicate beyond their count
      if (a?.mla && /kv_a_proj|q_a_proj/.test(x.name)) return "none"; // MLA down-projections are replicated
      if (/o_proj\.bias/.test(x.name)) return "none";
      return "tp";
    }
    case "experts":
      return "moe";
    case "ffn":
      return l.kind === "moe" ? "moe" : "ffn";
    case "embedding":
    case "lm_head":
      return "vocab";
    default:
      return "none"; // router, norms
  }
}

function shardOf(rule: ShardRule, p: PhasePlan, kvHeads: number): number {
  switch (rule) {
    case "tp":
      return p.attention.tp;
    case "kv":
      return Math.min(p.attention.tp, kvHeads);
    case "moe":
      return p.moe.tp * p.moe.ep;
    case "ffn":
      return p.ffn.tp;
    case "vocab":
      return p.attention.tp * p.attention.dp;
    case "none":
      return 1;
  }
}

/** Parameters per (dtype group, shard rule), summed once per model: memory then costs O(groups), not O(tensors). */
const paramClasses = new WeakMap<ModelIR, { group: TensorIR["group"]; rule: ShardRule; params: number }[]>();
function classesOf(ir: ModelIR) {
  let c = paramClasses.get(ir);
  if (!c) {
    const m = new Map<string, { group: TensorIR["group"]; rule: ShardRule; params: number }>();
    for (const l of ir.layers) {
      for (const x of l.tensors) {
        const rule = shardRule(l, x);
        const k = `${x.group}|${rule}`;
        const e = m.get(k) ?? { group: x.group, rule, params: 0 };
        e.params += x.params;
        m.set(k, e);
      }
    }
    c = [...m.values()];
    paramClasses.set(ir, c);
  }
  return c;
}

export interface MemoryReport {
  weightsPerGpu: Explained;
  /** KV bytes per token of context per GPU over full-attention layers (grows with context). */
  kvPerTokenPerGpu: Explained;
  /** KV bytes per sequence per GPU held by sliding-window layers once past the window (fixed). */
  kvWindowPerSeqPerGpu: Explained;
  usablePerGpu: Explained;
  kvPoolPerGpu: Explained;
  /** Tokens of full-attention context the KV pool holds, summed over the sequences one attention rank serves. */
  kvCapacityTokens: Explained;
}

export function memoryReport(
  ir: ModelIR,
  hw: HardwareProfile,
  plan: ParallelPlan,
  phase: PhasePlan,
  engine: MemoryPolicy,
): MemoryReport {
  let weights = 0;
  const kvHeads = ir.layers.find((l) => l.attention)?.attention?.kvHeads ?? 1;
  // Redundant expert slots (EPLB) hold extra copies of routed experts: (experts + redundant) / experts of their weights.
  const experts = ir.layers.find((l) => l.moe)?.moe?.experts ?? 1;
  const redundancy = 1 + (phase.moe.redundant ?? 0) / experts;
  for (const c of classesOf(ir)) weights += (c.params * bytesPerElement(weightDtype(ir, plan, c.group)) * (c.group === "experts" ? redundancy : 1)) / shardOf(c.rule, phase, kvHeads);
  // The largest pipeline stage holds 1/pp of the decoder blocks (embedding and head sit on end stages).
  weights /= phase.pp;
  const kvB = bytesPerElement(plan.kvCache);
  let perToken = 0;
  let windowPerSeq = 0;
  let windowPerToken = 0;
  for (const l of ir.layers) {
    const a = l.attention;
    if (!a) continue;
    // MLA's latent is one shared "head": every TP rank of an attention group stores all of it (DP-attention
    // ranks store only their own sequences, which the pool counts per rank: kvCapacityTokens × dp per replica).
    const shard = a.mla ? 1 : Math.min(phase.attention.tp, a.kvHeads);
    const bytes = (kvElementsPerToken(a) * kvB) / shard / phase.pp;
    if (a.window && engine.slidingWindowTrim) {
      windowPerSeq += bytes * a.window;
      windowPerToken += bytes;
    } else perToken += bytes;
  }
  const cap = deviceMemoryBytes(hw);
  const w = derive(weights, "B", "Σ tensors params · bytes(dtype) / shard factor / pp", {
    plan: fact(0, "", "override", JSON.stringify(phase)),
  });
  const reserve = derive(engine.runtimeReserveGb.value * 1e9, "B", "runtime_reserve_gb · 1e9", { runtime_reserve_gb: engine.runtimeReserveGb });
  // "total": the engine takes a fraction of the device (vLLM gpu_memory_utilization, SGLang mem_fraction_static);
  // "free": the KV pool takes a fraction of what is left after weights and the runtime (TensorRT-LLM free_gpu_memory_fraction).
  const usable =
    engine.basis === "total"
      ? derive(cap.value * engine.gpuMemoryUtilization.value, "B", "device memory · memory fraction", { device_memory: cap, memory_fraction: engine.gpuMemoryUtilization })
      : derive(engine.gpuMemoryUtilization.value * cap.value + (1 - engine.gpuMemoryUtilization.value) * (w.value + reserve.value), "B", "weights + reserve + memory fraction · (device memory − weights − reserve)", { device_memory: cap, memory_fraction: engine.gpuMemoryUtilization, weights: w, reserve });
  const pool = derive(usable.value - w.value - reserve.value, "B", "usable − weights − runtime reserve", { usable, weights: w, reserve });
  // Every layer windowed (Mistral-7B v0.1): the pool is counted in tokens of the window layers, each
  // sequence's tokens in full (conservative past the window), since no layer grows without bound.
  const allWindowed = perToken === 0 && windowPerToken > 0;
  if (allWindowed) {
    perToken = windowPerToken;
    windowPerSeq = 0;
  }
  const kvTok = derive(perToken, "B/token", allWindowed ? "Σ sliding layers kv elements per token · bytes(kv) / kv shards / pp (every layer windowed: counted in full)" : "Σ full-attention layers kv elements per token · bytes(kv) / kv shards / pp", {
    kv_dtype_bytes: fact(kvB, "B", "override", `plan kvCache ${plan.kvCache}`),
  });
  const kvWin = derive(windowPerSeq, "B/seq", "Σ sliding layers kv elements per token · bytes(kv) · window / kv shards / pp", {});
  const capTokens = derive(Math.max(0, pool.value) / Math.max(perToken, 1e-9), "tokens", "kv pool / kv bytes per token", {
    kv_pool: pool,
    kv_per_token: kvTok,
  });
  return { weightsPerGpu: w, kvPerTokenPerGpu: kvTok, kvWindowPerSeqPerGpu: kvWin, usablePerGpu: usable, kvPoolPerGpu: pool, kvCapacityTokens: capTokens };
}

export interface MinimumChips {
  /** Fewest GPUs whose memory holds the weights plus the KV of `contextTokens`, and the plan found. */
  chips: number;
  tp: number;
  pp: number;
  reason: string;
}

/**
 * The smallest TP × PP (TP within one scale-up domain, powers of two; MoE experts split over the same
 * GPUs) whose per-GPU weights plus the KV cache of `contextTokens` tokens fit the usable memory.
 * Only layouts that pass plan validation count.
 */
export function minimumChips(
  ir: ModelIR,
  hw: HardwareProfile,
  plan: ParallelPlan,
  engine: MemoryPolicy,
  contextTokens: number,
  validate: (p: ParallelPlan) => boolean,
): MinimumChips | undefined {
  const domain = hw.scale_up.domain_gpus.value;
  const candidates: { tp: number; pp: number }[] = [];
  for (let pp = 1; pp <= 64; pp *= 2) for (let tp = 1; tp <= domain; tp *= 2) candidates.push({ tp, pp });
  candidates.sort((a, b) => a.tp * a.pp - b.tp * b.pp || b.tp - a.tp);
  for (const { tp, pp } of candidates) {
    const moe = ir.layers.find((l) => l.moe)?.moe;
    const ep = moe && moe.experts % tp === 0 ? tp : 1;
    const phase: PhasePlan = { pp, attention: { tp, dp: 1, cp: 1 }, moe: { tp: tp / ep, ep }, ffn: { tp }, sp: false };
    const p: ParallelPlan = { ...plan, prefill: phase, decode: phase };
    if (!validate(p)) continue;
    const m = memoryReport(ir, hw, p, phase, engine);
    if (m.kvCapacityTokens.value >= contextTokens) {
      return { chips: tp * pp, tp, pp, reason: `TP ${tp} × PP ${pp}${ep > 1 ? ` (EP ${ep})` : ""}: ${(m.weightsPerGpu.value / 1e9).toFixed(1)} GB of weights and ${Math.floor(m.kvCapacityTokens.value)} KV tokens per GPU` };
    }
  }
  return undefined;
}
