/**
 * A standard-CSV row → a run request (lib/run/request.ts), with every mapping assumption recorded:
 * what the benchmark's columns mean for the model, engine, layout and load.
 */
import type { Assumption } from "../core/explain";
import { InputError } from "../core/validate";
import { getEngine, memoryPolicyOf, type EngineSetting, type EngineProfile } from "../engine/profile";
import { speculativeFor, type Speculative } from "../engine/speculative";
import { resolveHardware } from "../hardware/registry";
import type { HardwareProfile } from "../hardware/schema";
import { loadModel } from "../model/registry";
import type { ModelIR } from "../model/ir";
import { ParallelPlan, simplePlan, type ParallelPlanInput } from "../parallel/plan";
import { validatePlan } from "../parallel/validate";
import { memoryReport } from "../parallel/memory";
import type { RunRequest } from "../run/request";
import type { WorkloadInput } from "../serving/workload";
import { workerPlan } from "./row-layout";
import { workloadOf } from "./row-load";
import { kvDtypeFor, weightsFor } from "./row-precision";
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
export function engineFor(framework: string): string | undefined {
  const f = framework.toLowerCase();
  if (FRAMEWORK_ENGINE[f]) return FRAMEWORK_ENGINE[f];
  if (f.includes("dynamo") && f.includes("trt")) return "dynamo-trt";
  if (f.includes("sglang")) return "sglang";
  if (f.includes("trt") || f.includes("tensorrt")) return "trtllm";
  if (f.includes("vllm")) return "vllm";
  if (f.includes("atom")) return "atom";
  return undefined;
}

/**
 * A row's max_num_tokens is the server's flag; engine settings hold per-attention-rank limits. SGLang divides
 * --chunked-prefill-size among DP-attention ranks (python/sglang/srt/server_args.py: with enable_dp_attention,
 * chunked_prefill_size //= dp_size), so the per-rank budget is the flag over the pools' DP size.
 */
function sglangChunkPerRank(engine: EngineProfile, row: ConfigRow, plans: ParallelPlanInput[], s: Partial<Record<EngineSetting, number>>, a: Assumption[]): void {
  // The DP size of each pool as laid out (GPU counts may widen a worker beyond its TP).
  const dps = plans.map((p) => ParallelPlan.parse(p).decode.attention.dp);
  const dp = Math.max(...dps);
  if (engine.scheduler.policy !== "sglang" || row.max_num_tokens === undefined || dp <= 1) return;
  if (dps.some((d) => d !== dp)) {
    a.push({ what: "max_num_tokens", value: `${row.max_num_tokens} per attention rank in every pool`, why: "SGLang divides --chunked-prefill-size by the DP-attention size, and the pools differ in it: one value cannot be both" });
    return;
  }
  s.max_num_batched_tokens = Math.floor(row.max_num_tokens / dp);
  a.push({ what: "max_num_tokens", value: `${row.max_num_tokens} // ${dp} DP-attention ranks = ${s.max_num_batched_tokens} per rank`, why: "SGLang server_args.py: with enable_dp_attention, chunked_prefill_size //= dp_size" });
}

/**
 * The row's overlap_scheduler column: on, the scheduler plans one step ahead (a request entering during step n
 * first runs in step n+2) and the host time keeps the profile's overlap; off, the loop is synchronous and host
 * work runs between GPU steps (vLLM --no-async-scheduling, TensorRT-LLM disable_overlap_scheduler: true,
 * SGLang --disable-overlap-schedule).
 */
function withOverlapScheduler(engine: EngineProfile, on: boolean | undefined, a: Assumption[]): EngineProfile {
  if (on === undefined) return engine;
  const source = `row column overlap_scheduler = ${on}`;
  a.push({ what: "overlap scheduler", value: on ? "on: a request entering during a step first runs in the step after next" : "off: synchronous loop, host work between GPU steps", why: source });
  return { ...engine, schedule_ahead: { value: on, source }, host_overlap: on ? engine.host_overlap : { value: false, source } };
}

