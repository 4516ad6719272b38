/**
 * Screening a worker before any load: is its split valid for the model (lib/parallel/validate.ts), do
 * its weights fit beside the engine's reserve, and how many clients' KV does its cache hold
 * (lib/parallel/memory.ts, as the simulator counts it). Each "no" comes with its reason.
 */
import { formatNumber } from "../core/explain";
import { memoryPolicyOf } from "../engine/profile";
import { deviceMemoryBytes } from "../hardware/memory";
import { memoryReport } from "../parallel/memory";
import { validatePlan } from "../parallel/validate";
import type { Pool, ResolvedRun } from "../run/request";
import { maxLength } from "../serving/workload";
import type { WorkloadShape } from "./request";
import { workerText } from "./space";
import type { PruneStage, WorkerLayout } from "./types";

export interface WorkerFit {
  ok: boolean;
  stage?: PruneStage;
  reason: string;
  weightsPerGpuGB: number;
  /** Tokens of context the worker's KV cache holds (all attention-DP ranks). */
  kvTokens: number;
  /** Clients whose longest requests fit the KV cache at once. */
  clients: number;
}

/** Tokens one request holds at its end: the longest prompt and output the workload draws. */
export function tokensPerRequest(shape: WorkloadShape): number {
  return maxLength(shape.input) + maxLength(shape.output);
}

const gb = (bytes: number) => formatNumber(bytes / 1e9);

/** Fit of one worker of a resolved run (its pool and phase). */
export function fitWorker(run: ResolvedRun, pool: Pool, phase: "prefill" | "decode", w: WorkerLayout, shape: WorkloadShape): WorkerFit {
  const errors = validatePlan(run.model, pool.plan).filter((v) => v.severity === "error");
  const where = workerText(w);
  if (errors.length) {
    const msgs = [...new Set(errors.map((e) => `${e.message} (fix: ${e.fix})`))];
    return { ok: false, stage: "plan", reason: `${where} is not a valid split of ${run.model.id}: ${msgs.join("; ")}`, weightsPerGpuGB: NaN, kvTokens: 0, clients: 0 };
  }
  const e = pool.engine;
  const mem = memoryReport(run.model, run.hardware, pool.plan, pool.plan[phase], memoryPolicyOf(e));
  const weights = mem.weightsPerGpu.value;
  if (mem.kvPoolPerGpu.value <= 0) {
    const reason =
      `${where}: weights ${gb(weights)} GB/GPU + runtime reserve ${formatNumber(e.runtime_reserve_gb.value)} GB exceed the usable ` +
      `${gb(mem.usablePerGpu.value)} GB (${e.gpu_memory_utilization.value} of the ${gb(deviceMemoryBytes(run.hardware).value)} GB the driver reports, ${e.kv_memory_basis.value} basis)`;
    return { ok: false, stage: "memory", reason, weightsPerGpuGB: weights / 1e9, kvTokens: 0, clients: 0 };
  }
  const kvTokens = Math.floor(mem.kvCapacityTokens.value * pool.plan[phase].attention.dp);
  const need = phase === "prefill" ? maxLength(shape.input) : tokensPerRequest(shape);
  const clients = Math.floor(kvTokens / need);
  if (clients < 1) {
    const reason = `${where}: the KV cache holds ${kvTokens} tokens (weights ${gb(weights)} GB/GPU), less than one request of ${need} tokens`;
    return { ok: false, stage: "kv", reason, weightsPerGpuGB: weights / 1e9, kvTokens, clients: 0 };
  }
  return { ok: true, reason: "", weightsPerGpuGB: weights / 1e9, kvTokens, clients };
}
