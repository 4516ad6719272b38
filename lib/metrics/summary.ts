/**
 * Benchmark-style metrics from a simulation's record, defined as the benchmark clients report them
 * (METRIC_DEFINITIONS: vLLM vllm/benchmarks/serve.py, the same definitions genai-perf and trtllm-bench use).
 */
import { distribution, weightedDistribution, type Distribution } from "../core/stats";
import type { Request } from "../serving/request";
import type { SimulationResult } from "../serving/simulate";

export type { Distribution } from "../core/stats";

export interface ServingMetrics {
  requests: number;
  durationSec: number;
  ttft: Distribution;
  /** Per request (e2e − ttft) / (output − 1). */
  tpot: Distribution;
  /**
   * Inter-token latency as the benchmark client measures it: the gap between consecutive streamed chunks of a
   * request (step times, weighted by decoding sequences). With speculative decoding a chunk carries several
   * tokens, so ITL exceeds TPOT (per output token) by the tokens per step.
   */
  itl: Distribution;
  e2e: Distribution;
  /** (input + output tokens) / duration / GPUs, and output tokens only. */
  throughputPerGpu: number;
  outputThroughputPerGpu: number;
  requestsPerSec: number;
  meanInput: number;
  meanOutput: number;
  preemptions: number;
}

/** What each metric means, as the clients define it (vLLM v0.11 vllm/benchmarks/serve.py calculate_metrics; genai-perf and trtllm-bench agree). */
export const METRIC_DEFINITIONS = {
  ttft: "time to first token: from the request being sent (its arrival; a client-side concurrency cap's wait excluded) to the first output token the client receives (disaggregated: the decode worker's first streamed chunk, after the KV hand-off)",
  tpot: "time per output token, per request: (E2E − TTFT) / (output tokens − 1) — the first token excluded; requests with one output token have none",
  itl: "inter-token latency: every gap between consecutive output tokens of a request (engine step times), pooled over requests",
  e2e: "end-to-end latency: from the request being sent to its last token",
  throughput: "(input + output tokens) / (last finish − first arrival) / GPUs; output throughput counts output tokens only",
  requestRate: "achieved request rate: completed requests / (last finish − first arrival)",
  goodput: "requests per second that met every bound of the SLO (TTFT, TPOT, E2E), as vLLM's --goodput computes it",
} as const;

/** A service-level objective: per-request bounds, seconds (absent = unbounded). */
export interface Slo {
  ttftSec?: number;
  tpotSec?: number;
  e2eSec?: number;
}

/** Goodput under an SLO: completed requests meeting every bound, per second of the run, and as a fraction of all. */
export function goodput(requests: Request[], slo: Slo): { perSec: number; fraction: number; met: number } {
  const done = requests.filter((r) => r.finish >= 0);
  if (!done.length) return { perSec: 0, fraction: 0, met: 0 };
  let start = Infinity;
  let end = -Infinity;
  let met = 0;
  for (const r of done) {
    start = Math.min(start, r.arrival);
    end = Math.max(end, r.finish);
    const ttft = r.firstToken - r.arrival;
    const e2e = r.finish - r.arrival;
    const tpot = r.output > 1 ? (r.finish - r.firstToken) / (r.output - 1) : 0;
    if ((slo.ttftSec === undefined || ttft <= slo.ttftSec) && (slo.tpotSec === undefined || tpot <= slo.tpotSec) && (slo.e2eSec === undefined || e2e <= slo.e2eSec)) met++;
  }
  return { perSec: end > start ? met / (end - start) : 0, fraction: met / done.length, met };
}

/** Inter-token gaps a replica recorded: step seconds and how many decode tokens waited that long. */
export interface ItlSamples {
  itlSeconds: number[];
  itlWeights: number[];
}

export function summarise(requests: Request[], replicas: ItlSamples[], gpus: number): ServingMetrics {
  const done = requests.filter((r) => r.finish >= 0);
  // Loops, not Math.min(...xs): spreading more than ~120k values overflows the call stack.
  let start = Infinity;
  let end = -Infinity;
  for (const r of done) {
    start = Math.min(start, r.arrival);
    end = Math.max(end, r.finish);
  }
  const duration = end - start;
  const tokensIn = done.reduce((s, r) => s + r.input, 0);
  const tokensOut = done.reduce((s, r) => s + r.output, 0);
  const tpot = done.filter((r) => r.output > 1).map((r) => (r.finish - r.firstToken) / (r.output - 1));
  const itlV: number[] = [];
  const itlW: number[] = [];
  for (const rep of replicas) {
    for (let i = 0; i < rep.itlSeconds.length; i++) {
      itlV.push(rep.itlSeconds[i]);
      itlW.push(rep.itlWeights[i]);
    }
  }
  return {
    requests: done.length,
    durationSec: duration,
    ttft: distribution(done.map((r) => r.firstToken - r.arrival)),
    tpot: distribution(tpot),
    itl: itlV.length ? weightedDistribution(itlV, itlW) : { mean: NaN, median: NaN, p90: NaN, p99: NaN },
    e2e: distribution(done.map((r) => r.finish - r.arrival)),
    throughputPerGpu: (tokensIn + tokensOut) / duration / gpus,
    outputThroughputPerGpu: tokensOut / duration / gpus,
    requestsPerSec: done.length / duration,
    meanInput: tokensIn / done.length,
    meanOutput: tokensOut / done.length,
    preemptions: done.reduce((s, r) => s + r.preemptions, 0),
  };
}

/** The metrics of a simulation as the benchmark client reports them. */
export function measure(sim: SimulationResult): ServingMetrics {
  return summarise(sim.requests, sim.replicas, sim.gpus);
}

/**
 * Requests waiting for their first token at each of `points` evenly spaced times over the run: arrived
 * (sent) and not yet given a token — queued in the engine or prefilling. Step-wise, exact at each time.
 */
export function waitingTimeline(requests: Request[], points = 200): { t: number[]; waiting: number[] } {
  const done = requests.filter((r) => r.finish >= 0);
  if (!done.length) return { t: [], waiting: [] };
  let start = Infinity;
  let end = -Infinity;
  for (const r of done) {
    start = Math.min(start, r.arrival);
    end = Math.max(end, r.finish);
  }
  // +1 at each arrival, −1 at each first token; a sweep over the sorted events gives the count at any time.
  const events = done.flatMap((r) => [{ t: r.arrival, d: 1 }, { t: r.firstToken, d: -1 }]).sort((a, b) => a.t - b.t || a.d - b.d);
  const t: number[] = [];
  const waiting: number[] = [];
  let i = 0;
  let n = 0;
  for (let k = 0; k <= points; k++) {
    const at = start + ((end - start) * k) / points;
    while (i < events.length && events[i].t <= at) n += events[i++].d;
    t.push(at);
    waiting.push(n);
  }
  return { t, waiting };
}
