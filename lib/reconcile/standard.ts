/** The standard benchmark CSV: input columns that describe a configuration, optional actual metrics. */
import { z } from "zod";
import { columnRange, outOfRange } from "../core/limits";

export const INPUT_COLUMNS = [
  "model", "gpu_model", "framework", "precision", "input_seq_len", "output_seq_len", "tensor_parallel", "expert_parallel",
  "dp_attention", "concurrency", "disagg", "spec_decoding", "prefill_tp", "prefill_ep", "prefill_dp_attention",
  "prefill_num_workers", "decode_tp", "decode_ep", "decode_dp_attention", "decode_num_workers", "num_prefill_gpu", "num_decode_gpu",
] as const;

/**
 * Optional columns for load and layout beyond the closed loop (issue 13): pipeline stages, an open-loop
 * request rate (`inf` = every request at once), the request count, engine limits (SGLang's max_prefill_tokens among
 * them), the KV-cache dtype,
 * the engine version, and how request lengths spread around the nominal ones. (`overlap_scheduler`, read
 * by ConfigRow below, is not among them: importers never know it, so their standard CSVs do not carry it.)
 */
export const LOAD_COLUMNS = [
  "pipeline_parallel", "request_rate", "num_requests", "max_batch_size", "max_num_tokens", "max_prefill_tokens", "kv_cache_dtype", "gpu_memory_utilization",
  "engine_version", "random_range_ratio", "prefix_len", "prefix_reuse", "prefix_groups",
] as const;

export const ACTUAL_COLUMNS = [
  "throughput_tokens_per_sec_per_gpu", "output_throughput_per_gpu", "mean_time_to_first_token_sec", "p99_time_to_first_token_sec",
  "mean_time_per_output_token_sec", "mean_end_to_end_latency_sec", "median_end_to_end_latency_sec", "benchmark_date", "run_id",
] as const;

export const PREDICTED_COLUMNS = [
  "predicted_throughput_per_gpu", "predicted_output_throughput_per_gpu", "predicted_ttft_sec", "predicted_tpot_sec",
  "predicted_e2e_latency_sec", "predicted_bottleneck",
  // Issue 16: the 80% interval of each metric (p10, p90) and the basis its width was measured for (lib/uncertainty,
  // INTERVAL_COLUMNS there names the same columns in the same order).
  "predicted_throughput_per_gpu_p10", "predicted_throughput_per_gpu_p90", "predicted_output_throughput_per_gpu_p10", "predicted_output_throughput_per_gpu_p90",
  "predicted_ttft_sec_p10", "predicted_ttft_sec_p90", "predicted_tpot_sec_p10", "predicted_tpot_sec_p90", "predicted_e2e_latency_sec_p10", "predicted_e2e_latency_sec_p90",
  "prediction_basis",
  "error_message",
] as const;

/** A number column, bounded by its range in data/limits.json so that every accepted value can be simulated. */
const numCol = (name: string, whole: boolean) => {
  const range = columnRange(name);
  if (!range) throw new Error(`data/limits.json gives no range for the number column ${name}`);
  return z.string().trim().min(1, `${name} is required`).transform((s, ctx) => {
    const n = Number(s);
    const kind = whole ? "a whole number" : "a number";
    const bad = !Number.isFinite(n) || (whole && !Number.isInteger(n)) ? `${name} must be ${kind}` : outOfRange(name, n, whole);
    if (bad) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${bad} (got "${s}")` });
      return z.NEVER;
    }
    return n;
  });
};
const intCol = (name: string) => numCol(name, true);
const optInt = (name: string) => z.union([z.literal("").transform(() => undefined), intCol(name)]).optional();
const optNum = (name: string) => z.union([z.literal("").transform(() => undefined), numCol(name, false)]).optional();
/** A true/false column; an empty cell is false. */
const bool = (name: string) => triState(name, false);
/** A true/false column whose empty cell is `empty` (false, or undefined where empty means "the engine's default"). */
function triState<E extends boolean | undefined>(name: string, empty: E) {
  return z.string().trim().toLowerCase().transform((s, ctx): boolean | E => {
    if (s === "") return empty;
    if (s === "false" || s === "0" || s === "no") return false;
    if (s === "true" || s === "1" || s === "yes") return true;
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${name} must be true or false${empty === undefined ? ", or empty for the engine's default" : ""} (got "${s}")` });
    return z.NEVER;
  });
}

