/**
 * genai-perf and AIPerf exports: `profile_export_genai_perf.json` / `.csv` and `profile_export_aiperf.json` / `.csv`
 * (a file, or a folder of runs: genai-perf writes artifacts/<run>/…).
 *
 * JSON layout: metric name → {unit, avg, min, max, p1 … p99, std} plus `input_config`.
 *  - genai-perf: triton-inference-server/perf_analyzer `genai-perf/genai_perf/export_data/json_exporter.py`
 *    (statistics from `metrics/statistics.py`, names from `metrics/llm_metrics.py` and `metrics/metrics.py`:
 *    time_to_first_token, inter_token_latency, request_latency, output_token_throughput, request_throughput,
 *    input_sequence_length, output_sequence_length, request_count), commit 263c5f6e0c7a6c15472a54409174981f67930cfe.
 *    `input_config` is the config (`config/input/config_command.py`): model_names, perf_analyzer.stimulus
 *    {concurrency | request_rate}, input.synthetic_tokens.mean, input.output_tokens.mean, endpoint.backend;
 *    releases before the YAML config wrote the flat CLI namespace (model, concurrency, request_rate, backend).
 *  - AIPerf: ai-dynamo/aiperf `aiperf/common/models/export_models.py` (JsonExportData, "designed to mimic
 *    the GenAI-Perf JSON output") and `aiperf/exporters/json_exporter.py`, version 0.1.1 (commit
 *    db4f6397d11ee2d4cfbb41f70b2327315163dcf0): the same metric names; `input_config` is UserConfig
 *    (endpoint.model_names, loadgen.concurrency, loadgen.request_rate, input.prompt.{input,output}_tokens.mean).
 * CSV layout (both tools, `export_data/csv_exporter.py` / `exporters/csv_exporter.py`): a request-metrics
 * table "Metric,avg,min,max,p99,…" (names like "Time To First Token (ms)"), a blank line, then
 * "Metric,Value" system metrics. The CSV holds no configuration: model, GPU and load come from flags.
 * Neither tool knows the server's hardware or plan: GPU and TP always come from flags.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "csv-parse/sync";
import { InputError } from "../../core/validate";
import {
  Assumptions, at, blankRow, cell, choose, fileError, firstText, inputFiles, isObject, numberRows, readJsonDocuments, tokens,
  IMPORT_COLUMNS, type ImportOverrides, type ImportResult,
} from "./common";

const FIX = "give profile_export_genai_perf.json (or _aiperf.json / the .csv) as genai-perf or aiperf wrote it";
const EXPORT_FILE = /(genai_perf|aiperf)\.(json|csv)$/i;
const SECONDS_PER: Record<string, number> = { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, sec: 1 };

type Stats = Record<string, Record<string, number | string>>;

export function looksLikeGenaiPerf(doc: unknown): boolean {
  return isObject(doc) && ("time_to_first_token" in doc || "request_throughput" in doc || "request_latency" in doc) && !("model_id" in doc);
}

/** "Time To First Token (ms)" → "time_to_first_token". */
export function metricKey(header: string): string {
  return header.replace(/\s*\([^)]*\)\s*$/, "").trim().toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "");
}

/** The unit a CSV header names ("Time To First Token (ms)" → "ms"). */
const headerUnit = (header: string): string => /\(([^)]*)\)\s*$/.exec(header)?.[1] ?? "";

/** Metrics of a two-section CSV as {metric: {unit, avg, p99, …}}. */
export function parseExportCsv(file: string): Stats {
  const records: string[][] = parse(fs.readFileSync(file, "utf8"), { bom: true, relax_column_count: true, skip_empty_lines: false });
  const stats: Stats = {};
  let header: string[] | null = null;
  for (const r of records) {
    if (r.length === 0 || r.every((c) => c.trim() === "")) {
      header = null;
      continue;
    }
    if (r[0] === "Metric") {
      header = r;
      continue;
    }
    if (!header) continue;
    const s: Record<string, number | string> = { unit: headerUnit(r[0]) };
    header.slice(1).forEach((h, i) => {
      const v = Number((r[i + 1] ?? "").replace(/,/g, ""));
      if ((r[i + 1] ?? "").trim() !== "" && Number.isFinite(v)) s[h === "Value" ? "avg" : h] = v;
    });
    stats[metricKey(r[0])] = s;
  }
  if (Object.keys(stats).length === 0) throw fileError(file, "Metric", "table is missing (no \"Metric,…\" header line)", FIX);
  return stats;
}

