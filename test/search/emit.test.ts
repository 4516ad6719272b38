/** Launch configs: every flag, value and YAML key checked against the engines' flag tables (read from their source), files parsed back. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { checkArgs, checkConfig, checkFields, emitConfig, emitContext, FLAG_ENGINES, flagTable, pointFor, scriptCommand, splitShell } from "../../lib/search/emit/index";
import { commandText } from "../../lib/search/emit/flags";
import { layoutId } from "../../lib/search/space";
import type { Evaluated, Layout, WorkerLayout, WorkerSettings } from "../../lib/search/types";

const settings = (o: Partial<WorkerSettings> = {}): WorkerSettings => ({
  maxNumSeqs: 64, maxNumBatchedTokens: 8192, gpuMemoryUtilization: 0.9, memoryBasis: "total", kvCacheDtype: "bf16", cudaGraphMaxBatch: 512, kvBlockSize: 16, ...o,
});

/** A simulated point, made by hand: only what a launch config reads. */
function point(l: Omit<Layout, "id">, concurrency: number, gpus: number, s: { decode: WorkerSettings; prefill?: WorkerSettings }): Evaluated {
  const layout = { ...l, id: layoutId(l) };
  const per = l.mode === "aggregated" ? l.worker!.width * l.worker!.pp : l.ratio!.prefill * l.prefill!.width + l.ratio!.decode * l.decode!.width;
  const units = Math.floor(gpus / per);
  return {
    id: `${layout.id} c${concurrency}`, candidate: { layout, concurrency },
    deployment: { units, gpusPerUnit: per, gpusUsed: units * per, concurrency: units * concurrency, ...(l.ratio ? { prefillWorkers: units * l.ratio.prefill, decodeWorkers: units * l.ratio.decode } : {}) },
    throughputPerGpu: 1000, outputThroughputPerGpu: 500, tokPerUser: 50, ttft: 0.2, ttftP90: 0.3, ttftP99: 0.5, tpot: 0.02, e2e: 20, e2eP90: 21,
    slo: [], meetsSlo: true, costPerMillionTokens: 1, costPerMillionOutputTokens: 2, bottleneck: "memory",
    memory: { weightsPerGpuGB: 80, kvPoolPerGpuGB: 90, kvCapacityTokens: 1e6 }, engineSettings: s,
    analytic: { throughputPerGpu: 1000, outputThroughputPerGpu: 500, tokPerUser: 50, ttft: 0.2, tpot: 0.02, e2e: 20 },
    typicalDecode: { batch: 64, context: 1536 }, preemptions: 0, requests: 640, calibration: "none", seconds: 1,
  };
}

const dp8: WorkerLayout = { width: 8, pp: 1, variant: "dp-ep" };
const ds = emitContext({ model: "deepseek-ai/DeepSeek-R1", hardware: "gb200", isl: 1024, osl: 1024 });
const agg = (engine: string, profile: string, speculative: boolean, worker: WorkerLayout, precision = "fp8") =>
  ({ engine, profile, mode: "aggregated" as const, precision, speculative, tokenBudget: 0, worker });

function written(c: ReturnType<typeof emitConfig>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-emit-"));
  for (const f of c.files) fs.writeFileSync(path.join(dir, f.name), f.content);
  return dir;
}

