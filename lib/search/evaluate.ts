/**
 * Evaluating a candidate: resolved and simulated like every prediction (resolveRun → simulateRun),
 * then held to the SLOs — at the pessimistic end of its interval when a confidence and an interval
 * hook are given — priced per million tokens, and its memory and engine settings recorded (what the
 * launch config must set). The simulation part runs in a worker; the SLO part in the main thread.
 */
import { InputError } from "../core/validate";
import { simulateRun, type RunPrediction } from "../run/predict";
import type { Pool, ResolvedRun } from "../run/request";
import { resolveRun } from "../run/resolve";
import { runRequestOf, type RequestContext } from "./request";
import { candidateId, deploymentOf } from "./space";
import type { Band, Candidate, Evaluated, IntervalMetric, IntervalOf, PointMetrics, Slo, SloCheck, WorkerSettings } from "./types";

/** What a simulation returns (plain data: it crosses from a worker thread). */
export interface RawEvaluation {
  prediction: RunPrediction;
  ttftP90: number;
  ttftP99: number;
  e2eP90: number;
  /** Share of requests meeting each SLO's target on their own. */
  shares: Partial<Record<keyof Slo, number>>;
  settings: { decode: WorkerSettings; prefill?: WorkerSettings };
  seconds: number;
}

function settingsOf(pool: Pool): WorkerSettings {
  const e = pool.engine;
  return {
    maxNumSeqs: e.max_num_seqs.value, maxNumBatchedTokens: e.max_num_batched_tokens.value, gpuMemoryUtilization: e.gpu_memory_utilization.value,
    memoryBasis: e.kv_memory_basis.value, kvCacheDtype: pool.plan.kvCache, cudaGraphMaxBatch: e.cuda_graph_max_batch.value, kvBlockSize: e.kv_block_size.value,
  };
}

export function resolveCandidate(c: Candidate, x: RequestContext): ResolvedRun {
  return resolveRun(runRequestOf(c, x));
}

/** Simulate a candidate and measure it as the benchmark client would. */
export function simulateCandidate(c: Candidate, x: RequestContext, slo: Slo): RawEvaluation {
  const t0 = Date.now();
  const run = resolveCandidate(c, x);
  const d = simulateRun(run);
  const done = d.sim.requests.filter((r) => r.finish >= 0);
  const share = (ok: (r: (typeof done)[number]) => boolean) => done.filter(ok).length / Math.max(1, done.length);
  const tpotOf = (r: (typeof done)[number]) => (r.output > 1 ? (r.finish - r.firstToken) / (r.output - 1) : 0);
  const shares: RawEvaluation["shares"] = {};
  if (slo.ttftP90 !== undefined) shares.ttftP90 = share((r) => r.firstToken - r.arrival <= slo.ttftP90!);
  if (slo.ttftP99 !== undefined) shares.ttftP99 = share((r) => r.firstToken - r.arrival <= slo.ttftP99!);
  if (slo.tpot !== undefined) shares.tpot = share((r) => tpotOf(r) <= slo.tpot!);
  if (slo.tokensPerUser !== undefined) shares.tokensPerUser = share((r) => tpotOf(r) <= 1 / slo.tokensPerUser!);
  if (slo.e2e !== undefined) shares.e2e = share((r) => r.finish - r.arrival <= slo.e2e!);
  const decodePool = run.aggregated ?? run.disaggregated!.decode;
  return {
    prediction: d.prediction, ttftP90: d.metrics.ttft.p90, ttftP99: d.metrics.ttft.p99, e2eP90: d.metrics.e2e.p90, shares,
    settings: { decode: settingsOf(decodePool), prefill: run.disaggregated ? settingsOf(run.disaggregated.prefill) : undefined },
    seconds: (Date.now() - t0) / 1e3,
  };
}

/** The quantiles the interval gives: pessimistic end at confidence P, linear between the point (P = 0.5) and p90 (P = 0.9). */
export const CONFIDENCE_RANGE = { min: 0.5, max: 0.9 };

