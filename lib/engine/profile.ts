/** Serving-engine profiles: scheduler limits, memory policy and per-step overheads, each with its source. */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { DATA_DIR } from "../core/paths";
import { InputError, parseOrThrow } from "../core/validate";
import { Fact, fact, type Explained } from "../core/explain";

const Sourced = <T extends z.ZodTypeAny>(value: T) => z.object({ value, source: z.string() }).strict();

/** Expert-parallel options of an engine; absent: all-gather exchange, no overlap, no redundant experts. */
export const ExpertParallelOptions = z
  .object({
    /**
     * When tokens reach remote experts by all-to-all instead of DP-attention's all-gather / reduce-scatter:
     * `never`; `dp_attention_ep` (whenever DP-attention and EP > 1); `disaggregated_dp_attention_ep` (only in the
     * pools of a disaggregated deployment); `mnnvl_dp_attention_ep` (DP-attention, EP ≥ top-k, and an NVLink
     * domain wider than a node, as TensorRT-LLM selects its MNNVL all-to-all).
     */
    all_to_all: Sourced(z.enum(["never", "dp_attention_ep", "disaggregated_dp_attention_ep", "mnnvl_dp_attention_ep"])),
    /** All-to-all kernels per phase: DeepEP normal / low-latency, or TensorRT-LLM's MNNVL all-to-all. */
    kernels: z.object({ prefill: z.enum(["normal", "low_latency", "mnnvl"]), decode: z.enum(["normal", "low_latency", "mnnvl"]), source: z.string() }).strict(),
    two_batch_overlap: Sourced(z.boolean()),
    eplb_redundant_experts: Sourced(z.number().int().min(0)),
  })
  .strict()
  .default({
    all_to_all: { value: "never", source: "no all-to-all MoE backend assumed for this engine" },
    kernels: { prefill: "normal", decode: "low_latency", source: "DeepEP's own split (normal for prefill, low-latency for decode) if one is selected" },
    two_batch_overlap: { value: false, source: "not assumed" },
    eplb_redundant_experts: { value: 0, source: "not assumed" },
  });
export type ExpertParallelOptions = z.infer<typeof ExpertParallelOptions>;