describe("flag tables", () => {
  it("load and validate for every engine, each flag naming its source", () => {
    for (const e of FLAG_ENGINES) {
      const t = flagTable(e);
      expect(t.engine).toBe(e);
      for (const f of [...t.flags, ...t.fields]) expect(t.sources[f.source]).toMatch(/\w+\/\w+/);
    }
  });

  it("catch what an engine does not define", () => {
    const v = flagTable("vllm");
    expect(checkArgs(v, ["vllm", "serve", "m", "--tensor-parallel", "2"])).toEqual(["--tensor-parallel is not an option of vllm serve (data/engines/flags/vllm.json)"]);
    expect(checkArgs(v, ["vllm", "serve", "m", "--kv-cache-dtype", "fp9"])[0]).toMatch(/^--kv-cache-dtype = "fp9" is not one of auto, bfloat16, fp8/);
    expect(checkArgs(v, ["vllm", "serve", "m", "--gpu-memory-utilization", "1.5"])).toEqual(["--gpu-memory-utilization = 1.5 is outside [0, 1]"]);
    expect(checkArgs(v, ["vllm", "serve", "m", "--max-num-seqs", "2.5"])).toEqual(['--max-num-seqs needs a whole number (got "2.5")']);
    expect(checkArgs(v, ["vllm", "serve", "m", "--speculative-config", '{"method":"mtp","k":3}'])).toEqual(['--speculative-config: key "k" is not defined']);
    expect(checkArgs(v, ["vllm", "serve"])).toEqual(["missing model_tag"]);
    expect(checkFields(flagTable("trtllm"), { kv_cache_config: { free_fraction: 0.9 }, enable_attention_dp: "yes" })).toEqual([
      "kv_cache_config.free_fraction is not a field of trtllm (data/engines/flags/trtllm.json)",
      'enable_attention_dp needs true or false (got "yes")',
    ]);
  });
});

