/**
 * Launch configs of one aggregated replica: `vllm serve …`, `python -m sglang.launch_server …`, and
 * `trtllm-serve …` with its LLM-API YAML — each with the layout, the batch and token caps, the memory
 * fraction and the longest request that the prediction assumed, in the engine's own flag names
 * (data/engines/flags/*.json).
 */
import { stringify } from "yaml";
import { InputError } from "../../core/validate";
import type { Evaluated } from "../types";
import { comment, degrees, draftTokens, header, HOST, isFp8Kv, maxModelLen, PORTS, weightsSource, type EmitContext, type LaunchConfig } from "./common";
import { commandText } from "./flags";

const SHEBANG = "#!/bin/sh";
/** vLLM's MTP method per model family (vllm/config/speculative.py MTPModelTypes); "mtp" otherwise. */
const VLLM_MTP_METHOD: Record<string, string> = { deepseek_v3: "deepseek_mtp", glm4_moe: "glm4_moe_mtp" };
const script = (lines: string[], argv: string[]) => `${SHEBANG}\n${comment(lines)}\nexec ${commandText(argv)}\n`;

function aggregatedOnly(e: Evaluated, engine: string): void {
  if (e.candidate.layout.mode !== "aggregated") throw new InputError(`${engine} launch configs are for aggregated replicas; ${e.id} is disaggregated (use --emit dynamo)`);
}

export function vllmConfig(e: Evaluated, ctx: EmitContext): LaunchConfig {
  aggregatedOnly(e, "vllm");
  const l = e.candidate.layout;
  const g = degrees(l.worker!);
  const s = e.engineSettings.decode;
  const argv = ["vllm", "serve", ctx.modelId, "--host", HOST, "--port", String(PORTS.vllm)];
  // Attention TP (or one rank per GPU with DP), experts over the same GPUs by EP.
  argv.push("--tensor-parallel-size", String(g.attentionDp ? 1 : g.tp));
  if (g.attentionDp) argv.push("--data-parallel-size", String(g.dp));
  if (g.ep > 1) argv.push("--enable-expert-parallel");
  if (g.pp > 1) argv.push("--pipeline-parallel-size", String(g.pp));
  argv.push("--max-num-seqs", String(s.maxNumSeqs), "--max-num-batched-tokens", String(s.maxNumBatchedTokens));
  argv.push("--gpu-memory-utilization", String(s.gpuMemoryUtilization), "--max-model-len", String(maxModelLen(ctx.shape)));
  if (isFp8Kv(s)) argv.push("--kv-cache-dtype", "fp8");
  const w = weightsSource(ctx, l.precision);
  if (w.kind === "online-fp8") argv.push("--quantization", "fp8");
  if (l.speculative) argv.push("--speculative-config", JSON.stringify({ method: VLLM_MTP_METHOD[ctx.ir.family] ?? "mtp", num_speculative_tokens: draftTokens() }));
  const notes = [
    ...header(e, ctx, "vLLM"),
    `run one such server per replica (${e.deployment.units}), each on its own ${e.deployment.gpusPerUnit} GPUs, behind a load balancer`,
    "--max-num-seqs and --max-num-batched-tokens are per data-parallel rank; --gpu-memory-utilization is of the device's total memory",
  ];
  return { engine: "vllm", point: e.id, files: [{ name: "vllm-serve.sh", content: script(notes, argv) }], commands: [argv], documents: [], notes };
}

export function sglangConfig(e: Evaluated, ctx: EmitContext): LaunchConfig {
  aggregatedOnly(e, "sglang");
  const l = e.candidate.layout;
  const g = degrees(l.worker!);
  const s = e.engineSettings.decode;
  const argv = ["python", "-m", "sglang.launch_server", "--model-path", ctx.modelId, "--host", HOST, "--port", String(PORTS.sglang)];
  argv.push("--tp-size", String(g.tp));
  if (g.attentionDp) argv.push("--dp-size", String(g.dp), "--enable-dp-attention");
  if (g.ep > 1) argv.push("--ep-size", String(g.ep));
  if (g.pp > 1) argv.push("--pp-size", String(g.pp));
  // SGLang counts running requests and the prefill chunk over the whole server (divided among DP ranks).
  argv.push("--max-running-requests", String(s.maxNumSeqs * g.dp), "--chunked-prefill-size", String(s.maxNumBatchedTokens * g.dp));
  argv.push("--mem-fraction-static", String(s.gpuMemoryUtilization), "--cuda-graph-max-bs", String(s.cudaGraphMaxBatch), "--context-length", String(maxModelLen(ctx.shape)));
  if (isFp8Kv(s)) argv.push("--kv-cache-dtype", "fp8_e4m3");
  const w = weightsSource(ctx, l.precision);
  if (w.kind === "online-fp8") argv.push("--quantization", "fp8");
  if (l.speculative) {
    const k = draftTokens();
    argv.push("--speculative-algorithm", "EAGLE", "--speculative-num-steps", String(k), "--speculative-eagle-topk", "1", "--speculative-num-draft-tokens", String(k + 1));
  }
  const notes = [
    ...header(e, ctx, "SGLang"),
    `run one such server per replica (${e.deployment.units}), each on its own ${e.deployment.gpusPerUnit} GPUs, behind a load balancer`,
    "--max-running-requests and --chunked-prefill-size count the whole server (the scheduler divides them among DP-attention ranks); --mem-fraction-static is of the device's total memory",
  ];
  return { engine: "sglang", point: e.id, files: [{ name: "sglang-launch.sh", content: script(notes, argv) }], commands: [argv], documents: [], notes };
}