/** One configuration row as the predictor needs it (strings in, typed out). */
export const ConfigRow = z.object({
  model: z.string().trim().min(1, "model is required (a Hugging Face id such as openai/gpt-oss-120b)"),
  gpu_model: z.string().trim().min(1, "gpu_model is required (e.g. b200, h100)"),
  /** Empty: the vLLM profile is assumed (recorded). */
  framework: z.string().trim().default(""),
  precision: z.string().trim().default(""),
  input_seq_len: intCol("input_seq_len"),
  output_seq_len: intCol("output_seq_len"),
  tensor_parallel: optInt("tensor_parallel"),
  expert_parallel: optInt("expert_parallel"),
  dp_attention: bool("dp_attention").default(""),
  /** Empty (0): a saturating closed loop is assumed (recorded) — as offline max-throughput benchmarks run. */
  concurrency: z.union([z.literal("").transform(() => 0), intCol("concurrency")]).default(""),
  disagg: bool("disagg").default(""),
  spec_decoding: z.string().trim().default(""),
  prefill_tp: optInt("prefill_tp"),
  prefill_ep: optInt("prefill_ep"),
  prefill_dp_attention: bool("prefill_dp_attention").default(""),
  prefill_num_workers: optInt("prefill_num_workers"),
  decode_tp: optInt("decode_tp"),
  decode_ep: optInt("decode_ep"),
  decode_dp_attention: bool("decode_dp_attention").default(""),
  decode_num_workers: optInt("decode_num_workers"),
  num_prefill_gpu: optInt("num_prefill_gpu"),
  num_decode_gpu: optInt("num_decode_gpu"),
  // Optional load and engine columns: validated against their ranges (data/limits.json).
  /** Requests per second of an open loop; `inf` (or `infinity`) sends every request at once. */
  request_rate: z.union([z.string().trim().toLowerCase().refine((x) => x === "inf" || x === "infinity").transform(() => Infinity), optNum("request_rate")]).optional(),
  num_requests: optInt("num_requests"),
  max_batch_size: optInt("max_batch_size"),
  max_num_tokens: optInt("max_num_tokens"),
  /** SGLang's --max-prefill-tokens (prompt tokens one prefill batch may hold; max_num_tokens is its --chunked-prefill-size); other engines have no such limit. */
  max_prefill_tokens: optInt("max_prefill_tokens"),
  gpu_memory_utilization: optNum("gpu_memory_utilization"),
  pipeline_parallel: optInt("pipeline_parallel"),
  /** The KV cache's dtype (fp8, bf16, fp16; empty or auto: the checkpoint's, else the model dtype). */
  kv_cache_dtype: z.string().trim().toLowerCase().default(""),
  /** The engine's version (e.g. 0.17): selects among profiles of one engine (data/engines `versions`). */
  engine_version: z.string().trim().default(""),
  /** Request lengths uniform in [⌊r·L⌋, L] around the nominal L (InferenceMAX's client: 0.8; fixed lengths: 1). */
  random_range_ratio: optNum("random_range_ratio"),
  /** Shared prompt prefix (lib/serving/workload.ts Prefix): its length in tokens, the share of requests that carry it, how many distinct prefixes. */
  prefix_len: optInt("prefix_len"),
  prefix_reuse: optNum("prefix_reuse"),
  prefix_groups: optInt("prefix_groups"),
  /** The engine's overlap scheduler on (true) or off (false); empty: the engine profile's default (schedule_ahead). */
  overlap_scheduler: triState("overlap_scheduler", undefined).optional(),
});
export type ConfigRow = z.infer<typeof ConfigRow>;

/** Parse the actual metric columns when present (empty → undefined). */
export function actualNumber(row: Record<string, string>, col: string): number | undefined {
  const v = row[col];
  if (v === undefined || v.trim() === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
