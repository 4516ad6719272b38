/**
 * Importers: each tool's fixture (test/fixtures/importers, real layouts, made-up numbers) → standard rows
 * with the values derived by hand below; the whole path (import → predict → compare → files) per format;
 * auto-detection; malformed files (the error names the file, the field and the fix).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCsv } from "../../lib/core/csv";
import { PROJECT_ROOT } from "../../lib/core/paths";
import { compare, predict } from "../../lib/cli/reconcile";
import { extract } from "../../lib/cli/reconcile-user";
import { detectFormat, importResults, IMPORT_COLUMNS, type Format } from "../../lib/reconcile/importers/index";
import { reconcileResults } from "../../lib/reconcile/importers/pipeline";
import { REPORT_METRIC_COLUMNS } from "../../lib/reconcile/compare";
import { inferencemaxRun } from "../fixtures/importers/inferencemax-run";

const FIX = path.join(PROJECT_ROOT, "test", "fixtures", "importers");
const fx = (...p: string[]) => path.join(FIX, ...p);
let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-importers-"))));
// InferenceMAX's run file, generated with each value's formula (../fixtures/importers/inferencemax-run.ts); its name is the run id.
const IMAX = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mantile-inferencemax-")), "agg_bmk.json");
fs.writeFileSync(IMAX, JSON.stringify(inferencemaxRun(), null, 1));
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(path.dirname(IMAX), { recursive: true, force: true });
});

const num = (s: string) => Number(s);
const jsonOf = (f: string) => JSON.parse(fs.readFileSync(f, "utf8"));

describe("each format → standard rows", () => {
  it("vllm bench serve: metadata fields give GPU/TP/precision, per-GPU throughput = file throughput / (TP × PP)", () => {
    const r = importResults(fx("vllm-bench"), "vllm-bench");
    expect(r.rows).toHaveLength(2);
    const [tp1, tp2] = r.rows; // files sorted: …tp1-c4.json, …tp2-c16.json
    expect(tp1).toMatchObject({ model: "openai/gpt-oss-120b", gpu_model: "b200", framework: "vllm", precision: "fp4", tensor_parallel: "1", pipeline_parallel: "1" });
    // 40 prompts × 1024 tokens each way: total_input_tokens 40960 / completed 40 = 1024.
    expect(tp1).toMatchObject({ input_seq_len: "1024", output_seq_len: "1024", concurrency: "4", request_rate: "inf", num_requests: "40", engine_version: "0.10.2" });
    expect(tp1.benchmark_date).toBe("2025-09-12T10:15:00");
    // total_token_throughput 1678.85 / 1 GPU; mean_ttft_ms 61.2 → 0.0612 s; p99_ttft_ms 85.68; mean_tpot_ms 4.71; mean_e2el_ms 4879.53.
    expect(num(tp1.throughput_tokens_per_sec_per_gpu)).toBeCloseTo(1678.85, 6);
    expect(num(tp1.output_throughput_per_gpu)).toBeCloseTo(839.425, 6);
    expect(num(tp1.mean_time_to_first_token_sec)).toBeCloseTo(0.0612, 9);
    expect(num(tp1.p99_time_to_first_token_sec)).toBeCloseTo(0.08568, 9);
    expect(num(tp1.mean_time_per_output_token_sec)).toBeCloseTo(0.00471, 9);
    expect(num(tp1.mean_end_to_end_latency_sec)).toBeCloseTo(4.87953, 9);
    // TP 2: the file's total_token_throughput divided by 2 GPUs.
    const f2 = jsonOf(fx("vllm-bench", "vllm-120b-b200-tp2-c16.json"));
    expect(num(tp2.throughput_tokens_per_sec_per_gpu)).toBeCloseTo(f2.total_token_throughput / 2, 6);
    expect(r.assumptions.find((a) => a.what === "tensor parallel")?.why).toBe('from the file\'s "tp" field');
    expect(r.columns).toEqual(IMPORT_COLUMNS);
  });

  it("trtllm-bench published table: per-GPU = system / num_gpus; total = output × (ISL + OSL) / OSL; offline; dataset sizes of v0.17", () => {
    const r = importResults(fx("trtllm-bench", "v0.17_table.csv"), "trtllm-bench");
    expect(r.rows.map((x) => [x.model, x.tensor_parallel, x.pipeline_parallel, x.framework, x.precision, x.kv_cache_dtype])).toEqual([
      ["meta-llama/Llama-3.1-8B", "1", "1", "trtllm", "fp8", "fp8"],
      ["meta-llama/Llama-3.1-8B", "1", "1", "trtllm", "fp8", "fp8"],
      ["meta-llama/Llama-3.1-70B", "2", "1", "trtllm", "fp8", "fp8"],
    ]);
    const [a, b, c] = r.rows;
    // Row 1: 21500 tok/s on 1 GPU; total = 21500 × (128 + 2048) / 2048 = 22843.75.
    expect(num(a.output_throughput_per_gpu)).toBe(21500);
    expect(num(a.throughput_tokens_per_sec_per_gpu)).toBeCloseTo(22843.75, 9);
    // Row 3: 6100 tok/s on 2 GPUs → 3050 per GPU; total 3050 × 2176 / 2048 = 3240.625.
    expect(num(c.output_throughput_per_gpu)).toBe(3050);
    expect(num(c.throughput_tokens_per_sec_per_gpu)).toBeCloseTo(3240.625, 9);
    // v0.17 doc's dataset sizes: 128/2048 → 3000 requests, 2048/128 → 3000 (data/benchmarks/trtllm-perf-overview-v0.17.json).
    expect([a.num_requests, b.num_requests]).toEqual(["3000", "3000"]);
    expect(r.rows.every((x) => x.request_rate === "inf" && x.concurrency === "" && x.engine_version === "0.17")).toBe(true);
    expect(r.rows.every((x) => x.mean_time_to_first_token_sec === "")).toBe(true);
  });

  it("trtllm-bench --report_json: GPU from machine.name unless --gpu (the conflict recorded), FP8 quantisation, streaming metrics", () => {
    const f = jsonOf(fx("trtllm-bench", "report.json"));
    const own = importResults(fx("trtllm-bench", "report.json"), "trtllm-bench").rows[0];
    expect(own.gpu_model).toBe("NVIDIA H100 80GB HBM3");
    const r = importResults(fx("trtllm-bench", "report.json"), "auto", { gpu: "h100" });
    const row = r.rows[0];
    expect(row).toMatchObject({ gpu_model: "h100", model: "meta-llama/Llama-3.1-8B", precision: "fp8", kv_cache_dtype: "fp8", tensor_parallel: "1", max_batch_size: "2048", max_num_tokens: "8192", num_requests: "3000", input_seq_len: "128", output_seq_len: "2048", engine_version: "1.0.0", request_rate: "inf" });
    expect(r.assumptions.find((a) => a.what === "GPU")?.why).toBe('from --gpu (the file says machine.name = NVIDIA H100 80GB HBM3)');
    // world_size 1: per-GPU = system figures; 3000 requests × 2176 tokens / 135 s = 48355.56 tok/s.
    expect(num(row.throughput_tokens_per_sec_per_gpu)).toBeCloseTo(f.performance.system_total_throughput_tok_s, 9);
    expect(num(row.throughput_tokens_per_sec_per_gpu)).toBeCloseTo((3000 * 2176) / 135, 2);
    // TTFT 900 ms, TPOT 21 ms, mean latency 900 + 21 × 2047 = 43887 ms.
    expect(num(row.mean_time_to_first_token_sec)).toBeCloseTo(0.9, 9);
    expect(num(row.mean_time_per_output_token_sec)).toBeCloseTo(0.021, 9);
    expect(num(row.mean_end_to_end_latency_sec)).toBeCloseTo(43.887, 9);
  });

  it("genai-perf JSON: model and concurrency from input_config; total = request_throughput × (ISL + OSL) / GPUs", () => {
    const f = jsonOf(fx("genai-perf", "gpt-oss-120b-openai-chat-concurrency8", "profile_export_genai_perf.json"));
    const row = importResults(fx("genai-perf"), "genai-perf", { gpu: "b200", tp: 2, precision: "fp4" }).rows[0];
    expect(row).toMatchObject({ model: "openai/gpt-oss-120b", concurrency: "8", request_rate: "inf", tensor_parallel: "2", input_seq_len: "1024", output_seq_len: "1024", num_requests: "80", framework: "" });
    expect(num(row.throughput_tokens_per_sec_per_gpu)).toBeCloseTo((f.request_throughput.avg * 2048) / 2, 9);
    expect(num(row.output_throughput_per_gpu)).toBeCloseTo(f.output_token_throughput.avg / 2, 9);
    // Latency 95 + 5.9 × 1023 = 6130.7 ms; TTFT 95 ms; ITL 5.9 ms (used as TPOT).
    expect(num(row.mean_end_to_end_latency_sec)).toBeCloseTo(6.1307, 9);
    expect(num(row.mean_time_to_first_token_sec)).toBeCloseTo(0.095, 9);
    expect(num(row.mean_time_per_output_token_sec)).toBeCloseTo(0.0059, 9);
  });

  it("aiperf JSON: the same metrics, configuration from UserConfig (endpoint.model_names, loadgen.concurrency)", () => {
    const row = importResults(fx("aiperf"), "auto", { gpu: "b200", tp: 4, precision: "fp4" }).rows[0];
    expect(row).toMatchObject({ model: "openai/gpt-oss-120b", concurrency: "32", num_requests: "320", tensor_parallel: "4" });
    expect(num(row.mean_time_to_first_token_sec)).toBeCloseTo(0.14, 9);
  });

  it("genai-perf CSV: both sections parsed (numbers like 1,336.23), configuration from flags", () => {
    const row = importResults(fx("genai-perf-csv"), "auto", { model: "openai/gpt-oss-120b", gpu: "b200", tp: 2, concurrency: 8 }).rows[0];
    // Request Throughput 1.30 × 2048 / 2 = 1331.2; Output Token Throughput 1,336.23 / 2 = 668.115; latency "6,130.70" ms.
    expect(num(row.throughput_tokens_per_sec_per_gpu)).toBeCloseTo(1331.2, 9);
    expect(num(row.output_throughput_per_gpu)).toBeCloseTo(668.115, 9);
    expect(num(row.mean_end_to_end_latency_sec)).toBeCloseTo(6.1307, 9);
    expect(num(row.p99_time_to_first_token_sec)).toBeCloseTo(0.1235, 9);
  });

  it("InferenceMAX agg_bmk.json: the rows mantile extract inferencemax writes", () => {
    const r = importResults(IMAX, "auto");
    expect(r.format).toBe("inferencemax");
    expect(r.rows.map((x) => [x.concurrency, x.tensor_parallel, x.throughput_tokens_per_sec_per_gpu, x.run_id])).toEqual([
      ["4", "1", "1520", "agg_bmk"],
      ["32", "2", "4650", "agg_bmk"],
    ]);
  });

  it("standard CSV: passed through, unknown columns kept", () => {
    const r = importResults(fx("standard", "results.csv"));
    expect(r.format).toBe("standard");
    expect(r.columns).toContain("my_note");
    expect(r.rows[0].my_note).toBe("first run");
  });

  it("auto-detection names each tool from the content", () => {
    const cases: [string, Format][] = [
      [fx("standard", "results.csv"), "standard"], [path.dirname(IMAX), "inferencemax"], [fx("vllm-bench"), "vllm-bench"],
      [fx("trtllm-bench", "report.json"), "trtllm-bench"], [fx("trtllm-bench", "v0.17_table.csv"), "trtllm-bench"],
      [fx("genai-perf"), "genai-perf"], [fx("aiperf"), "genai-perf"], [fx("genai-perf-csv"), "genai-perf"],
    ];
    for (const [input, fmt] of cases) expect(detectFormat(input), input).toBe(fmt);
    expect(() => detectFormat(fx("trtllm-bench"))).not.toThrow(); // table + report: both trtllm-bench
    expect(() => detectFormat(FIX)).toThrow(/results of several tools/);
  });
});

describe("the whole path: import → predict → compare → report files", () => {
  const formats: [string, string, object][] = [
    ["standard", fx("standard", "results.csv"), {}],
    ["inferencemax", IMAX, {}],
    ["vllm-bench", fx("vllm-bench"), {}],
    ["trtllm-bench table", fx("trtllm-bench", "v0.17_table.csv"), {}],
    ["trtllm-bench report", fx("trtllm-bench", "report.json"), { gpu: "h100" }],
    ["genai-perf", fx("genai-perf"), { gpu: "b200", tp: 2, precision: "fp4" }],
    ["aiperf", fx("aiperf"), { gpu: "b200", tp: 4, precision: "fp4" }],
    ["genai-perf csv", fx("genai-perf-csv"), { model: "openai/gpt-oss-120b", gpu: "b200", tp: 2, concurrency: 8, precision: "fp4" }],
  ];
  it.each(formats)("%s", async (name, input, overrides) => {
    const out = path.join(tmp, name.replace(/\W+/g, "-"));
    const r = await reconcileResults({ input, format: "auto", out, overrides });
    const n = r.imported.rows.length;
    for (const f of ["benchmark.csv", "assumptions.md", "assumptions.json", "mantile_predictions.csv", "comparison_report.csv", "comparison_summary.txt"]) {
      expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    }
    const report = readCsv(path.join(out, "comparison_report.csv"));
    expect(report.rows).toHaveLength(n);
    for (const c of REPORT_METRIC_COLUMNS) expect(report.columns).toContain(c);
    // Every fixture row is predictable: one output row per input row, none with an error.
    expect(report.rows.filter((x) => x.error_message)).toEqual([]);
    expect(report.rows.every((x) => Number(x.predicted_throughput_per_gpu) > 0)).toBe(true);
    expect(fs.readFileSync(path.join(out, "comparison_summary.txt"), "utf8")).toContain(`Coverage: ${n} of ${n} rows predicted (100.0%)`);
    expect(fs.readFileSync(path.join(out, "assumptions.md"), "utf8")).toMatch(/^\| what \| value \| why \| applies to \|$/m);
  });

  it("the figures are those of mantile predict + mantile compare on the same CSV", async () => {
    const out = path.join(tmp, "vllm-bench"); // written by the case above
    const cli = path.join(tmp, "cli");
    fs.mkdirSync(cli, { recursive: true });
    const quiet = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      expect(await predict(["--input", path.join(out, "benchmark.csv"), "--output", path.join(cli, "p.csv")])).toBe(0);
      expect(await compare(["--actuals", path.join(out, "benchmark.csv"), "--predictions", path.join(cli, "p.csv"), "--output", path.join(cli, "comparison_report.csv")])).toBe(0);
    } finally {
      process.stdout.write = quiet;
    }
    const metricLines = (f: string) => fs.readFileSync(f, "utf8").split("\n").filter((l) => /^(throughput|ttft|tpot|e2e) /.test(l));
    expect(metricLines(path.join(out, "comparison_summary.txt"))).toEqual(metricLines(path.join(cli, "comparison_summary.txt")));
    expect(metricLines(path.join(out, "comparison_summary.txt"))).toHaveLength(4);
    const mine = readCsv(path.join(out, "comparison_report.csv")).rows.map((x) => x.throughput_pct_error);
    expect(readCsv(path.join(cli, "comparison_report.csv")).rows.map((x) => x.throughput_pct_error)).toEqual(mine);
  });

  it("mantile extract trtllm-bench writes the standard CSV and its assumptions", async () => {
    const out = path.join(tmp, "extract", "v017.csv");
    expect(await extract(["trtllm-bench", "--input", fx("trtllm-bench", "v0.17_table.csv"), "--out", out])).toBe(0);
    const csv = readCsv(out);
    expect(csv.columns).toEqual(IMPORT_COLUMNS);
    expect(csv.rows).toHaveLength(3);
    expect(fs.readFileSync(path.join(tmp, "extract", "v017_assumptions.md"), "utf8")).toContain("output_tokens_per_sec_system / num_gpus");
  });
});

describe("malformed files: the error names the file, the field and the fix", () => {
  const write = (name: string, content: string) => {
    const f = path.join(tmp, "bad", name);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, content);
    return f;
  };
  const vllm = () => jsonOf(fx("vllm-bench", "vllm-120b-b200-tp1-c4.json"));
  const expectError = (fn: () => unknown, file: string, field: string, fix: RegExp) => {
    let msg = "";
    try {
      fn();
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg, "no error thrown").not.toBe("");
    expect(msg).toContain(file);
    expect(msg).toContain(field);
    expect(msg).toMatch(fix);
  };

  it("vllm bench: a missing field, a non-number, no GPU, not JSON", () => {
    const noTokens = vllm();
    delete noTokens.total_input_tokens;
    let f = write("vllm-no-tokens.json", JSON.stringify(noTokens));
    expectError(() => importResults(f, "vllm-bench"), f, '"total_input_tokens" is missing', /fix: save it with `vllm bench serve --save-result`/);
    f = write("vllm-bad-ttft.json", JSON.stringify({ ...vllm(), mean_ttft_ms: "fast" }));
    expectError(() => importResults(f, "vllm-bench"), f, '"mean_ttft_ms" is "fast", not a number', /fix:/);
    const noGpu = vllm();
    delete noGpu.gpu;
    f = write("vllm-no-gpu.json", JSON.stringify(noGpu));
    expectError(() => importResults(f, "vllm-bench"), f, '"gpu"', /fix: pass --gpu NAME/);
    f = write("vllm-truncated.json", JSON.stringify(vllm()).slice(0, 200));
    expectError(() => importResults(f, "vllm-bench"), f, "not valid JSON", /fix: give the file the tool wrote/);
  });

  it("trtllm-bench: a table cell that is not a number, a report without performance", () => {
    const table = fs.readFileSync(fx("trtllm-bench", "v0.17_table.csv"), "utf8").replace(",H100 SXM,2,2,", ",H100 SXM,two,2,");
    let f = write("v0.17_bad.csv", table);
    expectError(() => importResults(f, "trtllm-bench"), `${f} row 3`, '"num_gpus" is "two"', /fix: the table layout has the columns model, gpu, num_gpus/);
    const rep = jsonOf(fx("trtllm-bench", "report.json"));
    delete rep.performance;
    f = write("report-no-perf.json", JSON.stringify(rep));
    expectError(() => importResults(f, "trtllm-bench"), f, '"performance" is missing', /fix: give the file `trtllm-bench throughput --report_json FILE` wrote/);
  });

  it("genai-perf: no output_token_throughput; a CSV without the configuration flags", () => {
    const g = jsonOf(fx("genai-perf", "gpt-oss-120b-openai-chat-concurrency8", "profile_export_genai_perf.json"));
    delete g.output_token_throughput;
    const f = write("g/profile_export_genai_perf.json", JSON.stringify(g));
    expectError(() => importResults(f, "genai-perf", { gpu: "b200", tp: 1 }), f, '"output_token_throughput" is missing', /fix:/);
    const csv = path.join(fx("genai-perf-csv"), "profile_export_genai_perf.csv");
    expectError(() => importResults(csv, "genai-perf", { model: "openai/gpt-oss-120b" }), csv, '"gpu" is not in the CSV export', /fix: pass --gpu NAME/);
  });

  it("InferenceMAX: a configuration without hw; the standard CSV without input_seq_len", () => {
    const rows = jsonOf(IMAX);
    delete rows[1].hw;
    let f = write("agg_bmk.json", JSON.stringify(rows));
    expectError(() => importResults(f, "inferencemax"), "agg_bmk.json", "1.hw", /fix: give InferenceMAX's agg_bmk.json as published/);
    const std = fs.readFileSync(fx("standard", "results.csv"), "utf8").replace("input_seq_len", "isl");
    f = write("std.csv", std);
    expectError(() => importResults(f, "standard"), f, '"input_seq_len" is not a column', /fix: add a "input_seq_len" column/);
  });

  it("unknown layouts and formats", () => {
    const f = write("other/x.json", JSON.stringify({ hello: 1 }));
    expectError(() => importResults(path.dirname(f)), path.dirname(f), "no results of a known tool", /fix: name it with --format/);
    expectError(() => importResults(fx("vllm-bench"), "vllm" as Format), "--format", '"vllm" is not known', /use auto, standard/);
  });
});