/** The LLM-API YAML of a TensorRT-LLM worker (shared with Dynamo's workers). */
export function llmApiOptions(e: Evaluated, role: "decode" | "prefill", ctx: EmitContext, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const l = e.candidate.layout;
  const w = role === "prefill" ? l.prefill! : l.mode === "aggregated" ? l.worker! : l.decode!;
  const s = role === "prefill" ? e.engineSettings.prefill! : e.engineSettings.decode;
  const g = degrees(w);
  const doc: Record<string, unknown> = {
    backend: "pytorch",
    tensor_parallel_size: g.tp,
    moe_expert_parallel_size: g.ep,
    ...(g.pp > 1 ? { pipeline_parallel_size: g.pp } : {}),
    enable_attention_dp: g.attentionDp,
    max_batch_size: s.maxNumSeqs,
    max_num_tokens: s.maxNumBatchedTokens,
    max_seq_len: maxModelLen(ctx.shape),
    kv_cache_config: { free_gpu_memory_fraction: s.gpuMemoryUtilization, dtype: isFp8Kv(s) ? "fp8" : "auto" },
    cuda_graph_config: { max_batch_size: Math.min(s.maxNumSeqs, s.cudaGraphMaxBatch), enable_padding: true },
    ...extra,
  };
  if (l.speculative && role === "decode") doc.speculative_config = { decoding_type: "MTP", num_nextn_predict_layers: draftTokens() };
  return doc;
}

export const TRTLLM_OPTIONS_FILE = "extra-llm-api-config.yml";

export function trtllmConfig(e: Evaluated, ctx: EmitContext): LaunchConfig {
  aggregatedOnly(e, "trtllm");
  const l = e.candidate.layout;
  const g = degrees(l.worker!);
  const s = e.engineSettings.decode;
  const argv = ["trtllm-serve", ctx.modelId, "--host", HOST, "--port", String(PORTS.trtllm), "--backend", "pytorch"];
  argv.push("--tp_size", String(g.tp), "--ep_size", String(g.ep));
  if (g.pp > 1) argv.push("--pp_size", String(g.pp));
  argv.push("--max_batch_size", String(s.maxNumSeqs), "--max_num_tokens", String(s.maxNumBatchedTokens), "--max_seq_len", String(maxModelLen(ctx.shape)));
  argv.push("--kv_cache_free_gpu_memory_fraction", String(s.gpuMemoryUtilization), "--extra_llm_api_options", TRTLLM_OPTIONS_FILE);
  const doc = llmApiOptions(e, "decode", ctx);
  const notes = [
    ...header(e, ctx, "TensorRT-LLM"),
    `run one such server per replica (${e.deployment.units}), each on its own ${e.deployment.gpusPerUnit} GPUs, behind a load balancer`,
    "max_batch_size is per attention-DP rank; free_gpu_memory_fraction is of the memory left after weights and buffers",
  ];
  if (weightsSource(ctx, l.precision).kind !== "checkpoint") notes.push("TensorRT-LLM reads the quantisation from the checkpoint's hf_quant_config.json: serve a checkpoint quantised to this precision (e.g. with ModelOpt)");
  return {
    engine: "trtllm", point: e.id,
    files: [
      { name: "trtllm-serve.sh", content: script(notes, argv) },
      { name: TRTLLM_OPTIONS_FILE, content: `${comment(notes)}\n${stringify(doc)}` },
    ],
    commands: [argv], documents: [{ name: TRTLLM_OPTIONS_FILE, table: "trtllm", doc }], notes,
  };
}