export function convertRow(row: ConfigRow): PredictionRequest {
  const a: Assumption[] = [];
  const model = loadModel(row.model);
  const hw = resolveHardware(row.gpu_model);
  const hardware = hw.profile;
  if (!hw.exact) a.push({ what: "hardware", value: `${hardware.name} (data/hardware/${hardware.id}.json)`, why: `"${row.gpu_model}" matched on its chip${hw.dropped.length ? `; ignored: ${hw.dropped.join(", ")}` : ""}${hw.qualifiers.length ? `; chosen by: ${hw.qualifiers.join(", ")}` : ""}` });
  const engineId = row.framework === "" ? "vllm" : engineFor(row.framework);
  if (!engineId) throw new InputError(`framework "${row.framework}" is not known: use one of ${Object.keys(FRAMEWORK_ENGINE).join(", ")}`);
  const engine = withOverlapScheduler(getEngine(engineId, row.engine_version || undefined), row.overlap_scheduler, a);
  a.push({ what: "engine", value: `${engine.name} profile (data/engines/${engine.id}.json, ${engine.version})`, why: row.framework === "" ? "the row names no framework: vLLM assumed" : `framework "${row.framework}"${row.engine_version ? `, engine_version ${row.engine_version}` : ""}` });
  const weights = weightsFor(row.precision, model, a, hardware.vendor);
  if (model.id !== row.model.toLowerCase()) a.push({ what: "model", value: `architecture of ${model.id}`, why: `"${row.model}" names a checkpoint of that architecture` });
  const kvCache = kvDtypeFor(row.kv_cache_dtype, row.precision, model, engine, a);
  let speculative: Speculative | undefined;
  if (row.spec_decoding && row.spec_decoding.toLowerCase() !== "none") {
    speculative = speculativeFor(row.spec_decoding, model.family);
    a.push({ what: "speculative decoding", value: `${speculative.draftTokens} draft tokens, acceptance ${speculative.acceptance} → ${speculative.tokensPerStep.toFixed(2)} tokens per step`, why: speculative.source });
  }
  // Engine limits the row states replace the engine's defaults.
  const engineSettings: Partial<Record<EngineSetting, number>> = {};
  if (row.max_batch_size !== undefined) engineSettings.max_num_seqs = row.max_batch_size;
  if (row.max_num_tokens !== undefined) engineSettings.max_num_batched_tokens = row.max_num_tokens;
  if (row.max_prefill_tokens !== undefined) engineSettings.max_prefill_tokens = row.max_prefill_tokens;
  if (row.gpu_memory_utilization !== undefined) engineSettings.gpu_memory_utilization = row.gpu_memory_utilization;
  const common = { model, hardware, engine, speculative, engineSettings, engineSettingsSource: "row columns (max_batch_size, max_num_tokens, max_prefill_tokens, gpu_memory_utilization)" };
  const workload = workloadOf(row, a);

  if (row.disagg) {
    const need = (v: number | undefined, name: string) => {
      if (v === undefined) throw new InputError(`disaggregated row needs ${name}`);
      return v;
    };
    const pw = need(row.prefill_num_workers, "prefill_num_workers");
    const dw = need(row.decode_num_workers, "decode_num_workers");
    const p = workerPlan({ pool: "prefill", tp: row.prefill_tp, ep: row.prefill_ep, dpAttention: row.prefill_dp_attention, workers: pw, gpus: row.num_prefill_gpu }, weights, kvCache, a);
    const d = workerPlan({ pool: "decode", tp: row.decode_tp, ep: row.decode_ep, dpAttention: row.decode_dp_attention, workers: dw, gpus: row.num_decode_gpu }, weights, kvCache, a);
    sglangChunkPerRank(engine, row, [p.plan, d.plan], engineSettings, a);
    const gpus = (row.num_prefill_gpu ?? p.width * pw) + (row.num_decode_gpu ?? d.width * dw);
    a.push({ what: "GPUs counted", value: String(gpus), why: "prefill + decode GPUs, as the benchmark divides throughput" });
    a.push({ what: "KV hand-off", value: "prompt KV moves prefill → decode over the scale-up fabric after prefill; the client's first token is the decode worker's first step after it", why: "disaggregated serving: Dynamo's decode handler streams the decode worker's output, not the prefill response (components/src/dynamo/trtllm/request_handlers/handlers.py)" });
    if (row.prefill_dp_attention || row.decode_dp_attention) a.push({ what: "DP-attention", value: "attention data-parallel across the worker's ranks; MoE tokens exchanged as the engine does (see the MoE exchange assumptions)", why: "dp_attention true" });
    return { ...common, workload, disaggregated: { prefill: { plan: p.plan, workers: pw }, decode: { plan: d.plan, workers: dw } }, gpusCounted: gpus, assumptions: a };
  }
  const ep = row.expert_parallel ?? 1;
  const pp = row.pipeline_parallel ?? 1;
  let tp = row.tensor_parallel;
  if (tp === undefined) {
    // No TP given: the smallest power-of-two TP in one scale-up domain that holds the weights and the KV
    // of the given concurrency (or of one request).
    const need = Math.max(1, row.concurrency) * (row.input_seq_len + row.output_seq_len);
    for (let t = 1; t <= hardware.scale_up.domain_gpus.value && tp === undefined; t *= 2) {
      const plan = ParallelPlan.parse(simplePlan({ tp: t, ep: Math.min(ep, t), dpAttention: row.dp_attention, pp, weights, kvCache }));
      if (validatePlan(model, plan).some((v) => v.severity === "error")) continue;
      if (kvTokensOf(model, hardware, plan, engine) >= need) tp = t;
    }
    if (tp === undefined) throw new InputError(`tensor_parallel is empty and no TP up to ${hardware.scale_up.domain_gpus.value} holds ${model.id} with ${need} tokens of KV on ${hardware.id}: give tensor_parallel (and pipeline_parallel)`);
    a.push({ what: "tensor parallel", value: `TP ${tp} (smallest power of two that fits)`, why: "the row gives no tensor_parallel" });
  }
  const layout = workerPlan({ pool: "", tp, ep, dpAttention: row.dp_attention, pp }, weights, kvCache, a);
  sglangChunkPerRank(engine, row, [layout.plan], engineSettings, a);
  if (row.dp_attention) a.push({ what: "DP-attention", value: `attention data-parallel over ${tp} ranks (each owns 1/${tp} of the sequences), MoE over tp/ep = ${tp / ep} × ep ${ep}`, why: "dp_attention true" });
  else a.push({ what: "tensor parallel", value: `TP ${tp} for attention, dense layers and LM head; MoE TP ${Math.max(1, tp / ep)} × EP ${ep}${pp > 1 ? `; ${pp} pipeline stages` : ""}`, why: "tensor_parallel / expert_parallel / pipeline_parallel columns" });
  const gpus = tp * pp;
  a.push({ what: "GPUs counted", value: String(gpus), why: "one replica on TP × PP GPUs, as the benchmark divides throughput" });
  return { ...common, workload, aggregated: { plan: layout.plan, workers: 1 }, gpusCounted: gpus, assumptions: a };
}
