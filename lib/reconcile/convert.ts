/**
 * A standard-CSV row → a run request (lib/run/request.ts), with every mapping assumption recorded:
 * what the benchmark's columns mean for the model, engine, layout and load.
 */
import type { Assumption } from "../core/explain";
import { InputError } from "../core/validate";
import type { Dtype } from "../core/dtypes";
import { getEngine, type EngineProfile, memoryPolicyOf } from "../engine/profile";
import { speculativeFor, type Speculative } from "../engine/speculative";
import { getHardware } from "../hardware/registry";
import type { HardwareProfile } from "../hardware/schema";
import { loadModel } from "../model/registry";
import type { DtypeGroup, ModelIR } from "../model/ir";
import { ParallelPlan, simplePlan, type ParallelPlanInput } from "../parallel/plan";
import { validatePlan } from "../parallel/validate";
import { memoryReport } from "../parallel/memory";
import type { RunRequest } from "../run/request";
import { benchmarkClosedLoop, type WorkloadInput } from "../serving/workload";
import type { ConfigRow } from "./standard";

export type { Assumption } from "../core/explain";

/** A converted row: a run request whose model, hardware and engine are already loaded. */
export interface PredictionRequest extends RunRequest {
  model: ModelIR;
  hardware: HardwareProfile;
  engine: EngineProfile;
  workload: WorkloadInput;
  aggregated?: { plan: ParallelPlanInput; workers: number };
  disaggregated?: { prefill: { plan: ParallelPlanInput; workers: number }; decode: { plan: ParallelPlanInput; workers: number } };
  gpusCounted: number;
  speculative?: Speculative;
  assumptions: Assumption[];
}

/** Benchmark framework names → engine profiles. */
const FRAMEWORK_ENGINE: Record<string, string> = { vllm: "vllm", trt: "trtllm", trtllm: "trtllm", "tensorrt-llm": "trtllm", sglang: "sglang", atom: "atom", "dynamo-trt": "dynamo-trt", "dynamo-trtllm": "dynamo-trt", "dynamo-sglang": "sglang", "dynamo-vllm": "vllm" };

/** KV tokens one replica's pool holds under a plan (all attention-DP ranks). */
function kvTokensOf(model: ModelIR, hw: HardwareProfile, plan: ParallelPlan, engine: EngineProfile): number {
  const m = memoryReport(model, hw, plan, plan.decode, memoryPolicyOf(engine));
  return m.kvPoolPerGpu.value > 0 ? m.kvCapacityTokens.value * plan.decode.attention.dp : 0;
}

/** Exact names first, then the engine a composite name contains (e.g. "dynamo-sglang", "sglang-disagg"). */
function engineFor(framework: string): string | undefined {
  const f = framework.toLowerCase();
  if (FRAMEWORK_ENGINE[f]) return FRAMEWORK_ENGINE[f];
  if (f.includes("dynamo") && f.includes("trt")) return "dynamo-trt";
  if (f.includes("sglang")) return "sglang";
  if (f.includes("trt") || f.includes("tensorrt")) return "trtllm";
  if (f.includes("vllm")) return "vllm";
  if (f.includes("atom")) return "atom";
  return undefined;
}