export function pessimistic(point: number, band: Band | undefined, confidence: number | undefined): number {
  if (confidence === undefined || band === undefined) return point;
  if (!(confidence >= CONFIDENCE_RANGE.min && confidence <= CONFIDENCE_RANGE.max)) {
    throw new InputError(`--confidence must be between ${CONFIDENCE_RANGE.min} and ${CONFIDENCE_RANGE.max} (the interval gives p10 and p90; got ${confidence})`);
  }
  return point + (band.p90 - point) * ((confidence - CONFIDENCE_RANGE.min) / (CONFIDENCE_RANGE.max - CONFIDENCE_RANGE.min));
}

/** What finishing an evaluation needs from the search. */
export interface FinishContext {
  request: RequestContext;
  slo: Slo;
  gpus: number;
  usdPerGpuHour: number;
  confidence?: number;
  intervalOf?: IntervalOf;
}

const SECONDS_PER_HOUR = 3600;
const PER_MILLION = 1e6;

/** USD per million tokens at `tokPerSecPerGpu`: price per GPU-hour / (tokens/s per GPU × 3600) × 10⁶ (the GPU count cancels). */
export function costPerMillion(usdPerGpuHour: number, tokPerSecPerGpu: number): number {
  return tokPerSecPerGpu > 0 ? (usdPerGpuHour / (tokPerSecPerGpu * SECONDS_PER_HOUR)) * PER_MILLION : Infinity;
}

/** Hold a simulated candidate to the SLOs and price it. */
export function finishEvaluation(c: Candidate, raw: RawEvaluation, analytic: PointMetrics, x: FinishContext): Evaluated {
  const p = raw.prediction;
  const bands: Partial<Record<IntervalMetric, Band>> = x.intervalOf ? x.intervalOf(resolveCandidate(c, x.request), p) : {};
  const point: Record<keyof Slo, number> = { ttftP90: raw.ttftP90, ttftP99: raw.ttftP99, tpot: p.tpot, tokensPerUser: 1 / p.tpot, e2e: p.e2e };
  const held: Record<keyof Slo, number> = {
    ttftP90: pessimistic(raw.ttftP90, bands.ttftP90, x.confidence),
    ttftP99: pessimistic(raw.ttftP99, bands.ttftP99, x.confidence),
    tpot: pessimistic(p.tpot, bands.tpot, x.confidence),
    tokensPerUser: 1 / pessimistic(p.tpot, bands.tpot, x.confidence),
    e2e: pessimistic(p.e2e, bands.e2e, x.confidence),
  };
  const checks: SloCheck[] = [];
  for (const key of Object.keys(x.slo) as (keyof Slo)[]) {
    const target = x.slo[key];
    if (target === undefined) continue;
    const value = held[key];
    const met = key === "tokensPerUser" ? value >= target : value <= target;
    checks.push({ slo: key, target, value, point: point[key], met, shareOfRequests: raw.shares[key] ?? NaN });
  }
  return {
    id: candidateId(c), candidate: c, deployment: deploymentOf(c, x.gpus),
    throughputPerGpu: p.throughputPerGpu, outputThroughputPerGpu: p.outputThroughputPerGpu, tokPerUser: 1 / p.tpot,
    ttft: p.ttft, ttftP90: raw.ttftP90, ttftP99: raw.ttftP99, tpot: p.tpot, e2e: p.e2e, e2eP90: raw.e2eP90,
    slo: checks, meetsSlo: checks.every((k) => k.met),
    costPerMillionTokens: costPerMillion(x.usdPerGpuHour, p.throughputPerGpu),
    costPerMillionOutputTokens: costPerMillion(x.usdPerGpuHour, p.outputThroughputPerGpu),
    bottleneck: p.bottleneck, memory: p.memory, prefillMemory: p.prefillMemory, engineSettings: raw.settings,
    analytic, typicalDecode: p.typicalDecode, preemptions: p.preemptions, requests: p.requests, calibration: p.calibration, seconds: raw.seconds,
  };
}
