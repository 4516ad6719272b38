/**
 * The analytic screen of a disaggregated unit (x prefill workers, y decode workers, C clients): each
 * pool is tabulated once from its own step model, and the unit's closed loop is a mean-value fixed
 * point over the two tables (the simulator checks whatever this ranks near the frontier):
 *   prefill pool: μ requests/s per worker at its best packing (k prompts in one token budget), one
 *     prompt alone in t₁; utilisation ρ = λ / (x·μ), queueing W = ρ / (2·x·μ·(1 − ρ)) (M/D/1 on the pool);
 *     above settings.maxPrefillUtilisation the pool is the bottleneck: λ = ρmax·x·μ and the remaining
 *     clients wait for it (W = C / λ − the rest of the cycle);
 *   decode pool: b sequences per worker decode in steps of t(b) (looked up in its table), each step
 *     yielding g tokens (speculative decoding), so a request decodes for D = (osl − 1) / g · t(b);
 *   cycle: E2E = front delay + W + t₁ + KV hand-off + D, λ = C / E2E, b = λ · D / y (Little's law).
 * TTFT = front delay + W + t₁ + KV hand-off + t(b): the client's first token is the decode worker's first step
 * (lib/serving/replica.ts); TPOT = (E2E − TTFT) / (osl − 1), as the clients compute it.
 */
import { batchOf, decodeBatch, prefillBatch } from "../cost/batch";
import { bytesPerElement } from "../core/dtypes";
import { attentionWindows, kvElementsPerToken } from "../model/build";
import type { ResolvedRun } from "../run/request";
import { buildStepModel } from "../step/build";
import { speculativeStepModel } from "./analytic";
import type { WorkloadShape } from "./request";
import type { SearchSettings } from "./settings";
import type { PointMetrics } from "./types";

/** A prefill worker at this workload: requests/s at best packing, one prompt's time, the frontend delay and the KV hand-off. */
export interface PrefillTable {
  gpus: number;
  mu: number;
  single: number;
  frontDelay: number;
  transfer: number;
}

/** A decode worker at this workload: step time at batch sizes on a grid (per worker), tokens per step, clients its KV holds. */
export interface DecodeTable {
  gpus: number;
  batches: number[];
  times: number[];
  tokensPerStep: number;
  clients: number;
}

/** Seconds to move one prompt's KV from a prefill to a decode worker over the scale-up fabric (as the simulator prices the hand-off). */
function transferSeconds(run: ResolvedRun, tokens: number): number {
  const kvBytes = bytesPerElement(run.aggregated!.plan.kvCache);
  const bytes = run.model.layers.reduce((s, l) => s + (l.attention ? kvElementsPerToken(l.attention) * kvBytes * (l.attention.window ? Math.min(tokens, l.attention.window) : tokens) : 0), 0);
  const hw = run.hardware;
  return hw.scale_up.latency_us.value / 1e6 + bytes / (hw.scale_up.bandwidth_gbps_unidir.value * 1e9 * run.efficiency.comm_bandwidth.value);
}

/** Tabulate a prefill worker (its run resolved as one aggregated replica with the pool's engine). */
export function prefillTable(run: ResolvedRun, shape: WorkloadShape): PrefillTable {
  const pool = run.aggregated!;
  const model = buildStepModel(run.model, run.hardware, pool.plan, "prefill", pool.engine, run.efficiency, run.useKernelTables);
  const w = attentionWindows(run.model);
  const isl = Math.round(shape.meanInput);
  const budget = pool.engine.max_num_batched_tokens.value * pool.plan.prefill.attention.dp;
  let single: number;
  let mu: number;
  if (isl <= budget) {
    const k = Math.max(1, Math.floor(budget / isl));
    single = model.time(prefillBatch(1, isl, w));
    mu = k / model.time(prefillBatch(k, isl, w));
  } else {
    // Chunked: each chunk a full budget, attending on average to half the prompt before it.
    const chunks = Math.ceil(isl / budget);
    single = chunks * model.time(batchOf([{ context: Math.round(((chunks - 1) * budget) / 2), newTokens: budget }], w));
    mu = 1 / single;
  }
  return { gpus: run.gpusCounted, mu, single, frontDelay: pool.engine.request_overhead_ms.value / 1e3, transfer: transferSeconds(run, isl) };
}

