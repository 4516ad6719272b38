/**
 * TensorRT-LLM `trtllm-bench throughput` results, in two layouts:
 *
 * 1. The published-table CSV (`../shared/datasets/trtllm-perf-overview/v0.17_offline_throughput.csv`):
 *    model, gpu, num_gpus, tensor_parallel, precision, kv_cache_dtype, input_seq_len, output_seq_len,
 *    output_tokens_per_sec_system (optionally pipeline_parallel). Offline runs: all requests at once,
 *    fixed lengths; the methodology of the v0.17 table is data/benchmarks/trtllm-perf-overview-v0.17.json.
 * 2. The `--report_json` file: `ReportUtility.get_statistics_dict()` in NVIDIA/TensorRT-LLM
 *    `tensorrt_llm/bench/dataclasses/reporting.py` (commit 0249976575050d2c624a5f285683c66de311a3b7,
 *    version 1.2.0rc3): `engine` {model, version, backend, dtype, kv_cache_dtype, quantization},
 *    `machine` {name} (GPU), `world_info` {tp_size, pp_size, ep_size, world_size, max_batch_size,
 *    max_num_tokens, kv_cache_percentage}, `request_info` {num_requests, avg_input_length,
 *    avg_output_length}, `performance` {system_output_throughput_tok_s, system_total_throughput_tok_s,
 *    output_throughput_per_gpu_tok_s, avg_request_latency_ms, request_latency_percentiles_ms {p50, p99, …}},
 *    `streaming_metrics` (with --streaming) {avg_ttft_ms, avg_tpot_ms, ttft_percentiles {p99, …}}.
 */
import * as fs from "fs";
import * as path from "path";
import { readCsv } from "../../core/csv";
import { DATA_DIR } from "../../core/paths";
import { InputError } from "../../core/validate";
import {
  Assumptions, at, blankRow, cell, choose, fileError, firstText, inputFiles, isObject, msToSec, needNumber, numberRows,
  optNumber, readJsonDocuments, tokens, IMPORT_COLUMNS, type ImportOverrides, type ImportResult,
} from "./common";

export const TABLE_COLUMNS = ["model", "gpu", "num_gpus", "tensor_parallel", "precision", "kv_cache_dtype", "input_seq_len", "output_seq_len", "output_tokens_per_sec_system"];
const METHOD_FILE = path.join(DATA_DIR, "benchmarks", "trtllm-perf-overview-v0.17.json");
const REPORT_FIX = "give the file `trtllm-bench throughput --report_json FILE` wrote (fields of tensorrt_llm/bench/dataclasses/reporting.py)";
const TABLE_FIX = `the table layout has the columns ${TABLE_COLUMNS.join(", ")}`;

interface Methodology {
  source: string;
  num_requests: { by_isl_osl: { isl: number; osl: number; num_requests: number }[] };
  kv_cache_free_gpu_mem_fraction: { value: number; source: string };
  gh200_client: { value: string; source: string };
}

export function looksLikeTrtllmTable(columns: string[]): boolean {
  return columns.includes("output_tokens_per_sec_system");
}

export function looksLikeTrtllmReport(doc: unknown): boolean {
  return isObject(doc) && isObject(doc.performance) && isObject(doc.world_info);
}

/** Engine release named in a file name such as v0.17_offline_throughput.csv. */
function versionFromName(file: string): string | undefined {
  return /v(\d+\.\d+(?:\.\d+)?)/i.exec(path.basename(file))?.[1];
}

function tableRow(raw: Record<string, string>, n: number, file: string, o: ImportOverrides, m: Methodology | null, a: Assumptions): Record<string, string> {
  const where = `${file} row ${n}`;
  const num = (c: string) => {
    const v = Number(raw[c]);
    if (raw[c] === undefined || raw[c].trim() === "" || !Number.isFinite(v) || v <= 0) throw fileError(where, c, `is "${raw[c] ?? ""}", not a positive number`, TABLE_FIX);
    return v;
  };
  const row = blankRow(file);
  row.model = o.model ?? raw.model;
  row.gpu_model = o.gpu ?? raw.gpu;
  row.framework = o.framework ?? "trtllm";
  row.precision = (o.precision ?? raw.precision).toLowerCase();
  const gpus = num("num_gpus");
  const tp = num("tensor_parallel");
  const pp = raw.pipeline_parallel ? num("pipeline_parallel") : gpus / tp;
  if (!Number.isInteger(pp) || tp * pp !== gpus) throw fileError(where, "num_gpus", `(${gpus}) is not tensor_parallel (${tp}) × pipeline stages`, "give a pipeline_parallel column or consistent num_gpus");
  row.tensor_parallel = String(tp);
  row.pipeline_parallel = String(pp);
  row.kv_cache_dtype = (raw.kv_cache_dtype ?? "").toLowerCase();
  const isl = num("input_seq_len");
  const osl = num("output_seq_len");
  row.input_seq_len = String(isl);
  row.output_seq_len = String(osl);
  row.concurrency = o.concurrency === undefined ? "" : String(o.concurrency);
  row.request_rate = o.requestRate ?? "inf";
  const size = m?.num_requests.by_isl_osl.find((x) => x.isl === isl && x.osl === osl)?.num_requests;
  row.num_requests = size === undefined ? "" : String(size);
  if (size === undefined) a.add(where, "num_requests", "empty", "the methodology names no dataset size for this ISL/OSL");
  const outPerGpu = num("output_tokens_per_sec_system") / gpus;
  row.output_throughput_per_gpu = String(outPerGpu);
  row.throughput_tokens_per_sec_per_gpu = String((outPerGpu * (isl + osl)) / osl);
  row.engine_version = o.engineVersion ?? versionFromName(file) ?? "";
  row.run_id = `${path.basename(file, ".csv")}:${n}`;
  if (/gh200/i.test(row.gpu_model) && m) a.add(`GH200 rows of ${file}`, "client", m.gh200_client.value, m.gh200_client.source);
  return row;
}