function statValue(stats: Stats, metric: string, stat: string, file: string): number | undefined {
  const m = stats[metric];
  if (!isObject(m) || m[stat] === undefined || m[stat] === null) return undefined;
  const v = Number(m[stat]);
  if (!Number.isFinite(v)) throw fileError(file, `${metric}.${stat}`, `is ${JSON.stringify(m[stat])}, not a number`, FIX);
  return v;
}

/** A time statistic in seconds, converted by the metric's own unit. */
function seconds(stats: Stats, metric: string, stat: string, file: string): number | undefined {
  const v = statValue(stats, metric, stat, file);
  if (v === undefined) return undefined;
  const unit = String(stats[metric].unit ?? "ms").toLowerCase();
  const k = SECONDS_PER[unit];
  if (k === undefined) throw fileError(file, `${metric}.unit`, `is "${unit}", not a time unit`, FIX);
  return v * k;
}

/** Model, load and lengths as the tool configured them (the JSON's input_config; nothing for a CSV). */
function configOf(doc: Record<string, unknown> | null) {
  const c = doc && isObject(doc.input_config) ? doc.input_config : null;
  const model = firstText(c, ["model_names.0", "endpoint.model_names.0", "model.0", "model"]);
  const concurrency = firstText(c, ["perf_analyzer.stimulus.concurrency", "loadgen.concurrency", "concurrency"]);
  const rate = firstText(c, ["perf_analyzer.stimulus.request_rate", "loadgen.request_rate", "request_rate"]);
  const backend = firstText(c, ["endpoint.backend", "backend"]);
  const service = firstText(c, ["endpoint.service_kind", "service_kind"]);
  const tool = c && (at(c, "loadgen") !== undefined || at(c, "endpoint.model_names") !== undefined) ? "aiperf" : "genai-perf";
  return { model, concurrency, rate, backend, service, tool };
}

/** Triton backends genai-perf names → engines (for the openai service kind the backend field means nothing). */
const BACKEND_FRAMEWORK: Record<string, string> = { tensorrtllm: "trtllm", vllm: "vllm" };