/** Tabulate a decode worker at batches on a grid of `k` steps per octave up to the clients its KV holds. */
export function decodeTable(run: ResolvedRun, shape: WorkloadShape, clients: number, k: number): DecodeTable {
  const pool = run.aggregated!;
  const base = buildStepModel(run.model, run.hardware, pool.plan, "decode", pool.engine, run.efficiency, run.useKernelTables);
  const model = run.speculative ? speculativeStepModel(base, run.speculative, run.model.blocks) : base;
  const w = attentionWindows(run.model);
  const ctx = Math.round(shape.meanInput + shape.meanOutput / 2);
  const batches: number[] = [];
  for (let i = 0; Math.pow(2, i / k) <= clients * Math.pow(2, 1 / k); i++) batches.push(Math.pow(2, i / k));
  return { gpus: run.gpusCounted, batches, times: batches.map((b) => model.time(decodeBatch(b, ctx, w))), tokensPerStep: run.speculative?.tokensPerStep ?? 1, clients };
}

/** Step time at batch b: log-log interpolation in the table (clamped to its ends). */
export function stepAt(d: DecodeTable, b: number): number {
  const xs = d.batches;
  if (b <= xs[0]) return d.times[0];
  if (b >= xs[xs.length - 1]) return d.times[xs.length - 1] * (b / xs[xs.length - 1]);
  let i = 1;
  while (xs[i] < b) i++;
  const f = Math.log(b / xs[i - 1]) / Math.log(xs[i] / xs[i - 1]);
  return Math.exp(Math.log(d.times[i - 1]) + f * Math.log(d.times[i] / d.times[i - 1]));
}

export interface UnitState extends PointMetrics {
  prefillUtilisation: number;
  decodeBatch: number;
  iterations: number;
}

/** Mean-value steady state of one unit of `ratio` workers serving `clients` closed-loop clients. */
export function unitSteadyState(p: PrefillTable, d: DecodeTable, ratio: { prefill: number; decode: number }, clients: number, shape: WorkloadShape, s: SearchSettings): UnitState {
  const isl = shape.meanInput;
  const osl = shape.meanOutput;
  const g = d.tokensPerStep;
  const pool = ratio.prefill * p.mu;
  const gpus = ratio.prefill * p.gpus + ratio.decode * d.gpus;
  const fixed = p.frontDelay + p.single + p.transfer;
  let b = clients / ratio.decode;
  let lambda = 0;
  let wait = 0;
  let t = stepAt(d, b);
  let it = 0;
  for (; it < s.maxIterations; it++) {
    t = stepAt(d, Math.max(b, 1));
    const decode = ((osl - 1) / g) * t;
    const free = clients / (fixed + decode);
    // Queueing at the prefill pool, solved with the rate it implies (mean-value, one damped pass per iteration).
    const rho = Math.min(free / pool, s.maxPrefillUtilisation);
    if (free / pool >= s.maxPrefillUtilisation) {
      lambda = s.maxPrefillUtilisation * pool;
      wait = Math.max(0, clients / lambda - fixed - decode);
    } else {
      wait = rho / (2 * pool * (1 - rho));
      lambda = clients / (fixed + wait + decode);
    }
    const next = (lambda * decode) / ratio.decode;
    if (Math.abs(next - b) <= s.tolerance * b) {
      b = next;
      break;
    }
    b = (1 - s.damping) * b + s.damping * next;
  }
  const e2e = p.frontDelay + wait + p.single + p.transfer + ((osl - 1) / g) * t;
  const ttft = Math.min(e2e, p.frontDelay + wait + p.single + p.transfer + t);
  return {
    throughputPerGpu: (lambda * (isl + osl)) / gpus,
    outputThroughputPerGpu: (lambda * osl) / gpus,
    tokPerUser: g / t,
    ttft, tpot: osl > 1 ? (e2e - ttft) / (osl - 1) : 0, e2e,
    prefillUtilisation: lambda / pool, decodeBatch: b, iterations: it,
  };
}