function importTable(file: string, o: ImportOverrides, a: Assumptions): Record<string, string>[] {
  const { columns, rows } = readCsv(file);
  for (const c of TABLE_COLUMNS) if (!columns.includes(c)) throw fileError(file, c, "is not a column", TABLE_FIX);
  const version = o.engineVersion ?? versionFromName(file);
  const m = version === "0.17" && fs.existsSync(METHOD_FILE) ? (JSON.parse(fs.readFileSync(METHOD_FILE, "utf8")) as Methodology) : null;
  a.add(file, "framework", "trtllm", "trtllm-bench measures TensorRT-LLM");
  a.add(file, "engine version", version ?? "unknown", version ? (o.engineVersion ? "from --engine-version" : "from the file name") : "neither the file name nor --engine-version names it");
  a.add(file, "load", "offline: request_rate inf, no concurrency limit (all requests queued at once)", "trtllm-bench throughput's max-throughput scenario");
  a.add(file, "lengths", "every request exactly input_seq_len / output_seq_len tokens", "prepare_dataset.py token-norm-dist with --input-stdev=0 --output-stdev=0");
  a.add(file, "output_throughput_per_gpu", "output_tokens_per_sec_system / num_gpus", "the table's figure is for the whole system");
  a.add(file, "throughput_tokens_per_sec_per_gpu", "output per GPU × (input_seq_len + output_seq_len) / output_seq_len", "fixed lengths: each request adds ISL input tokens per OSL output tokens");
  a.add(file, "latencies", "not compared", "the table has throughput only");
  a.add(file, "pipeline parallel", "num_gpus / tensor_parallel", "the table gives the GPUs and the TP degree of one run");
  if (m) {
    a.add(file, "num_requests", "the dataset size the methodology gives for the row's ISL/OSL", `${METHOD_FILE.replace(DATA_DIR, "data")} (${m.source})`);
    a.add(file, "gpu_memory_utilization", "empty", `the doc's kv_cache_free_gpu_mem_fraction ${m.kv_cache_free_gpu_mem_fraction.value} is a share of free memory, not vLLM's share of all memory (${m.kv_cache_free_gpu_mem_fraction.source})`);
  } else {
    a.add(file, "num_requests", "empty", "no dataset sizes are known for this engine version (data/benchmarks has the v0.17 ones)");
  }
  return rows.map((r, i) => tableRow(r, i + 1, file, o, m, a));
}

/** TensorRT-LLM quant_algo names → standard precisions (others are passed on lowercased; dtype when unquantised). */
const QUANT_PRECISION: Record<string, string> = { FP8: "fp8", FP8_BLOCK_SCALES: "fp8-block", NVFP4: "nvfp4", W4A16_AWQ: "awq", W4A16_GPTQ: "gptq", W8A16: "int8", W4A16: "w4a16" };
const DTYPE_PRECISION: Record<string, string> = { bfloat16: "bf16", float16: "fp16" };

