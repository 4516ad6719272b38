/**
 * The parallel layout a benchmark row describes, reconciled with the GPUs it counts: when the
 * parallelism columns and the GPU counts disagree, the GPU counts are what ran (a disaggregated
 * worker's width is num_*_gpu / *_num_workers), and with DP-attention attention runs as width / TP
 * data-parallel ranks while experts span the worker. Every reading is recorded; only what cannot be
 * reconciled is an error naming the fields.
 */
import type { Assumption } from "../core/explain";
import type { Dtype } from "../core/dtypes";
import { InputError } from "../core/validate";
import type { DtypeGroup } from "../model/ir";
import { simplePlan, type ParallelPlanInput } from "../parallel/plan";

export interface WorkerColumns {
  /** Which pool, for messages ("prefill", "decode", or "" for one aggregated replica). */
  pool: string;
  tp?: number;
  ep?: number;
  dpAttention: boolean;
  workers?: number;
  /** GPUs of all workers of the pool, when the row counts them. */
  gpus?: number;
  pp?: number;
}

const field = (pool: string, name: string) => (pool ? `${pool}_${name}` : name === "tp" ? "tensor_parallel" : name === "ep" ? "expert_parallel" : name);

/** A worker's plan: its width from the GPU counts when given, attention TP × DP and MoE EP × TP across it. */
export function workerPlan(c: WorkerColumns, weights: Partial<Record<DtypeGroup, Dtype>>, kvCache: Dtype, a: Assumption[]): { plan: ParallelPlanInput; width: number } {
  const workers = c.workers ?? 1;
  const pp = c.pp ?? 1;
  const tp = c.tp;
  let width = tp ?? 1;
  if (c.gpus !== undefined) {
    const perWorker = c.gpus / workers / pp;
    if (!Number.isInteger(perWorker)) {
      throw new InputError(`${field(c.pool, "num_gpu") === "num_gpu" ? "the GPU count" : `num_${c.pool}_gpu`} (${c.gpus}) is not a whole number of ${field(c.pool, "num_workers")} (${workers}) × pipeline stages (${pp}): fix the counts`);
    }
    width = perWorker;
  }
  if (tp === undefined && c.gpus === undefined) throw new InputError(`${field(c.pool, "tp")} is required (or the pool's GPU count) to lay out the ${c.pool || "replica"}`);
  const ep = c.ep ?? 1;
  if (width % ep !== 0) throw new InputError(`${field(c.pool, "ep")} = ${ep} does not divide the ${c.pool || "replica"} worker's ${width} GPUs: fix ${field(c.pool, "ep")} or the GPU counts`);
  const attnTp = tp ?? width;
  if (width === attnTp) {
    return { plan: simplePlan({ tp: width, ep, dpAttention: c.dpAttention, pp, weights, kvCache }), width };
  }
  // The GPU count and TP disagree: the GPUs are what ran.
  if (width % attnTp !== 0) throw new InputError(`the ${c.pool || "replica"} worker has ${width} GPUs (from the GPU counts), not a multiple of ${field(c.pool, "tp")} = ${attnTp}: fix ${field(c.pool, "tp")} or the GPU counts`);
  const dp = width / attnTp;
  if (!c.dpAttention && ep !== width) {
    throw new InputError(`the ${c.pool || "replica"} worker has ${width} GPUs (from the GPU counts) but ${field(c.pool, "tp")} = ${attnTp} without DP-attention or experts across them: set ${field(c.pool, "dp_attention")} or ${field(c.pool, "ep")} = ${width}, or fix the counts`);
  }
  a.push({
    what: `${c.pool || "replica"} layout`,
    value: `worker of ${width} GPUs: attention TP ${attnTp} × ${dp} data-parallel ranks, MoE EP ${ep} × TP ${width / ep}, dense layers TP ${width}`,
    why: `GPU counts (${c.gpus} GPUs / ${workers} workers${pp > 1 ? ` / ${pp} stages` : ""}) are what ran; ${field(c.pool, "tp")} ${attnTp} is the attention TP of each data-parallel rank`,
  });
  return { plan: simplePlan({ tp: attnTp, ep, dpAttention: true, width, attentionTp: attnTp, pp, weights, kvCache }), width };
}
