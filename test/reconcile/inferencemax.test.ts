import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { aggregateRuns, extractRuns, normaliseModel } from "../../lib/reconcile/inferencemax";
import { compareRows, summariseMetric } from "../../lib/reconcile/compare";
import { convertRow } from "../../lib/reconcile/convert";
import { ConfigRow } from "../../lib/reconcile/standard";
import { launchEntries, LaunchSettingsFile, withLaunchSettings } from "../../lib/reconcile/launch-settings";
import { parseOrThrow } from "../../lib/core/validate";
import { predictCsvRow } from "../../lib/reconcile/predict";

const RUN = [
  { hw: "b200-trt", conc: 8, image: "trt", model: "/mnt/lustre01/models/gpt-oss-120b", infmax_model_prefix: "gptoss", framework: "trt", precision: "fp4", spec_decoding: "none", disagg: false, isl: 1024, osl: 1024, is_multinode: false, tp: 4, ep: 4, dp_attention: "true", tput_per_gpu: 1000, output_tput_per_gpu: 500, mean_ttft: 0.05, p99_ttft: 0.1, mean_tpot: 0.004, mean_e2el: 4, median_e2el: 4 },
];

describe("InferenceMAX extraction", () => {
  it("normalises local model paths and writes one standard row per configuration and run", () => {
    expect(normaliseModel("/mnt/lustre01/models/gpt-oss-120b", "gptoss")).toBe("openai/gpt-oss-120b");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "imax-"));
    fs.writeFileSync(path.join(dir, "run_1.json"), JSON.stringify(RUN));
    fs.writeFileSync(path.join(dir, "run_2.json"), JSON.stringify([{ ...RUN[0], tput_per_gpu: 1100 }]));
    const rows = extractRuns(dir);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ model: "openai/gpt-oss-120b", gpu_model: "b200-trt", tensor_parallel: "4", expert_parallel: "4", dp_attention: "true", run_id: "1" });
    const agg = aggregateRuns(rows);
    expect(agg).toHaveLength(1);
    expect(Number(agg[0].throughput_tokens_per_sec_per_gpu)).toBe(1050);
    // Spread = (max − min) / mean = 100 / 1050.
    expect(Number(agg[0].throughput_spread_pct)).toBeCloseTo((100 * 100) / 1050, 6);
  });

  it("fills the launch settings the harness's scripts set and its result files do not record", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "imax-"));
    fs.writeFileSync(path.join(dir, "run_1.json"), JSON.stringify(RUN));
    const [row] = extractRuns(dir);
    // gptoss_fp4_b200_trt_slurm.sh: kv_cache_config dtype fp8, free_gpu_memory_fraction 0.85, --max_batch_size 512 --max_num_tokens 20000.
    expect(row).toMatchObject({ kv_cache_dtype: "fp8", max_batch_size: "512", max_num_tokens: "20000", gpu_memory_utilization: "0.85" });
    const agg = aggregateRuns([row]);
    expect(agg[0]).toMatchObject({ kv_cache_dtype: "fp8", max_num_tokens: "20000" });
  });

  it("launch settings: the row's own columns win, `concurrency` is the row's, unknown platforms are untouched", () => {
    const base = { model: "openai/gpt-oss-120b", framework: "vllm", concurrency: "48" };
    // H100 script: --max-num-seqs $CONC and no kv-cache-dtype (auto = BF16 stays blank).
    expect(withLaunchSettings({ ...base, gpu_model: "h100" })).toMatchObject({ max_batch_size: "48", max_num_tokens: "8192", gpu_memory_utilization: "0.9" });
    expect(withLaunchSettings({ ...base, gpu_model: "h100" }).kv_cache_dtype).toBeUndefined();
    expect(withLaunchSettings({ ...base, gpu_model: "b200", kv_cache_dtype: "bf16" })).toMatchObject({ kv_cache_dtype: "bf16", max_batch_size: "512" });
    // Matched on the platform, not the spelling: "NVIDIA B200" with "tensorrt-llm" is the b200-trt/trt entry.
    expect(withLaunchSettings({ ...base, gpu_model: "NVIDIA B200", framework: "tensorrt-llm" })).toMatchObject({ kv_cache_dtype: "fp8", max_num_tokens: "20000" });
    // DeepSeek-R1: the scripts set an FP8 KV cache on B200 TensorRT-LLM and SGLang in every version; H200 SGLang
    // leaves it at auto (no entry, the row keeps the default).
    expect(withLaunchSettings({ model: "deepseek-ai/DeepSeek-R1-0528", gpu_model: "b200-trt", framework: "trt" }).kv_cache_dtype).toBe("fp8");
    expect(withLaunchSettings({ model: "nvidia/DeepSeek-R1-0528-FP4-V2", gpu_model: "b200", framework: "sglang" }).kv_cache_dtype).toBe("fp8");
    expect(withLaunchSettings({ model: "deepseek-ai/DeepSeek-R1-0528", gpu_model: "h200", framework: "sglang" }).kv_cache_dtype ?? "").toBe("");
    // Llama-3.3-70B: the FP4 checkpoint matches the FP8 entry (one model); MI300X passes $CONC; H100 vLLM added
    // FP8 KV mid-way (2025-09-23), so it has no entry and the row keeps the default.
    const llama = { model: "nvidia/Llama-3.3-70B-Instruct-FP4", framework: "vllm", concurrency: "16" };
    expect(withLaunchSettings({ ...llama, gpu_model: "b200" })).toMatchObject({ kv_cache_dtype: "fp8", max_batch_size: "512", max_num_tokens: "8192" });
    expect(withLaunchSettings({ ...llama, model: "amd/Llama-3.3-70B-Instruct-FP8-KV", gpu_model: "mi300x" })).toMatchObject({ kv_cache_dtype: "fp8", max_batch_size: "16", gpu_memory_utilization: "0.94" });
    expect(withLaunchSettings({ ...llama, gpu_model: "h100" }).kv_cache_dtype).toBeUndefined();
    // GPT-OSS on H200 TensorRT-LLM: $CONC, 20000 tokens, 0.85 of free memory, and the KV dtype left at auto (blank).
    expect(withLaunchSettings({ ...base, gpu_model: "h200-trt", framework: "trt" })).toMatchObject({ max_batch_size: "48", max_num_tokens: "20000", gpu_memory_utilization: "0.85" });
    expect(withLaunchSettings({ ...base, gpu_model: "h200-trt", framework: "trt" }).kv_cache_dtype).toBeUndefined();
    expect(withLaunchSettings({ ...base, gpu_model: "mi300x" })).toMatchObject({ gpu_memory_utilization: "0.95" });
    // Entries with conditions: DeepSeek-R1 FP8 on B200 SGLang branches on TP (dsr1_fp8_b200_slurm.sh), H200 SGLang on ISL/OSL.
    const dsr1 = { model: "deepseek-ai/DeepSeek-R1-0528", gpu_model: "b200", framework: "sglang", input_seq_len: "8192", output_seq_len: "1024" };
    expect(withLaunchSettings({ ...dsr1, tensor_parallel: "8" })).toMatchObject({ kv_cache_dtype: "fp8", max_batch_size: "128", max_num_tokens: "32768", max_prefill_tokens: "32768", gpu_memory_utilization: "0.82" });
    expect(withLaunchSettings({ ...dsr1, tensor_parallel: "4" })).toMatchObject({ max_batch_size: "32", max_num_tokens: "8192", gpu_memory_utilization: "0.95" });
    const tp2 = withLaunchSettings({ ...dsr1, tensor_parallel: "2" });
    expect([tp2.kv_cache_dtype, tp2.max_batch_size]).toEqual(["fp8", undefined]);
    expect(withLaunchSettings({ ...dsr1, gpu_model: "h200", tensor_parallel: "8", input_seq_len: "1024", output_seq_len: "1024" }).max_batch_size).toBe("512");
    expect(withLaunchSettings({ ...dsr1, gpu_model: "h200", tensor_parallel: "8" }).max_batch_size).toBe("256");
    const other = { ...base, gpu_model: "l40s" };
    expect(withLaunchSettings(other)).toBe(other);
    // A condition must name a configuration column: a typo would silently never match, so the file is refused.
    const bad = { what: "w", source: "s", entries: [{ model: "m", gpu_model: "b200", framework: "sglang", settings: {}, when: { tensor_paralel: "8" }, source: "x.sh" }] };
    expect(() => parseOrThrow(LaunchSettingsFile, bad, "launch settings")).toThrow(/when names a column that is not a standard-CSV input or load column/);
    // Every entry names its source script.
    for (const e of launchEntries()) expect(e.source).toMatch(/\.(sh|py)/);
  });

  it("predict applies the launch settings to a row naming its InferenceMAX image, and only then", () => {
    // 8k-token prompts at concurrency 64: an FP8 KV cache halves the KV bytes each decode step reads, so the
    // predicted TPOT of the row with an image (FP8) is shorter than the same row without one (BF16, the default).
    const raw = { model: "openai/gpt-oss-120b", gpu_model: "b200", framework: "vllm", precision: "fp4", input_seq_len: "8192", output_seq_len: "1024", tensor_parallel: "1", concurrency: "64" };
    const bf16 = predictCsvRow(raw, { calibration: "none" });
    const fp8 = predictCsvRow({ ...raw, image: "vllm/vllm-openai:v0.13.0" }, { calibration: "none" });
    const explicit = predictCsvRow({ ...raw, kv_cache_dtype: "fp8" }, { calibration: "none" });
    expect(bf16.error_message + fp8.error_message).toBe("");
    expect(Number(fp8.predicted_tpot_sec)).toBeLessThan(0.95 * Number(bf16.predicted_tpot_sec));
    expect(fp8.predicted_tpot_sec).toBe(explicit.predicted_tpot_sec);
  });

  it("a malformed run file names the field", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "imax-"));
    fs.writeFileSync(path.join(dir, "run_1.json"), JSON.stringify([{ ...RUN[0], conc: "many" }]));
    expect(() => extractRuns(dir)).toThrow(/0\.conc/);
  });
});