function reportRow(doc: Record<string, unknown>, file: string, o: ImportOverrides, a: Assumptions): Record<string, string> {
  const row = blankRow(file);
  row.model = choose(a, file, "model", { name: "model", value: o.model }, firstText(doc, ["engine.model"])) ?? "";
  if (!row.model) throw fileError(file, "engine.model", "is missing", `${REPORT_FIX}, or pass --model`);
  const gpu = choose(a, file, "GPU", { name: "gpu", value: o.gpu }, firstText(doc, ["machine.name"]));
  if (!gpu) throw fileError(file, "machine.name", "is missing (older trtllm-bench reports do not record the GPU)", "pass --gpu NAME");
  row.gpu_model = gpu;
  row.framework = o.framework ?? "trtllm";
  const quant = firstText(doc, ["engine.quantization"]);
  const dtype = firstText(doc, ["engine.dtype"]);
  const fromFile = quant ? { key: "engine.quantization", value: QUANT_PRECISION[quant.value.toUpperCase()] ?? quant.value.toLowerCase() } : dtype ? { key: "engine.dtype", value: DTYPE_PRECISION[dtype.value] ?? dtype.value } : undefined;
  row.precision = choose(a, file, "precision", { name: "precision", value: o.precision }, fromFile) ?? "";
  const kv = firstText(doc, ["engine.kv_cache_dtype"]);
  row.kv_cache_dtype = kv ? kv.value.toLowerCase() : "";
  const tp = o.tp ?? needNumber(doc, "world_info.tp_size", file, REPORT_FIX);
  const pp = o.pp ?? optNumber(doc, "world_info.pp_size", file) ?? 1;
  row.tensor_parallel = String(tp);
  row.pipeline_parallel = String(pp);
  row.expert_parallel = cell(o.ep ?? optNumber(doc, "world_info.ep_size", file));
  const world = optNumber(doc, "world_info.world_size", file) ?? tp * pp;
  a.add(file, "GPUs counted", "world_info.world_size", "trtllm-bench divides per-GPU throughput by the world size");
  row.max_batch_size = cell(optNumber(doc, "world_info.max_batch_size", file));
  row.max_num_tokens = cell(optNumber(doc, "world_info.max_num_tokens", file));
  const kvFrac = optNumber(doc, "world_info.kv_cache_percentage", file);
  if (kvFrac !== undefined) a.add(file, "kv_cache_free_gpu_mem_fraction", String(kvFrac), "not written as gpu_memory_utilization (a share of free memory, not of all memory)");
  row.num_requests = cell(optNumber(doc, "request_info.num_requests", file) ?? optNumber(doc, "dataset.num_requests", file));
  const isl = optNumber(doc, "request_info.avg_input_length", file) ?? needNumber(doc, "dataset.avg_isl", file, REPORT_FIX);
  const osl = optNumber(doc, "request_info.avg_output_length", file) ?? needNumber(doc, "dataset.avg_osl", file, REPORT_FIX);
  row.input_seq_len = String(tokens(isl));
  row.output_seq_len = String(tokens(osl));
  a.add(file, "input/output length", "the report's average input and output length", "request_info.avg_input_length / avg_output_length");
  row.concurrency = o.concurrency === undefined ? "" : String(o.concurrency);
  row.request_rate = o.requestRate ?? "inf";
  a.add(file, "load", o.concurrency === undefined ? "offline: all requests queued at once" : `at most ${o.concurrency} requests in flight (--concurrency)`,
    "the report does not record trtllm-bench's --concurrency; pass --concurrency N if the run limited it");
  const perf = (k: string) => optNumber(doc, `performance.${k}`, file);
  const total = perf("system_total_throughput_tok_s");
  const output = perf("system_output_throughput_tok_s") ?? needNumber(doc, "performance.output_throughput_per_gpu_tok_s", file, REPORT_FIX) * world;
  row.throughput_tokens_per_sec_per_gpu = cell(total === undefined ? undefined : total / world);
  row.output_throughput_per_gpu = cell(output / world);
  row.mean_end_to_end_latency_sec = cell(msToSec(perf("avg_request_latency_ms")));
  row.median_end_to_end_latency_sec = cell(msToSec(optNumber(doc, "performance.request_latency_percentiles_ms.p50", file)));
  row.mean_time_to_first_token_sec = cell(msToSec(optNumber(doc, "streaming_metrics.avg_ttft_ms", file)));
  row.p99_time_to_first_token_sec = cell(msToSec(optNumber(doc, "streaming_metrics.ttft_percentiles.p99", file)));
  row.mean_time_per_output_token_sec = cell(msToSec(optNumber(doc, "streaming_metrics.avg_tpot_ms", file)));
  if (!isObject(at(doc, "streaming_metrics"))) a.add(file, "TTFT and TPOT", "not compared", "the run was not --streaming, so the report has no streaming_metrics");
  row.engine_version = o.engineVersion ?? firstText(doc, ["engine.version"])?.value ?? "";
  row.run_id = path.basename(file, ".json");
  return row;
}

export function importTrtllmBench(input: string, o: ImportOverrides = {}): ImportResult {
  const files = inputFiles(input, (f) => /\.(csv|json)$/i.test(f));
  if (files.length === 0) throw new InputError(`--input ${input}: no .csv table or .json report; fix: ${REPORT_FIX}, or ${TABLE_FIX}`);
  const a = new Assumptions();
  const rows: Record<string, string>[] = [];
  for (const file of files) {
    if (file.toLowerCase().endsWith(".csv")) {
      rows.push(...importTable(file, o, a));
      continue;
    }
    const [doc] = readJsonDocuments(file);
    if (!looksLikeTrtllmReport(doc)) throw fileError(file, "performance", "is missing (not a trtllm-bench report)", REPORT_FIX);
    rows.push(reportRow(doc as Record<string, unknown>, file, o, a));
  }
  return { format: "trtllm-bench", sources: files, columns: IMPORT_COLUMNS, rows: numberRows(rows), assumptions: a.list() };
}
