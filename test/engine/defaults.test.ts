/**
 * Engine defaults as each engine's source chooses them when the user sets nothing (lib/engine/defaults.ts,
 * constants in data/engines/*.json `defaults`), derived by hand per GPU.
 */
import { describe, expect, it } from "vitest";
import { applyEngineDefaults, type DefaultsContext } from "../../lib/engine/defaults";
import { getEngine } from "../../lib/engine/profile";
import { getHardware } from "../../lib/hardware/registry";
import { loadModel } from "../../lib/model/registry";

const llama8b = loadModel("meta-llama/Llama-3.1-8B");
const ctx = (hardware: string, o: Partial<DefaultsContext> = {}): DefaultsContext => ({
  hardware: getHardware(hardware), model: llama8b, usage: "serve", tp: 1, pp: 1, dp: 1, meanInput: 1024, meanOutput: 1024, weightBytes: 2, kvBytes: 2, ...o,
});
const limits = (engine: string, c: DefaultsContext, version?: string) => {
  const e = applyEngineDefaults(getEngine(engine, version), c).engine;
  return { tokens: e.max_num_batched_tokens.value, seqs: e.max_num_seqs.value, graph: e.cuda_graph_max_batch.value, mem: e.gpu_memory_utilization.value };
};

describe("vLLM: by usage context and device memory (arg_utils.py _set_default_args)", () => {
  it("H100 (81,559 MiB = 79.6 GiB ≥ 70, not an A100): serve 8192 / 1024, offline 16384 / 1024", () => {
    expect(limits("vllm", ctx("h100-sxm"))).toMatchObject({ tokens: 8192, seqs: 1024 });
    expect(limits("vllm", ctx("h100-sxm", { usage: "offline" }))).toMatchObject({ tokens: 16384, seqs: 1024 });
  });
  it("A100 80 GB is excluded by name, L4 (24 GB) is small: serve 2048 / 256, offline 8192 / 256", () => {
    expect(limits("vllm", ctx("a100-sxm"))).toMatchObject({ tokens: 2048, seqs: 256 });
    expect(limits("vllm", ctx("l4", { usage: "offline" }))).toMatchObject({ tokens: 8192, seqs: 256 });
  });
});

describe("SGLang: by GPU-memory tier (server_args.py _handle_gpu_memory_settings)", () => {
  it("H100 (79.6 GiB: the < 90 GiB tier): chunked_prefill_size 8192, cuda_graph_max_bs 256 below TP 4", () => {
    expect(limits("sglang", ctx("h100-sxm"))).toMatchObject({ tokens: 8192, graph: 256 });
  });
  it("DP attention divides the chunk among the ranks (chunked_prefill_size //= dp_size): B200 (179 GiB, top tier 16384) at DP 8 → 2048 per rank", () => {
    // B200 183,359 MiB = 179 GiB ≥ 160: the last tier, chunked_prefill_size 16384; 16384 // 8 = 2048 per attention rank.
    expect(limits("sglang", ctx("b200", { tp: 8, dp: 8 })).tokens).toBe(2048);
    expect(limits("sglang", ctx("b200")).tokens).toBe(16384);
  });
});

describe("TensorRT-LLM: trtllm-bench tunes the engine offline (bench/build/tuning.py), served uses BuildConfig", () => {
  it("served: max_batch_size 2048, max_num_tokens 8192", () => {
    expect(limits("trtllm", ctx("h100-sxm"))).toMatchObject({ tokens: 8192, seqs: 2048 });
  });
  it("offline, Llama 3.1 8B FP8 on one H100 at 128/128: the request cap 4096, tokens 4096 × (1 + 128/128) = 8192", () => {
    // KV per token as the builder counts it: 32 layers × 2 (K, V) × max(TP 1, 8 KV heads) × 128 × 1 B (FP8) = 65,536 B.
    // Memory 79.65 GiB − weights 8.03 GB, × 0.95 → ≈ 68.0 GiB of KV → ≈ 1.11 M tokens → ≈ 4,350 requests of 256 tokens,
    // above the 4096 cap: max_batch_size 4096 (a multiple of 256), max_num_tokens 8192 (a multiple of 1024).
    const c = ctx("h100-sxm", { usage: "offline", meanInput: 128, meanOutput: 128, weightBytes: 1, kvBytes: 1 });
    expect(limits("trtllm", c, "0.17")).toMatchObject({ seqs: 4096, tokens: 8192 });
  });
  it("offline, long requests: 20000/2000 leaves ≈ 50 requests → rounded up to 64 (the minimum of the first tier)", () => {
    // 1.11 M KV tokens / 22,000 per request ≈ 50.7 → below 256: steps of 32 with minimum 64 → 64;
    // tokens = 50.7 × (1 + 20000/2000) ≈ 557 → below 4096: steps of 256, minimum 2048 → 2048.
    const c = ctx("h100-sxm", { usage: "offline", meanInput: 20000, meanOutput: 2000, weightBytes: 1, kvBytes: 1 });
    expect(limits("trtllm", c, "0.17")).toMatchObject({ seqs: 64, tokens: 2048 });
  });
});
