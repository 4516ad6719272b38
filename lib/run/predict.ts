/**
 * Predict a resolved run: simulate it, measure it as the benchmark client would, and name the
 * bottleneck of its typical decode step — the one path every prediction takes (CSV rows, bundles,
 * audits, sizing), so they agree bit for bit.
 */
import type { Assumption } from "../core/explain";
import { InputError } from "../core/validate";
import { decodeBatch } from "../cost/batch";
import { memoryPolicyOf, type EngineProfile } from "../engine/profile";
import { measure, type ServingMetrics } from "../metrics/summary";
import { attentionWindows } from "../model/build";
import { memoryReport } from "../parallel/memory";
import { prefillRunsAlone } from "../serving/policies/index";
import { simulate, type SimulationResult } from "../serving/simulate";
import { steadyState, type SteadyState } from "../serving/steady-state";
import { meanLength, type Prefix } from "../serving/workload";
import { buildStepModel } from "../step/build";
import type { Pool, ResolvedRun } from "./request";
import { decodePool } from "./resolve";

/** The headline numbers of one prediction, as every caller (CSV rows, bundles, run comparison) reports them. */
export interface HeadlineMetrics {
  throughputPerGpu: number;
  outputThroughputPerGpu: number;
  ttft: number;
  p99Ttft: number;
  tpot: number;
  e2e: number;
  bottleneck: string;
}

export interface PoolMemory {
  weightsPerGpuGB: number;
  kvPoolPerGpuGB: number;
  /** Tokens of full-attention context one replica's KV pool holds (all attention-DP ranks). */
  kvCapacityTokens: number;
}

export interface RunPrediction extends HeadlineMetrics {
  calibration: string;
  /** Aggregated pool, or the decode pool of a disaggregated run. */
  memory: PoolMemory;
  /** Prefill pool of a disaggregated run. */
  prefillMemory?: PoolMemory;
  meanInput: number;
  meanOutput: number;
  requests: number;
  steps: number;
  preemptions: number;
  durationSec: number;
  /** The typical decode step the bottleneck is named for. */
  typicalDecode: { batch: number; context: number };
}

/** A prediction with the simulation behind it (requests, step timeline) and every metric the client reports. */
export interface DetailedPrediction {
  prediction: RunPrediction;
  metrics: ServingMetrics;
  sim: SimulationResult;
  assumptions: Assumption[];
}

/** The typical decode step a prediction names the bottleneck of: mean running batch per worker at the mean context. */
export function typicalDecodeStep(pool: Pool, concurrency: number, meanInput: number, meanOutput: number): { batch: number; context: number } {
  return {
    batch: Math.max(1, Math.round(Math.min(concurrency / pool.workers, pool.engine.max_num_seqs.value as number))),
    context: Math.round(meanInput + meanOutput / 2),
  };
}

export function poolMemory(r: ResolvedRun, pool: Pool, phase: "prefill" | "decode"): PoolMemory {
  const mem = memoryReport(r.model, r.hardware, pool.plan, pool.plan[phase], memoryPolicyOf(pool.engine));
  return { weightsPerGpuGB: mem.weightsPerGpu.value / 1e9, kvPoolPerGpuGB: mem.kvPoolPerGpu.value / 1e9, kvCapacityTokens: mem.kvCapacityTokens.value * pool.plan[phase].attention.dp };
}

/** Clients in flight: the closed loop's concurrency, else Little's law on the simulated run. */
function concurrencyOf(r: ResolvedRun, m: ServingMetrics): number {
  return r.workload?.kind === "closed" ? r.workload.concurrency : Math.max(1, Math.round(m.requestsPerSec * m.e2e.mean));
}

export function simulateRun(r: ResolvedRun): DetailedPrediction {
  if (!r.workload) throw new InputError("a prediction needs a workload (closed loop, open loop, offline or trace)");
  const sim = simulate({ ...r, workload: r.workload });
  const m = measure(sim);
  const pool = decodePool(r);
  const typical = typicalDecodeStep(pool, concurrencyOf(r, m), m.meanInput, m.meanOutput);
  const bd = buildStepModel(r.model, r.hardware, pool.plan, "decode", pool.engine, r.efficiency, r.useKernelTables).breakdown(decodeBatch(typical.batch, typical.context, attentionWindows(r.model)));
  const prediction: RunPrediction = {
    throughputPerGpu: m.throughputPerGpu, outputThroughputPerGpu: m.outputThroughputPerGpu, ttft: m.ttft.mean, p99Ttft: m.ttft.p99,
    tpot: m.tpot.mean, e2e: m.e2e.mean, bottleneck: bd.bottleneck, calibration: r.calibration?.name ?? "none",
    memory: poolMemory(r, pool, "decode"),
    prefillMemory: r.disaggregated ? poolMemory(r, r.disaggregated.prefill, "prefill") : undefined,
    meanInput: m.meanInput, meanOutput: m.meanOutput, requests: m.requests, steps: sim.steps, preemptions: m.preemptions, durationSec: m.durationSec,
    typicalDecode: typical,
  };
  return { prediction, metrics: m, sim, assumptions: r.assumptions };
}

export function predictRun(r: ResolvedRun): RunPrediction {
  return simulateRun(r).prediction;
}

/** Fast analytic mode for single-pool closed-loop runs (see lib/serving/steady-state.ts). */
/**
 * Prompt tokens per request a prefix cache serves in steady state: the share of requests carrying a
 * prefix × its whole blocks (at least one token computed). Assumes every prefix resident (first
 * requests' misses and evictions are the simulator's business).
 */
export function expectedCachedInput(prefix: Prefix | undefined, meanInput: number, engine: EngineProfile): number {
  if (!prefix || !engine.prefix_caching.enabled) return 0;
  const block = engine.kv_block_size.value;
  return prefix.reuse * Math.floor(Math.min(prefix.tokens, meanInput - 1) / block) * block;
}

export function predictSteadyState(r: ResolvedRun): SteadyState {
  const wl = r.workload;
  if (!r.aggregated || wl?.kind !== "closed") throw new InputError("the analytic steady state covers aggregated (single-pool) closed-loop runs only");
  const pool = r.aggregated;
  const dp = pool.plan.decode.attention.dp;
  return steadyState({
    concurrency: wl.concurrency,
    meanInput: meanLength(wl.input),
    meanOutput: meanLength(wl.output),
    cachedInput: expectedCachedInput(wl.prefix, meanLength(wl.input), pool.engine),
    mixedModel: buildStepModel(r.model, r.hardware, pool.plan, "prefill", pool.engine, r.efficiency, r.useKernelTables),
    decodeModel: buildStepModel(r.model, r.hardware, pool.plan, "decode", pool.engine, r.efficiency, r.useKernelTables),
    tokenBudget: pool.engine.max_num_batched_tokens.value * dp * pool.plan.decode.pp,
    frontDelay: pool.engine.request_overhead_ms.value / 1e3,
    scheduleAhead: pool.engine.schedule_ahead.value,
    outputLag: pool.engine.output_delay_steps.value,
    prefillAlone: prefillRunsAlone(pool.engine),
    windows: attentionWindows(r.model),
    gpus: r.gpusCounted,
  });
}