describe("row conversion records its assumptions", () => {
  it("DP-attention TRT row: attention dp over TP ranks, MoE tp × ep, TP GPUs counted", () => {
    const row = ConfigRow.parse({ model: "openai/gpt-oss-120b", gpu_model: "b200-trt", framework: "trt", precision: "fp4", input_seq_len: "1024", output_seq_len: "1024", tensor_parallel: "4", expert_parallel: "4", dp_attention: "true", concurrency: "8", disagg: "false", spec_decoding: "none" });
    const req = convertRow(row);
    expect(req.engine.id).toBe("trtllm");
    expect(req.aggregated!.plan.decode).toMatchObject({ attention: { tp: 1, dp: 4 }, moe: { tp: 1, ep: 4 } });
    expect(req.gpusCounted).toBe(4);
    expect(req.assumptions.map((a) => a.what)).toEqual(expect.arrayContaining(["precision fp4", "DP-attention", "GPUs counted", "workload"]));
  });
});

describe("comparison", () => {
  it("percentage error, MAPE and bias by hand", () => {
    const rows = compareRows([
      { throughput_tokens_per_sec_per_gpu: "100", predicted_throughput_per_gpu: "110" },
      { throughput_tokens_per_sec_per_gpu: "200", predicted_throughput_per_gpu: "150" },
    ]);
    expect(rows[0].errors.throughput!.pct).toBeCloseTo(10, 10);
    expect(rows[1].errors.throughput!.pct).toBeCloseTo(-25, 10);
    const s = summariseMetric(rows, "throughput");
    expect(s.mape).toBeCloseTo(17.5, 10); // (10 + 25) / 2
    expect(s.bias).toBeCloseTo(-7.5, 10); // (10 − 25) / 2
    expect(s.rmse).toBeCloseTo(Math.sqrt((10 * 10 + 50 * 50) / 2), 10);
  });
});

