/** Benchmark-style metrics from simulated requests, defined as vLLM's benchmark_serving reports them. */
import type { Replica, Request } from "../serving/replica";

export interface Distribution {
  mean: number;
  median: number;
  p90: number;
  p99: number;
}

export interface ServingMetrics {
  requests: number;
  durationSec: number;
  ttft: Distribution;
  /** Per request (e2e − ttft) / (output − 1). */
  tpot: Distribution;
  /** Inter-token latency: gaps between consecutive tokens of a request (step times, weighted by decode tokens). */
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

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  // Linear interpolation between closest ranks (numpy's default), as the benchmark computes it.
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Quantile of unsorted values (sorts a copy), linear interpolation as above. */
export function quantileOf(values: number[], q: number): number {
  return percentile([...values].sort((a, b) => a - b), q);
}

export function distribution(values: number[]): Distribution {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { mean, median: percentile(s, 0.5), p90: percentile(s, 0.9), p99: percentile(s, 0.99) };
}

/** Percentiles of values with integer weights, without expanding them. */
export function weightedDistribution(values: number[], weights: number[]): Distribution {
  const idx = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const total = weights.reduce((a, b) => a + b, 0);
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i] * weights[i];
  mean /= Math.max(total, 1);
  const at = (q: number) => {
    const target = q * total;
    let acc = 0;
    for (const i of idx) {
      acc += weights[i];
      if (acc >= target) return values[i];
    }
    return values[idx[idx.length - 1]];
  };
  return { mean, median: at(0.5), p90: at(0.9), p99: at(0.99) };
}

export function summarise(requests: Request[], replicas: Replica[], gpus: number): ServingMetrics {
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
