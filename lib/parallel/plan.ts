/**
 * Parallelism plan: how one model replica is laid out on its GPUs, per layer kind and per phase.
 * A replica of G GPUs runs pipeline stages of G/pp GPUs; inside a stage attention uses tp × dp
 * (dp = DP-attention: each rank owns whole sequences), MoE uses tp × ep, dense layers use tp.
 */
import { z } from "zod";
import { Dtype } from "../core/dtypes";
import type { DtypeGroup } from "../model/ir";

const deg = (what: string) =>
  z.number({ invalid_type_error: `${what} must be a whole number ≥ 1` }).int(`${what} must be a whole number`).min(1, `${what} must be ≥ 1`);

export const PhasePlan = z
  .object({
    /** Pipeline stages. */
    pp: deg("pp").default(1),
    attention: z
      .object({
        tp: deg("attention.tp").default(1),
        /** DP-attention ranks: sequences split across them, weights replicated. */
        dp: deg("attention.dp").default(1),
        /** Context parallel (prefill): the sequence split across ranks, ring exchange of KV. */
        cp: deg("attention.cp").default(1),
      })
      .strict()
      .default({}),
    moe: z
      .object({
        tp: deg("moe.tp").default(1),
        ep: deg("moe.ep").default(1),
        /**
         * How tokens reach the experts of other GPUs (lib/cost/expert-parallel.ts): `all_gather` (all-gather before,
         * reduce-scatter after — DP-attention without an all-to-all backend; an all-reduce with TP attention) or
         * `all_to_all` (dispatch / combine of each token's top-k copies: DeepEP, MoRI, TensorRT-LLM MNNVL).
         * Unset: the engine profile's rule decides (`expert_parallel` in data/engines).
         */
        exchange: z.enum(["all_gather", "all_to_all"]).optional(),
        /**
         * All-to-all kernels: DeepEP (or AMD MoRI) `normal` (high throughput, each token sent once per remote node), DeepEP
         * `low_latency` (one copy per expert, CUDA-graph friendly), or TensorRT-LLM's `mnnvl` all-to-all over the NVLink fabric.
         */
        a2a: z.enum(["normal", "low_latency", "mnnvl"]).optional(),
        /** Redundant expert slots across the EP group (EPLB): they even out the ranks' load at the cost of their weights. */
        redundant: z.number().int().min(0, "moe.redundant must be ≥ 0").optional(),
        /** Two-batch overlap: the step runs as two micro-batches and the all-to-all of one hides behind the other's compute. */
        overlap: z.boolean().optional(),
      })
      .strict()
      .default({}),
    ffn: z.object({ tp: deg("ffn.tp").default(1) }).strict().default({}),
    /** Sequence parallel for norms / residual: all-reduce becomes reduce-scatter + all-gather. */
    sp: z.boolean().default(false),
  })
  .strict();
export type PhasePlan = z.infer<typeof PhasePlan>;

export const ParallelPlan = z
  .object({
    prefill: PhasePlan,
    decode: PhasePlan,
    /** Weight dtype per group; missing groups use the checkpoint's dtypes. */
    weights: z.record(z.enum(["attention", "ffn", "experts", "router", "embedding", "lm_head", "norm"]), Dtype).default({}),
    kvCache: Dtype.default("bf16"),
    /** Activation / communication dtype. */
    activations: Dtype.default("bf16"),
  })
  .strict();
export type ParallelPlan = z.infer<typeof ParallelPlan>;
export type ParallelPlanInput = z.input<typeof ParallelPlan>;

/** GPUs one stage of a phase uses (all layer kinds share them). */
export function stageGpus(p: PhasePlan): number {
  return Math.max(p.attention.tp * p.attention.dp * p.attention.cp, p.moe.tp * p.moe.ep, p.ffn.tp);
}

export function replicaGpus(p: PhasePlan): number {
  return stageGpus(p) * p.pp;
}

/**
 * The usual single-knob plan, the same for both phases: a stage of `width` GPUs (default tp) with TP
 * over everything, EP for experts (moe.tp = width / ep), and optional DP-attention — attention runs as
 * width / attentionTp data-parallel ranks of attentionTp GPUs (default 1: every GPU its own rank).
 */
export function simplePlan(opts: {
  tp: number;
  ep?: number;
  dpAttention?: boolean;
  /** GPUs of one pipeline stage when they differ from tp (DP-attention: attention TP × DP ranks). */
  width?: number;
  /** With DP-attention: GPUs each attention rank spans (default 1). */
  attentionTp?: number;
  pp?: number;
  weights?: Partial<Record<DtypeGroup, Dtype>>;
  kvCache?: Dtype;
}): ParallelPlanInput {
  const ep = opts.ep ?? 1;
  const width = opts.width ?? opts.tp;
  const attnTp = opts.attentionTp ?? 1;
  const phase: z.input<typeof PhasePlan> = {
    pp: opts.pp ?? 1,
    attention: opts.dpAttention ? { tp: attnTp, dp: Math.max(1, Math.floor(width / attnTp)) } : { tp: opts.tp, dp: 1 },
    moe: { tp: Math.max(1, Math.floor(width / ep)), ep },
    ffn: { tp: width },
  };
  return { prefill: phase, decode: phase, weights: opts.weights ?? {}, kvCache: opts.kvCache ?? "bf16" };
}
