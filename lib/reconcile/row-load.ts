/**
 * The load a benchmark row describes, each choice recorded: a closed loop of clients (concurrency), an
 * open loop at a request rate (Poisson), or an offline run (every request submitted at once: no
 * concurrency and no finite rate); how many requests; how their lengths spread around the nominal ones.
 */
import type { Assumption } from "../core/explain";
import { InputError } from "../core/validate";
import type { LengthDist, Prefix, WorkloadInput } from "../serving/workload";
import type { ConfigRow } from "./standard";

/** Defaults for what a row leaves out, each from the benchmark client it stands for. */
export const LOAD_DEFAULTS = {
  /** InferenceMAX's client sends 10 requests per client (benchmark_serving.py --num-prompts 10×CONC). */
  requestsPerClient: { value: 10, source: "InferenceMAX client: benchmark_serving.py --num-prompts 10×CONC" },
  /** `vllm bench serve` and `vllm bench throughput` default --num-prompts 1000. */
  requests: { value: 1000, source: "vllm bench serve / vllm bench throughput --num-prompts default 1000 (vllm/benchmarks/serve.py, throughput.py)" },
  /** InferenceMAX's client draws lengths uniformly in [⌊0.8·L⌋, L] (--random-range-ratio 0.8). */
  closedLoopRangeRatio: { value: 0.8, source: "InferenceMAX client: benchmark_serving.py --random-range-ratio 0.8" },
};

export function lengthOf(nominal: number, ratio: number): LengthDist {
  return ratio >= 1 ? { kind: "fixed", value: nominal } : { kind: "benchmark", nominal, rangeRatio: ratio };
}

/** The row's load. `concurrency` 0 means the column is empty. */
export function workloadOf(row: ConfigRow, a: Assumption[]): WorkloadInput {
  const rate = row.request_rate;
  const closed = row.concurrency > 0;
  const open = rate !== undefined && Number.isFinite(rate);
  const defaultRatio = closed && !open ? LOAD_DEFAULTS.closedLoopRangeRatio : { value: 1, source: "no spread given: fixed lengths (trtllm-bench datasets use stdev 0; vllm bench's random dataset defaults to range ratio 0)" };
  const ratio = row.random_range_ratio ?? defaultRatio.value;
  if (row.random_range_ratio === undefined) a.push({ what: "request lengths", value: ratio >= 1 ? "fixed at the nominal lengths" : `uniform in [⌊${ratio}·L⌋, L]`, why: defaultRatio.source });
  const input = lengthOf(row.input_seq_len, ratio);
  const output = lengthOf(row.output_seq_len, ratio);
  const prefix = prefixOfRow(row, a);
  if (open) {
    const requests = row.num_requests ?? LOAD_DEFAULTS.requests.value;
    if (row.num_requests === undefined) a.push({ what: "requests", value: String(requests), why: LOAD_DEFAULTS.requests.source });
    a.push({ what: "workload", value: `open loop: Poisson arrivals at ${rate} requests/s${closed ? `, at most ${row.concurrency} in flight (client-side queueing excluded from TTFT, as vllm bench serve --max-concurrency measures)` : ""}`, why: "request_rate column" });
    return { kind: "open", rate: rate!, arrival: "poisson", requests, input, output, ...(closed ? { maxConcurrency: row.concurrency } : {}), ...prefix };
  }
  if (closed) {
    const requests = row.num_requests ?? LOAD_DEFAULTS.requestsPerClient.value * row.concurrency;
    if (row.num_requests === undefined) a.push({ what: "requests", value: `${requests} (${LOAD_DEFAULTS.requestsPerClient.value} per client)`, why: LOAD_DEFAULTS.requestsPerClient.source });
    a.push({ what: "workload", value: `closed loop: ${row.concurrency} clients, a new request as soon as one finishes`, why: `concurrency column${rate === Infinity ? " (request_rate inf: no pacing)" : ""}` });
    return { kind: "closed", concurrency: row.concurrency, requests, input, output, ...prefix };
  }
  const requests = row.num_requests ?? LOAD_DEFAULTS.requests.value;
  if (row.num_requests === undefined) a.push({ what: "requests", value: String(requests), why: LOAD_DEFAULTS.requests.source });
  a.push({ what: "workload", value: `offline: all ${requests} requests submitted at t = 0 and batched as the engine's limits allow`, why: rate === Infinity ? "request_rate inf and no concurrency" : "no concurrency and no request rate: an offline max-throughput run (trtllm-bench throughput, vllm bench throughput)" });
  return { kind: "offline", requests, input, output, ...prefix };
}

/** The row's shared prompt prefix (prefix_len, prefix_reuse, prefix_groups), or none. */
function prefixOfRow(row: ConfigRow, a: Assumption[]): { prefix?: Prefix } {
  if (row.prefix_len === undefined) {
    if (row.prefix_reuse !== undefined || row.prefix_groups !== undefined) throw new InputError("prefix_reuse / prefix_groups need prefix_len (the shared prefix's length in tokens)");
    return {};
  }
  if (row.prefix_len > row.input_seq_len) throw new InputError(`prefix_len ${row.prefix_len} is longer than input_seq_len ${row.input_seq_len}: the prefix is part of the prompt`);
  const reuse = row.prefix_reuse ?? 1;
  const groups = row.prefix_groups ?? 1;
  a.push({
    what: "shared prefix",
    value: `${row.prefix_len} tokens at the start of ${(100 * reuse).toFixed(0)}% of the prompts, ${groups} distinct prefix${groups > 1 ? "es" : ""}`,
    why: `prefix_len${row.prefix_reuse === undefined ? " (prefix_reuse empty: every request)" : ", prefix_reuse"}${row.prefix_groups === undefined ? " (prefix_groups empty: one prefix)" : ", prefix_groups"}; the engine's prefix cache decides what is reused`,
  });
  return { prefix: { tokens: row.prefix_len, reuse, groups } };
}