/** Weight dtypes a benchmark `precision` means for a model (checkpoint dtypes where the precision matches them). */
function weightsFor(precision: string, ir: ModelIR, a: Assumption[], vendor: string): Partial<Record<DtypeGroup, Dtype>> {
  const p = precision.toLowerCase();
  const ck = ir.defaultDtypes;
  if (p === "" ) {
    a.push({ what: "precision", value: "checkpoint dtypes", why: "the row gives no precision" });
    return {};
  }
  if (p === "fp4") {
    if (ck.experts === "mxfp4") {
      a.push({ what: "precision fp4", value: "MoE experts MXFP4 (checkpoint), attention/router/embedding BF16", why: "GPT-OSS is published with MXFP4 experts; the benchmark serves that checkpoint" });
      return {};
    }
    if (vendor === "AMD") {
      a.push({ what: "precision fp4", value: "MXFP4 for linear weights (attention, FFN, experts), BF16 embedding/head", why: "AMD FP4 checkpoints (amd/*-MXFP4) use OCP MXFP4" });
      return { attention: "mxfp4", ffn: "mxfp4", experts: "mxfp4" };
    }
    a.push({ what: "precision fp4", value: "NVFP4 for linear weights (attention, FFN, experts), BF16 embedding/head", why: "FP4 checkpoints of other models are NVFP4 (e.g. nvidia/*-FP4)" });
    return { attention: "nvfp4", ffn: "nvfp4", experts: "nvfp4" };
  }
  if (p === "fp8") {
    if (ck.experts === "fp8-block" || ck.attention === "fp8-block") {
      a.push({ what: "precision fp8", value: "checkpoint FP8 block-scaled weights", why: "the model is published in FP8" });
      return {};
    }
    a.push({ what: "precision fp8", value: "FP8 for linear weights, BF16 embedding/head", why: "per-tensor FP8 quantisation of the BF16 checkpoint" });
    return { attention: "fp8", ffn: "fp8", experts: "fp8" };
  }
  // Explicit formats name the linear weights' dtype directly.
  const explicit: Record<string, Dtype> = { nvfp4: "nvfp4", mxfp4: "mxfp4", int8: "int8", w8a8: "int8", int4: "int4", awq: "int4", gptq: "int4", w4a16: "int4", fp8_e4m3: "fp8", "fp8-block": "fp8-block" };
  if (explicit[p]) {
    a.push({ what: `precision ${precision}`, value: `${explicit[p]} for linear weights (attention, FFN, experts), BF16 embedding/head`, why: "the precision names the weight format" });
    return { attention: explicit[p], ffn: explicit[p], experts: explicit[p] };
  }
  if (p === "bf16" || p === "fp16") {
    return { attention: "bf16", ffn: "bf16", experts: "bf16", router: "bf16", embedding: "bf16", lm_head: "bf16" };
  }
  throw new InputError(`precision "${precision}" is not understood: use fp4, fp8, bf16, fp16, nvfp4, mxfp4, int8 or int4`);
}