describe("launch configs", () => {
  it("a script's command splits back to the same words (quotes, JSON, a quote inside quotes, continuations)", () => {
    const argv = ["python", "-m", "sglang.launch_server", "--model-path", "a b", "--speculative-config", '{"method":"mtp","n":3}', "--note", "it's", "--enable-dp-attention"];
    const text = commandText(argv);
    expect(splitShell(text)).toEqual(argv);
    // The program and its positionals on the first line, then one option (with its value) per line.
    expect(text.split("\n")[0]).toBe("python -m sglang.launch_server \\");
    expect(text.split("\n")).toHaveLength(5);
  });

  it("vllm serve: DP-attention with expert parallelism, MTP, the memory settings and the longest request", () => {
    const e = point(agg("vllm", "vllm", true, dp8), 256, 72, { decode: settings({ maxNumSeqs: 32, maxNumBatchedTokens: 8192, gpuMemoryUtilization: 0.9 }) });
    const c = emitConfig("vllm", e, ds);
    expect(checkConfig(c)).toEqual([]);
    const argv = scriptCommand(fs.readFileSync(path.join(written(c), "vllm-serve.sh"), "utf8"));
    expect(argv[0]).toBe("exec");
    const cmd = argv.slice(1);
    expect(checkArgs(flagTable("vllm"), cmd)).toEqual([]);
    const opt = (k: string) => cmd[cmd.indexOf(k) + 1];
    // 8 DP ranks of 1 GPU each, experts over the 8: TP 1, DP 8, EP on.
    expect([opt("--tensor-parallel-size"), opt("--data-parallel-size")]).toEqual(["1", "8"]);
    expect(cmd).toContain("--enable-expert-parallel");
    // Per rank: 256 clients / 8 ranks = 32 sequences; the longest request 1024 + 1024 tokens.
    expect([opt("--max-num-seqs"), opt("--max-num-batched-tokens"), opt("--gpu-memory-utilization"), opt("--max-model-len")]).toEqual(["32", "8192", "0.9", "2048"]);
    expect(JSON.parse(opt("--speculative-config"))).toEqual({ method: "deepseek_mtp", num_speculative_tokens: 3 });
    // The FP8 checkpoint is served as published: no --quantization.
    expect(cmd).not.toContain("--quantization");
    expect(c.notes.join("\n")).toMatch(/9 replicas of 8 GPUs \(DP8·EP8\), 2304 clients in all/);
  });

  it("vllm serve quantises a BF16 checkpoint to FP8 online", () => {
    const llama = emitContext({ model: "meta-llama/Llama-3.1-8B", hardware: "h100", isl: 512, osl: 128 });
    const c = emitConfig("vllm", point(agg("vllm", "vllm", false, { width: 1, pp: 1, variant: "tp" }), 64, 8, { decode: settings({ kvCacheDtype: "fp8" }) }), llama);
    expect(checkConfig(c)).toEqual([]);
    const cmd = c.commands[0];
    expect(cmd.slice(cmd.indexOf("--quantization"), cmd.indexOf("--quantization") + 2)).toEqual(["--quantization", "fp8"]);
    expect(cmd.slice(cmd.indexOf("--kv-cache-dtype"), cmd.indexOf("--kv-cache-dtype") + 2)).toEqual(["--kv-cache-dtype", "fp8"]);
  });

  it("sglang.launch_server: server-wide request and chunk caps (the scheduler divides them among DP ranks)", () => {
    const e = point(agg("sglang", "sglang", true, dp8), 256, 72, { decode: settings({ maxNumSeqs: 32, maxNumBatchedTokens: 2048, gpuMemoryUtilization: 0.93, cudaGraphMaxBatch: 512 }) });
    const c = emitConfig("sglang", e, ds);
    expect(checkConfig(c)).toEqual([]);
    const cmd = scriptCommand(c.files[0].content).slice(1);
    expect(checkArgs(flagTable("sglang"), cmd)).toEqual([]);
    const opt = (k: string) => cmd[cmd.indexOf(k) + 1];
    // 32 per rank × 8 ranks = 256 running requests; 2048 per rank × 8 = 16384 chunk tokens.
    expect([opt("--tp-size"), opt("--dp-size"), opt("--ep-size"), opt("--max-running-requests"), opt("--chunked-prefill-size"), opt("--mem-fraction-static")]).toEqual(["8", "8", "8", "256", "16384", "0.93"]);
    expect(cmd).toContain("--enable-dp-attention");
    // MTP as EAGLE: 3 steps, top-1, 4 draft tokens (the 3 drafts and the verified one).
    expect([opt("--speculative-algorithm"), opt("--speculative-num-steps"), opt("--speculative-eagle-topk"), opt("--speculative-num-draft-tokens")]).toEqual(["EAGLE", "3", "1", "4"]);
  });

  it("trtllm-serve with its LLM-API YAML: the YAML parses back to what was checked", () => {
    const e = point(agg("trtllm", "trtllm", true, dp8, "fp4"), 512, 72, { decode: settings({ maxNumSeqs: 64, maxNumBatchedTokens: 8192, gpuMemoryUtilization: 0.85, memoryBasis: "free", kvCacheDtype: "fp8", cudaGraphMaxBatch: 128 }) });
    const c = emitConfig("trtllm", e, ds);
    expect(checkConfig(c)).toEqual([]);
    const dir = written(c);
    const cmd = scriptCommand(fs.readFileSync(path.join(dir, "trtllm-serve.sh"), "utf8")).slice(1);
    expect(checkArgs(flagTable("trtllm"), cmd)).toEqual([]);
    const opts = parse(fs.readFileSync(path.join(dir, cmd[cmd.indexOf("--extra_llm_api_options") + 1]), "utf8"));
    expect(checkFields(flagTable("trtllm"), opts)).toEqual([]);
    expect(opts).toEqual(c.documents[0].doc);
    expect(opts.enable_attention_dp).toBe(true);
    expect(opts.kv_cache_config).toEqual({ free_gpu_memory_fraction: 0.85, dtype: "fp8" });
    // CUDA graphs up to min(64 per rank, the profile's 128).
    expect(opts.cuda_graph_config).toEqual({ max_batch_size: 64, enable_padding: true });
    expect(opts.speculative_config).toEqual({ decoding_type: "MTP", num_nextn_predict_layers: 3 });
    // FP4 of an FP8 checkpoint: the note says which checkpoint to serve.
    expect(c.notes.join("\n")).toMatch(/nvfp4 checkpoint of deepseek-ai\/DeepSeek-R1/);
  });

  it("a Dynamo disaggregated graph: ConfigMap of engine YAMLs and the graph, workers spanning nodes", () => {
    const l = { engine: "dynamo", profile: "dynamo-trt", mode: "disaggregated" as const, precision: "fp4", speculative: true, tokenBudget: 16384,
      prefill: { width: 4, pp: 1, variant: "dp-ep" as const }, decode: dp8, ratio: { prefill: 1, decode: 2 } };
    const e = point(l, 1024, 72, { decode: settings({ maxNumSeqs: 64, memoryBasis: "free", kvCacheDtype: "fp8" }), prefill: settings({ maxNumSeqs: 256, maxNumBatchedTokens: 16384, memoryBasis: "free", kvCacheDtype: "fp8" }) });
    const c = emitConfig("dynamo", e, ds);
    expect(checkConfig(c)).toEqual([]);
    const docs = parseAllDocuments(fs.readFileSync(path.join(written(c), "dynamo-disagg.yaml"), "utf8")).map((d) => d.toJS());
    const [configMap, graph] = docs;
    expect(configMap.kind).toBe("ConfigMap");
    const prefill = parse(configMap.data["prefill.yaml"]);
    const decode = parse(configMap.data["decode.yaml"]);
    expect(checkFields(flagTable("trtllm"), prefill)).toEqual([]);
    expect(checkFields(flagTable("trtllm"), decode)).toEqual([]);
    expect(checkFields(flagTable("dynamo"), graph)).toEqual([]);
    expect([prefill.max_num_tokens, prefill.disable_overlap_scheduler, prefill.cache_transceiver_config.backend, prefill.speculative_config]).toEqual([16384, true, "DEFAULT", undefined]);
    expect(decode.speculative_config).toEqual({ decoding_type: "MTP", num_nextn_predict_layers: 3 });
    const s = graph.spec.services;
    // A unit is 1·4 + 2·8 = 20 GPUs; 72 GPUs hold 3 units: 3 prefill and 6 decode workers.
    expect([s.TRTLLMPrefillWorker.replicas, s.TRTLLMDecodeWorker.replicas]).toEqual([3, 6]);
    // GB200 trays hold 4 GPUs: a 4-GPU prefill worker fits one node; an 8-GPU decode worker spans 2.
    expect([s.TRTLLMPrefillWorker.resources.limits.gpu, s.TRTLLMPrefillWorker.multinode]).toEqual(["4", undefined]);
    expect([s.TRTLLMDecodeWorker.resources.limits.gpu, s.TRTLLMDecodeWorker.multinode.nodeCount]).toEqual(["4", 2]);
    const args = s.TRTLLMDecodeWorker.extraPodSpec.mainContainer.args;
    expect(checkArgs(flagTable("dynamo"), [...s.TRTLLMDecodeWorker.extraPodSpec.mainContainer.command, ...args])).toEqual([]);
    expect(args[args.indexOf("--disaggregation-mode") + 1]).toBe("decode");
  });

  it("refuses a mode the engine's config does not describe", () => {
    const e = point(agg("vllm", "vllm", false, dp8), 64, 8, { decode: settings() });
    expect(() => emitConfig("dynamo", e, ds)).toThrow(/needs a disaggregated point/);
    expect(() => emitConfig("tgi", e, ds)).toThrow(/--emit: "tgi" is not one of vllm, sglang, trtllm, dynamo/);
  });

  it("emits the chosen point if it is the engine's, else that engine's best point meeting the SLOs", () => {
    const a = point(agg("vllm", "vllm", false, dp8), 64, 8, { decode: settings() });
    const b = { ...point(agg("trtllm", "trtllm", false, dp8), 64, 8, { decode: settings() }), throughputPerGpu: 900 };
    const b2 = { ...b, throughputPerGpu: 950, id: "b2" };
    expect(pointFor("vllm", a, [a, b, b2])).toBe(a);
    expect(pointFor("trtllm", a, [a, b, b2])).toBe(b2);
    expect(() => pointFor("sglang", a, [a, b])).toThrow(/no simulated sglang point meets the SLOs; emit one of vllm, trtllm/);
  });
});
