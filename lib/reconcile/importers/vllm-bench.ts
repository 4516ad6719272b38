/**
 * `vllm bench serve --save-result` JSON (one file per run; a folder of them; `--append-result` JSON Lines).
 *
 * Layout: vllm-project/vllm `vllm/benchmarks/serve.py` (`main_async`, commit 009e6d4a1cd6ba3fb2a9fc00f4ec06f5297232a1):
 * setup fields `date` (%Y%m%d-%H%M%S), `backend`, `label`, `model_id`, `tokenizer_id`, `num_prompts`, every
 * `--metadata KEY=VALUE` pair as a top-level field, `request_rate` (a number or "inf"), `burstiness`,
 * `max_concurrency` (null: no limit); then `benchmark()`'s `duration`, `completed`, `failed`,
 * `total_input_tokens`, `total_output_tokens`, `request_throughput`, `output_throughput`,
 * `total_token_throughput`, and per selected metric (`--percentile-metrics`, default ttft,tpot,itl)
 * `mean_<m>_ms`, `median_<m>_ms`, `std_<m>_ms`, `p<P>_<m>_ms` (`--metric-percentiles`, default 99).
 * The older `benchmarks/benchmark_serving.py` writes the same names.
 * What the file does not say — GPU, tensor/pipeline parallel, precision, engine settings — comes from the
 * flags or from `--metadata` fields (names below); every mapping is recorded.
 */
import * as path from "path";
import { InputError } from "../../core/validate";
import {
  Assumptions, blankRow, cell, choose, fileError, firstText, inputFiles, isObject, msToSec, needNumber, numberRows,
  optNumber, readJsonDocuments, tokens, IMPORT_COLUMNS, type ImportOverrides, type ImportResult,
} from "./common";

/** `--metadata` keys read, per standard column (first present wins). */
export const METADATA_KEYS = {
  gpu: ["gpu", "gpu_model", "hw", "hardware"],
  tp: ["tp", "tensor_parallel", "tensor_parallel_size"],
  pp: ["pp", "pipeline_parallel", "pipeline_parallel_size"],
  ep: ["ep", "expert_parallel", "expert_parallel_size"],
  precision: ["precision", "quantization", "dtype"],
  framework: ["framework", "engine"],
  engineVersion: ["engine_version", "vllm_version", "version"],
  isl: ["isl", "input_len", "random_input_len"],
  osl: ["osl", "output_len", "random_output_len"],
  kvCacheDtype: ["kv_cache_dtype"],
  gpuMemoryUtilization: ["gpu_memory_utilization"],
  maxBatchSize: ["max_num_seqs", "max_batch_size"],
  maxNumTokens: ["max_num_batched_tokens", "max_num_tokens"],
} as const;

const FIX = "save it with `vllm bench serve --save-result` (the fields of vllm/benchmarks/serve.py)";

/** A vllm bench result has these fields (also what auto-detection looks for). */
export function looksLikeVllmBench(doc: unknown): boolean {
  return isObject(doc) && "completed" in doc && "output_throughput" in doc && ("model_id" in doc || "backend" in doc);
}