export const EngineProfile = z
  .object({
    id: z.string(),
    name: z.string(),
    aliases: z.array(z.string()),
    version: z.string(),
    /** Kernel tables to use where the hardware has them (data/kernels/<chip>/<framework>). */
    kernel_framework: z.enum(["vllm", "trtllm", "sglang"]).nullable(),
    /** Op families timed from the measured tables (the rest by the calibrated roofline), with the reason. */
    kernel_table_ops: z.object({ ops: z.array(z.enum(["gemm", "attention", "moe", "comm"])), source: z.string() }).strict(),
    /** How the engine runs expert parallelism across GPUs (lib/cost/expert-parallel.ts resolves it per pool into the plan). */
    expert_parallel: ExpertParallelOptions,
    /** Token budget of one step (chunked prefill). */
    max_num_batched_tokens: Fact,
    max_num_seqs: Fact,
    /** Fraction of GPU memory the engine may use for weights + KV + activations. */
    gpu_memory_utilization: Fact,
    kv_block_size: Fact,
    /** Prefix (radix / block-reuse) cache: a prompt whose leading blocks are cached prefills only the rest. */
    prefix_caching: z.object({ enabled: z.boolean(), source: z.string(), uncertain: z.boolean().optional() }).strict(),
    /** Memory kept outside the KV pool: CUDA graphs, activations workspace, NCCL buffers, allocator slack. */
    runtime_reserve_gb: Fact,
    cuda_graphs_decode: z.boolean(),
    /** Host-side time per step that the GPU waits for: scheduling, input preparation, sampling launch. */
    step_overhead_ms: Fact,
    /** Host-side time per running sequence per step: output processing, detokenisation, streaming. */
    per_seq_overhead_us: Fact,
    /** TensorRT-LLM attention-DP balancing: batching_wait_iters (read by the trtllm policy only: lib/serving/policies/adp-balance.ts; other engines must leave it 0). */
    dp_prefill_wait_steps: Fact,
    /** Client-visible time per request outside engine steps: HTTP, tokenisation, frontend queueing, first-chunk streaming. */
    request_overhead_ms: Fact,
    /** Whether sliding-window layers keep only the window of KV (hybrid allocator). */
    sliding_window_kv_trim: z.boolean(),
    /** Model families (config model_type) whose sliding window this engine version does not apply: they run full attention and keep full-length KV. */
    sliding_window_ignored: z.object({ families: z.array(z.string()), source: z.string() }).strict().optional(),
    /** How memory for the KV pool is counted: a fraction of the device's total (vLLM, SGLang) or of what is free after weights and the runtime reserve (TensorRT-LLM). */
    kv_memory_basis: z.object({ value: z.enum(["total", "free"]), source: z.string() }).strict(),
    /** Host work overlapped with the GPU (TensorRT-LLM overlap scheduler, SGLang overlap schedule): a step takes max(GPU, host) instead of GPU + host. */
    host_overlap: z.object({ value: z.boolean(), source: z.string() }).strict(),
    /** The scheduler plans step n+1 while step n runs (vLLM async scheduling, TensorRT-LLM overlap scheduler, SGLang overlap schedule): a request entering during step n first runs in step n+2. */
    // A profile or bundle written before this field existed was simulated with a synchronous scheduler.
    schedule_ahead: z.object({ value: z.boolean(), source: z.string() }).strict().default({ value: false, source: "not recorded (profile or bundle pinned before schedule_ahead existed): a synchronous scheduler, as it was then simulated" }),
    /**
     * Deferred output: a step's sampled tokens reach the host only when the next step ends (the next step reads
     * them on the GPU), so a request's first token streams one step after its prefill and its end is seen one
     * step after its last token (it decodes once more, discarded). 0 = tokens stream when their step ends.
     */
    // A profile or bundle written before this field existed was simulated without deferral.
    output_delay_steps: z.object({ value: z.number().int().min(0).max(1), source: z.string() }).strict().default({ value: 0, source: "not recorded (profile or bundle pinned before output_delay_steps existed): tokens stream when their step ends, as it was then simulated" }),
    /** Decode batches (per attention-DP rank) above this run without CUDA graphs (eager kernel launches). */
    cuda_graph_max_batch: Fact,
    /** How the engine chooses its batch limits and memory fraction when the user sets none (lib/engine/defaults.ts), with the rule's constants and source. */
    defaults: z
      .object({
        rule: z.enum(["vllm-usage-context", "sglang-gpu-memory", "trtllm-bench-tuning", "fixed"]),
        source: z.string(),
        values: z.record(z.string(), z.unknown()).default({}),
      })
      .strict()
      .default({ rule: "fixed", source: "the profile's own numbers", values: {} }),
    /** Engine versions this profile stands for (a row's engine_version selects among profiles of one engine). */
    versions: z.array(z.string()).default([]),
    /** The engine's scheduler policy (lib/serving/policies) and its parameters, each with its source. */
    scheduler: z
      .object({
        policy: z.enum(["vllm-v1", "sglang", "trtllm", "atom"]),
        source: z.string(),
        parameters: z.record(z.string(), z.object({ value: z.union([z.number(), z.boolean(), z.string()]), unit: z.string().optional(), source: z.string(), uncertain: z.boolean().optional() }).strict()).default({}),
      })
      .strict(),
    notes: z.string().optional(),
  })
  .strict();
export type EngineProfile = z.infer<typeof EngineProfile>;

const ENGINE_DIR = path.join(DATA_DIR, "engines");
let cache: EngineProfile[] | undefined;

export function listEngines(): EngineProfile[] {
  if (!cache) {
    cache = fs
      .readdirSync(ENGINE_DIR)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => parseOrThrow(EngineProfile, JSON.parse(fs.readFileSync(path.join(ENGINE_DIR, f), "utf8")), `engine profile data/engines/${f}`));
  }
  return cache;
}