export function convertRow(row: ConfigRow): PredictionRequest {
  const a: Assumption[] = [];
  const model = loadModel(row.model);
  const hardware = getHardware(row.gpu_model);
  const spelled = row.gpu_model.trim().toLowerCase().replace(/[\s_]+/g, "-");
  if (spelled !== hardware.id && !hardware.aliases.some((x) => x.toLowerCase().replace(/[\s_]+/g, "-") === spelled)) {
    a.push({ what: "hardware", value: `${hardware.name} (data/hardware/${hardware.id}.json)`, why: `"${row.gpu_model}" is not a known name; its suffix was dropped to match a profile` });
  }
  const engineId = row.framework === "" ? "vllm" : engineFor(row.framework);
  if (!engineId) throw new InputError(`framework "${row.framework}" is not known: use one of ${Object.keys(FRAMEWORK_ENGINE).join(", ")}`);
  const engine = getEngine(engineId);
  a.push({ what: "engine", value: `${engine.name} profile (data/engines/${engine.id}.json)`, why: row.framework === "" ? "the row names no framework: vLLM assumed" : `framework "${row.framework}"` });
  const weights = weightsFor(row.precision, model, a, hardware.vendor);
  if (model.id !== row.model.toLowerCase()) a.push({ what: "model", value: `architecture of ${model.id}`, why: `"${row.model}" names a checkpoint of that architecture` });
  a.push({ what: "KV-cache dtype", value: "bf16", why: "engines' default kv_cache_dtype auto = model dtype; the benchmark does not state it" });
  let speculative: Speculative | undefined;
  if (row.spec_decoding && row.spec_decoding.toLowerCase() !== "none") {
    speculative = speculativeFor(row.spec_decoding);
    a.push({ what: "speculative decoding", value: `${speculative.draftTokens} draft tokens, acceptance ${speculative.acceptance} → ${speculative.tokensPerStep.toFixed(2)} tokens per step`, why: speculative.source });
  }
  const workloadFor = (concurrency: number) => {
    a.push({ what: "workload", value: `closed loop: ${concurrency} clients, ${10 * concurrency} requests, lengths uniform in [⌊0.8·L⌋, L]`, why: "InferenceMAX client (benchmark_serving.py --random-range-ratio 0.8 --num-prompts 10×CONC)" });
    return benchmarkClosedLoop(concurrency, row.input_seq_len, row.output_seq_len);
  };
  if (row.disagg) {
    if (row.concurrency === 0) throw new InputError("concurrency is required for a disaggregated row");
    const workload = workloadFor(row.concurrency);
    const need = (v: number | undefined, name: string) => {
      if (v === undefined) throw new InputError(`disaggregated row needs ${name}`);
      return v;
    };
    const pTp = need(row.prefill_tp, "prefill_tp");
    const dTp = need(row.decode_tp, "decode_tp");
    const prefill = { plan: simplePlan({ tp: pTp, ep: row.prefill_ep ?? 1, dpAttention: row.prefill_dp_attention, weights }), workers: need(row.prefill_num_workers, "prefill_num_workers") };
    const decode = { plan: simplePlan({ tp: dTp, ep: row.decode_ep ?? 1, dpAttention: row.decode_dp_attention, weights }), workers: need(row.decode_num_workers, "decode_num_workers") };
    const gpus = (row.num_prefill_gpu ?? pTp * prefill.workers) + (row.num_decode_gpu ?? dTp * decode.workers);
    a.push({ what: "GPUs counted", value: String(gpus), why: "prefill + decode GPUs, as the benchmark divides throughput" });
    a.push({ what: "KV hand-off", value: "prompt KV moves prefill → decode over the scale-up fabric after prefill; first token comes from the prefill worker", why: "disaggregated serving (Dynamo)" });
    if (row.prefill_dp_attention || row.decode_dp_attention) a.push({ what: "DP-attention", value: "attention data-parallel across the worker's TP ranks; MoE tokens all-gathered / reduce-scattered", why: "dp_attention true" });
    return { model, hardware, engine, workload, disaggregated: { prefill, decode }, gpusCounted: gpus, speculative, assumptions: a };
  }
  const ep = row.expert_parallel ?? 1;
  const perRequest = row.input_seq_len + row.output_seq_len;
  let tp = row.tensor_parallel;
  if (tp === undefined) {
    // No TP given: the smallest power-of-two TP in one scale-up domain that holds the weights and the KV
    // of the given concurrency (or of one request).
    const need = Math.max(1, row.concurrency) * perRequest;
    for (let t = 1; t <= hardware.scale_up.domain_gpus.value && tp === undefined; t *= 2) {
      const plan = ParallelPlan.parse(simplePlan({ tp: t, ep: Math.min(ep, t), dpAttention: row.dp_attention, weights }));
      if (validatePlan(model, plan).some((v) => v.severity === "error")) continue;
      if (kvTokensOf(model, hardware, plan, engine) >= need) tp = t;
    }
    if (tp === undefined) throw new InputError(`tensor_parallel is empty and no TP up to ${hardware.scale_up.domain_gpus.value} holds ${model.id} with ${need} tokens of KV on ${hardware.id}: give tensor_parallel (and pipeline stages)`);
    a.push({ what: "tensor parallel", value: `TP ${tp} (smallest power of two that fits)`, why: "the row gives no tensor_parallel" });
  }
  let concurrency = row.concurrency;
  if (concurrency === 0) {
    // No concurrency: saturate the engine — as many sequences as its limit and the KV pool allow.
    const plan = ParallelPlan.parse(simplePlan({ tp, ep, dpAttention: row.dp_attention, weights }));
    concurrency = Math.max(1, Math.min(engine.max_num_seqs.value * plan.decode.attention.dp, Math.floor(kvTokensOf(model, hardware, plan, engine) / perRequest)));
    a.push({ what: "concurrency", value: `${concurrency} (saturating: min(max_num_seqs, KV pool / (ISL + OSL)))`, why: "the row gives no concurrency: an offline max-throughput run is assumed" });
  }
  const workload = workloadFor(concurrency);
  if (row.dp_attention) a.push({ what: "DP-attention", value: `attention data-parallel over ${tp} ranks (each owns 1/${tp} of the sequences), MoE over tp/ep = ${tp / ep} × ep ${ep}`, why: "dp_attention true" });
  else a.push({ what: "tensor parallel", value: `TP ${tp} for attention, dense layers and LM head; MoE TP ${Math.max(1, tp / ep)} × EP ${ep}`, why: "tensor_parallel / expert_parallel columns" });
  a.push({ what: "GPUs counted", value: String(tp), why: "one replica on TP GPUs, as the benchmark divides throughput" });
  return {
    model, hardware, engine, workload,
    aggregated: { plan: simplePlan({ tp, ep, dpAttention: row.dp_attention, weights }), workers: 1 },
    gpusCounted: tp, speculative, assumptions: a,
  };
}