describe("rows that leave choices open get recorded assumptions, not errors", () => {
  it("no framework → vLLM; no TP → the smallest power of two that fits; no concurrency and no rate → offline", () => {
    // Llama-3.1-70B in fp8: 72.7 GB of weights (68.5 GB fp8 linear + 2 × 2.1 GB bf16 embedding and head); one
    // H100 offers 81,559 MiB × 0.9 − 4 GB = 72.97 GB: TP 1 holds the weights but not the KV of one 2048-token
    // request (0.27 GB left / 160 kB per token ≈ 1.7k tokens), so TP 2 (36 GB/GPU) is the first that fits.
    const row = ConfigRow.parse({ model: "meta-llama/Llama-3.1-70B-Instruct", gpu_model: "H100 SXM", precision: "fp8", input_seq_len: "1024", output_seq_len: "1024" });
    const req = convertRow(row);
    expect(req.engine.id).toBe("vllm");
    expect(req.gpusCounted).toBe(2);
    const what = req.assumptions.map((a) => a.what);
    expect(what).toEqual(expect.arrayContaining(["engine", "tensor parallel", "requests", "workload"]));
    // Offline: vllm bench throughput's 1000 prompts, all at t = 0, fixed lengths.
    expect(req.workload).toEqual({ kind: "offline", requests: 1000, input: { kind: "fixed", value: 1024 }, output: { kind: "fixed", value: 1024 } });
  });
  it("a model that fits no single-domain TP says to give tensor_parallel", () => {
    const row = ConfigRow.parse({ model: "meta-llama/Llama-3.1-405B", gpu_model: "h100", input_seq_len: "1024", output_seq_len: "128", concurrency: "4" });
    expect(() => convertRow(row)).toThrow(/tensor_parallel is empty and no TP up to 8 holds/);
  });
});