/**
 * The profile of an engine by id or alias; with a version, the profile of that engine whose `versions`
 * lists a prefix of it (e.g. "0.17" for 0.17.0), else the engine's current profile (the id asked for,
 * or the profile whose id carries no version suffix).
 */
export function getEngine(name: string, version?: string): EngineProfile {
  const key = name.trim().toLowerCase();
  const all = listEngines();
  const hits = all.filter((e) => e.id === key || e.aliases.some((a) => a.toLowerCase() === key));
  if (!hits.length) throw new InputError(`unknown engine / framework "${name}": use one of ${all.map((e) => e.id).join(", ")}`);
  const v = version?.trim().toLowerCase().replace(/^v/, "");
  const byVersion = v ? hits.find((e) => e.versions.some((x) => v === x || v.startsWith(`${x}.`) || v.startsWith(`${x}rc`))) : undefined;
  // Without a matching version: the engine's current profile (its id carries no version suffix).
  return byVersion ?? hits.find((e) => e.id === key) ?? hits.find((e) => !/-\d+(\.\d+)*$/.test(e.id)) ?? hits[0];
}

export type EngineNumber = "max_num_batched_tokens" | "max_num_seqs" | "gpu_memory_utilization" | "step_overhead_ms" | "per_seq_overhead_us" | "runtime_reserve_gb" | "request_overhead_ms" | "dp_prefill_wait_steps" | "cuda_graph_max_batch";

/** Settings that are parameters of one scheduler policy (data/engines scheduler.parameters), not fields of every profile. */
export type SchedulerNumber = "max_prefill_tokens";
/** Every setting a request may give an engine: profile fields and scheduler parameters. */
export type EngineSetting = EngineNumber | SchedulerNumber;
export const SCHEDULER_NUMBERS: Record<SchedulerNumber, { policy: EngineProfile["scheduler"]["policy"]; flag: string }> = {
  max_prefill_tokens: { policy: "sglang", flag: "SGLang --max-prefill-tokens (prompt tokens one prefill batch may hold)" },
};

/** What the memory model needs of an engine: utilisation, runtime reserve and sliding-window KV policy, with sources. */
export interface MemoryPolicy {
  gpuMemoryUtilization: Explained;
  runtimeReserveGb: Explained;
  /** "total": the KV pool is utilisation × device memory − weights − reserve; "free": utilisation × (device memory − weights − reserve). */
  basis: "total" | "free";
  slidingWindowTrim: boolean;
}

export function memoryPolicyOf(e: EngineProfile): MemoryPolicy {
  return {
    basis: e.kv_memory_basis.value,
    gpuMemoryUtilization: fact(e.gpu_memory_utilization.value, "fraction", "data", `data/engines/${e.id}.json gpu_memory_utilization: ${e.gpu_memory_utilization.source}`),
    runtimeReserveGb: fact(e.runtime_reserve_gb.value, "GB", "data", `data/engines/${e.id}.json runtime_reserve_gb: ${e.runtime_reserve_gb.source}`),
    slidingWindowTrim: e.sliding_window_kv_trim,
  };
}

/** Override some numeric fields of an engine profile (user flags), recording the source. */
export function withEngineOverrides(e: EngineProfile, o: Partial<Record<EngineSetting, number>>, source: string): EngineProfile {
  const out = { ...e };
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    const sched = SCHEDULER_NUMBERS[k as SchedulerNumber];
    if (sched) {
      if (e.scheduler.policy !== sched.policy || !e.scheduler.parameters[k]) throw new InputError(`${k} is ${sched.flag}; the ${e.name} profile (data/engines/${e.id}.json, ${e.scheduler.policy} scheduler) has no such setting: leave it blank`);
      out.scheduler = { ...out.scheduler, parameters: { ...out.scheduler.parameters, [k]: { ...e.scheduler.parameters[k], value: v, source, uncertain: undefined } } };
      continue;
    }
    const f = (e as Record<string, unknown>)[k] as Fact;
    (out as Record<string, unknown>)[k] = { ...f, value: v, source };
  }
  return parseOrThrow(EngineProfile, out, `engine profile ${e.id} with overrides`);
}