/** "20250131-142501" → "2025-01-31T14:25:01" (other text unchanged). */
function isoDate(d: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/.exec(d);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}` : d;
}

function requestLoad(doc: Record<string, unknown>, file: string, o: ImportOverrides, a: Assumptions, row: Record<string, string>): void {
  const rate = doc.request_rate;
  const rateText = rate === undefined || rate === null ? "inf" : String(rate);
  if (rateText !== "inf" && !Number.isFinite(Number(rateText))) throw fileError(file, "request_rate", `is ${JSON.stringify(rate)}`, `${FIX}: a number of requests/s or "inf"`);
  const conc = optNumber(doc, "max_concurrency", file);
  row.request_rate = o.requestRate ?? rateText;
  row.concurrency = cell(o.concurrency ?? conc);
  if (row.request_rate === "inf" && row.concurrency) {
    a.add(file, "load", `closed loop: ${row.concurrency} clients`, "request_rate inf with max_concurrency: a new request starts when one finishes");
  } else if (row.request_rate === "inf") {
    a.add(file, "load", "offline: every request sent at once", "request_rate inf and no max_concurrency");
  } else {
    a.add(file, "load", `open loop at ${row.request_rate} requests/s${row.concurrency ? `, at most ${row.concurrency} in flight` : ""}`, "request_rate (Poisson arrivals when burstiness is 1)");
  }
  const burst = optNumber(doc, "burstiness", file);
  if (burst !== undefined && burst !== 1) a.add(file, "arrivals", `gamma, burstiness ${burst}`, "vllm bench --burstiness ≠ 1; a Poisson predictor sees smoother arrivals");
}

/** Lengths: --metadata isl/osl when given (nominal), else the mean measured lengths. */
function lengths(doc: Record<string, unknown>, file: string, completed: number, a: Assumptions, row: Record<string, string>): void {
  const isl = firstText(doc, [...METADATA_KEYS.isl]);
  const osl = firstText(doc, [...METADATA_KEYS.osl]);
  const meanIn = needNumber(doc, "total_input_tokens", file, FIX) / completed;
  const meanOut = needNumber(doc, "total_output_tokens", file, FIX) / completed;
  row.input_seq_len = isl ? isl.value : String(tokens(meanIn));
  row.output_seq_len = osl ? osl.value : String(tokens(meanOut));
  if (!isl || !osl) {
    a.add(file, "input/output length", "mean measured tokens per request (total_input_tokens / completed, total_output_tokens / completed)",
      "the file does not keep --random-input-len/--random-output-len; add --metadata isl=N osl=N to name the nominal lengths");
  }
}

function parallelism(doc: Record<string, unknown>, file: string, o: ImportOverrides, a: Assumptions, row: Record<string, string>): number {
  const tp = choose(a, file, "tensor parallel", { name: "tp", value: o.tp }, firstText(doc, [...METADATA_KEYS.tp]));
  if (tp === undefined) throw fileError(file, "tensor_parallel_size", "is not in the file (vLLM's result JSON does not record the server's plan)", "pass --tp N, or save with --metadata tp=N");
  const pp = choose(a, file, "pipeline parallel", { name: "pp", value: o.pp }, firstText(doc, [...METADATA_KEYS.pp])) ?? "1";
  if (!firstText(doc, [...METADATA_KEYS.pp]) && o.pp === undefined) a.add(file, "pipeline parallel", "1", "vllm serve's default --pipeline-parallel-size");
  row.tensor_parallel = tp;
  row.pipeline_parallel = pp;
  row.expert_parallel = choose(a, file, "expert parallel", { name: "ep", value: o.ep }, firstText(doc, [...METADATA_KEYS.ep])) ?? "";
  const gpus = Number(tp) * Number(pp);
  if (!(gpus >= 1)) throw fileError(file, "tensor_parallel_size", `and pipeline stages give ${gpus} GPUs`, "pass whole numbers to --tp and --pp");
  a.add(file, "GPUs counted", `${gpus} (tensor parallel × pipeline stages)`, "per-GPU throughput = the file's token throughput / GPUs of one server");
  return gpus;
}

function convertOne(doc: Record<string, unknown>, file: string, o: ImportOverrides, a: Assumptions): Record<string, string> {
  const row = blankRow(file);
  const model = choose(a, file, "model", { name: "model", value: o.model }, firstText(doc, ["model_id"]));
  if (!model) throw fileError(file, "model_id", "is missing", `${FIX}, or pass --model ORG/NAME`);
  row.model = model;
  const gpu = choose(a, file, "GPU", { name: "gpu", value: o.gpu }, firstText(doc, [...METADATA_KEYS.gpu]));
  if (!gpu) throw fileError(file, "gpu", "is not in the file (vLLM's result JSON does not record the hardware)", "pass --gpu NAME (e.g. h100), or save with --metadata gpu=NAME");
  row.gpu_model = gpu;
  row.framework = choose(a, file, "framework", { name: "framework", value: o.framework }, firstText(doc, [...METADATA_KEYS.framework])) ?? "vllm";
  if (!o.framework && !firstText(doc, [...METADATA_KEYS.framework])) a.add(file, "framework", "vllm", "a `vllm bench serve` result; pass --framework if it measured another server");
  row.precision = choose(a, file, "precision", { name: "precision", value: o.precision }, firstText(doc, [...METADATA_KEYS.precision])) ?? "";
  const gpus = parallelism(doc, file, o, a, row);
  const completed = needNumber(doc, "completed", file, FIX);
  if (!(completed > 0)) throw fileError(file, "completed", "is 0 (no request finished)", "re-run the benchmark; nothing can be compared");
  const failed = optNumber(doc, "failed", file) ?? 0;
  if (failed > 0) a.add(file, "failed requests", String(failed), "metrics cover the completed requests only");
  lengths(doc, file, completed, a, row);
  requestLoad(doc, file, o, a, row);
  row.num_requests = cell(optNumber(doc, "num_prompts", file));
  row.kv_cache_dtype = firstText(doc, [...METADATA_KEYS.kvCacheDtype])?.value ?? "";
  row.gpu_memory_utilization = firstText(doc, [...METADATA_KEYS.gpuMemoryUtilization])?.value ?? "";
  row.max_batch_size = firstText(doc, [...METADATA_KEYS.maxBatchSize])?.value ?? "";
  row.max_num_tokens = firstText(doc, [...METADATA_KEYS.maxNumTokens])?.value ?? "";
  row.engine_version = o.engineVersion ?? firstText(doc, [...METADATA_KEYS.engineVersion])?.value ?? "";

  let total = optNumber(doc, "total_token_throughput", file);
  if (total === undefined) {
    total = (needNumber(doc, "total_input_tokens", file, FIX) + needNumber(doc, "total_output_tokens", file, FIX)) / needNumber(doc, "duration", file, FIX);
    a.add(file, "total token throughput", "(total_input_tokens + total_output_tokens) / duration", "older result files have no total_token_throughput");
  }
  row.throughput_tokens_per_sec_per_gpu = cell(total / gpus);
  row.output_throughput_per_gpu = cell(needNumber(doc, "output_throughput", file, FIX) / gpus);
  row.mean_time_to_first_token_sec = cell(msToSec(optNumber(doc, "mean_ttft_ms", file)));
  row.p99_time_to_first_token_sec = cell(msToSec(optNumber(doc, "p99_ttft_ms", file)));
  row.mean_time_per_output_token_sec = cell(msToSec(optNumber(doc, "mean_tpot_ms", file)));
  row.mean_end_to_end_latency_sec = cell(msToSec(optNumber(doc, "mean_e2el_ms", file)));
  row.median_end_to_end_latency_sec = cell(msToSec(optNumber(doc, "median_e2el_ms", file)));
  if (!row.mean_end_to_end_latency_sec) a.add(file, "E2E latency", "not compared", "the file has no mean_e2el_ms (add e2el to --percentile-metrics)");
  if (!row.mean_time_to_first_token_sec) a.add(file, "TTFT and TPOT", "not compared", "the file has no mean_ttft_ms / mean_tpot_ms (--percentile-metrics)");
  row.benchmark_date = isoDate(firstText(doc, ["date"])?.value ?? "");
  row.run_id = path.basename(file).replace(/\.jsonl?$/i, "");
  return row;
}

export function importVllmBench(input: string, o: ImportOverrides = {}): ImportResult {
  const files = inputFiles(input, (f) => /\.jsonl?$/i.test(f));
  if (files.length === 0) throw new InputError(`--input ${input}: no .json result files; fix: ${FIX}`);
  const a = new Assumptions();
  const rows: Record<string, string>[] = [];
  for (const file of files) {
    const docs = readJsonDocuments(file);
    docs.forEach((doc, i) => {
      if (!looksLikeVllmBench(doc)) throw fileError(file, docs.length > 1 ? `line ${i + 1}` : "(root)", "is not a vllm bench serve result (no completed / output_throughput / model_id)", FIX);
      const row = convertOne(doc as Record<string, unknown>, file, o, a);
      if (docs.length > 1) row.run_id = `${row.run_id}:${i + 1}`;
      rows.push(row);
    });
  }
  a.add(`${rows.length} row(s)`, "TPOT", "mean_tpot_ms: per request (latency − TTFT) / (output tokens − 1), averaged", "vllm/benchmarks/serve.py calculate_metrics");
  return { format: "vllm-bench", sources: files, columns: IMPORT_COLUMNS, rows: numberRows(rows), assumptions: a.list() };
}
