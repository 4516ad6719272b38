/** Benchmark-style metrics from a simulation's record, defined as vLLM's benchmark_serving reports them. */
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