function convertOne(stats: Stats, doc: Record<string, unknown> | null, file: string, o: ImportOverrides, a: Assumptions): Record<string, string> {
  const row = blankRow(file);
  const cfg = configOf(doc);
  const need = (v: string | undefined, field: string, fix: string) => {
    if (v === undefined) throw fileError(file, field, doc ? "is not in the file" : "is not in the CSV export (it holds metrics only)", fix);
    return v;
  };
  row.model = need(choose(a, file, "model", { name: "model", value: o.model }, cfg.model), "input_config.model_names", "pass --model ORG/NAME");
  row.gpu_model = need(choose(a, file, "GPU", { name: "gpu", value: o.gpu }, undefined), "gpu", `pass --gpu NAME (${cfg.tool} does not record the server's hardware)`);
  row.tensor_parallel = need(choose(a, file, "tensor parallel", { name: "tp", value: o.tp }, undefined), "tensor_parallel", `pass --tp N (${cfg.tool} does not record the server's plan)`);
  row.pipeline_parallel = String(o.pp ?? 1);
  if (o.pp === undefined) a.add(file, "pipeline parallel", "1", "not given (--pp)");
  row.expert_parallel = o.ep === undefined ? "" : String(o.ep);
  const fw = cfg.service?.value === "triton" && cfg.backend ? { key: cfg.backend.key, value: BACKEND_FRAMEWORK[cfg.backend.value] ?? cfg.backend.value } : undefined;
  row.framework = choose(a, file, "framework", { name: "framework", value: o.framework }, fw) ?? "";
  row.precision = choose(a, file, "precision", { name: "precision", value: o.precision }, undefined) ?? "";
  row.concurrency = choose(a, file, "concurrency", { name: "concurrency", value: o.concurrency }, cfg.concurrency) ?? "";
  row.request_rate = choose(a, file, "request rate", { name: "request-rate", value: o.requestRate }, cfg.rate) ?? (row.concurrency ? "inf" : "");
  if (!row.concurrency && !row.request_rate) throw fileError(file, "concurrency", "is not known (no input_config stimulus)", "pass --concurrency N or --request-rate R");
  const gpus = Number(row.tensor_parallel) * Number(row.pipeline_parallel);
  const isl = statValue(stats, "input_sequence_length", "avg", file);
  const osl = statValue(stats, "output_sequence_length", "avg", file);
  if (isl === undefined || osl === undefined) throw fileError(file, "input_sequence_length", "or output_sequence_length is missing", FIX);
  row.input_seq_len = String(tokens(isl));
  row.output_seq_len = String(tokens(osl));
  a.add(file, "input/output length", "mean measured tokens per request (input_sequence_length.avg, output_sequence_length.avg)", `${cfg.tool} statistics`);
  row.num_requests = cell(statValue(stats, "request_count", "avg", file));
  const reqRate = statValue(stats, "request_throughput", "avg", file);
  const outRate = statValue(stats, "output_token_throughput", "avg", file);
  if (outRate === undefined) throw fileError(file, "output_token_throughput", "is missing", FIX);
  row.output_throughput_per_gpu = String(outRate / gpus);
  if (reqRate !== undefined) {
    row.throughput_tokens_per_sec_per_gpu = String((reqRate * (isl + osl)) / gpus);
    a.add(file, "throughput_tokens_per_sec_per_gpu", "request_throughput × (mean input + mean output length) / GPUs", `${cfg.tool} reports output tokens/s only`);
  }
  a.add(file, "GPUs counted", `${gpus} (--tp × --pp)`, "per-GPU throughput divides the tool's system throughput");
  row.mean_time_to_first_token_sec = cell(seconds(stats, "time_to_first_token", "avg", file));
  row.p99_time_to_first_token_sec = cell(seconds(stats, "time_to_first_token", "p99", file));
  row.mean_time_per_output_token_sec = cell(seconds(stats, "inter_token_latency", "avg", file));
  a.add(file, "TPOT", "inter_token_latency.avg", `${cfg.tool}'s inter-token latency is per request (latency − TTFT) / (output tokens − 1), as vLLM's TPOT`);
  if (!row.mean_time_to_first_token_sec) a.add(file, "TTFT and TPOT", "not compared", "no streaming metrics (the run was not --streaming)");
  row.mean_end_to_end_latency_sec = cell(seconds(stats, "request_latency", "avg", file));
  row.median_end_to_end_latency_sec = cell(seconds(stats, "request_latency", "p50", file));
  row.engine_version = o.engineVersion ?? "";
  row.run_id = path.basename(path.dirname(file)) + "/" + path.basename(file);
  return row;
}

export function importGenaiPerf(input: string, o: ImportOverrides = {}): ImportResult {
  let files = inputFiles(input, (f) => EXPORT_FILE.test(path.basename(f)));
  // A folder with both exports of a run: the JSON (it carries the configuration), not the CSV too.
  files = files.filter((f) => !(f.toLowerCase().endsWith(".csv") && files.includes(f.replace(/\.csv$/i, ".json"))));
  if (files.length === 0) throw new InputError(`--input ${input}: no *_genai_perf.json / *_aiperf.json / .csv export; fix: ${FIX}`);
  const a = new Assumptions();
  const rows: Record<string, string>[] = [];
  for (const file of files) {
    if (file.toLowerCase().endsWith(".csv")) {
      rows.push(convertOne(parseExportCsv(file), null, file, o, a));
      continue;
    }
    const [doc] = readJsonDocuments(file);
    if (!looksLikeGenaiPerf(doc)) throw fileError(file, "time_to_first_token", "and request_throughput are missing (not a genai-perf / aiperf export)", FIX);
    rows.push(convertOne(doc as Stats, doc as Record<string, unknown>, file, o, a));
  }
  return { format: "genai-perf", sources: files, columns: IMPORT_COLUMNS, rows: numberRows(rows), assumptions: a.list() };
}
