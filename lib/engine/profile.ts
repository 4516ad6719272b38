/** Serving-engine profiles: scheduler limits, memory policy and per-step overheads, each with its source. */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { DATA_DIR } from "../core/paths";
import { InputError, parseOrThrow } from "../core/validate";
import { Fact, fact, type Explained } from "../core/explain";

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
    /** Token budget of one step (chunked prefill). */
    max_num_batched_tokens: Fact,
    max_num_seqs: Fact,
    /** Fraction of GPU memory the engine may use for weights + KV + activations. */
    gpu_memory_utilization: Fact,
    kv_block_size: Fact,
    /** Memory kept outside the KV pool: CUDA graphs, activations workspace, NCCL buffers, allocator slack. */
    runtime_reserve_gb: Fact,
    cuda_graphs_decode: z.boolean(),
    /** Host-side time per step that the GPU waits for: scheduling, input preparation, sampling launch. */
    step_overhead_ms: Fact,
    /** Host-side time per running sequence per step: output processing, detokenisation, streaming. */
    per_seq_overhead_us: Fact,
    /** With attention-DP: decode steps a new prompt may wait so all ranks prefill together (0 = none). */
    dp_prefill_wait_steps: Fact,
    /** Client-visible time per request outside engine steps: HTTP, tokenisation, frontend queueing, first-chunk streaming. */
    request_overhead_ms: Fact,
    /** Whether sliding-window layers keep only the window of KV (hybrid allocator). */
    sliding_window_kv_trim: z.boolean(),
    scheduling: z.literal("decode-first-chunked-prefill"),
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

export function getEngine(name: string): EngineProfile {
  const key = name.trim().toLowerCase();
  const all = listEngines();
  const hit = all.find((e) => e.id === key || e.aliases.some((a) => a.toLowerCase() === key));
  if (!hit) throw new InputError(`unknown engine / framework "${name}": use one of ${all.map((e) => e.id).join(", ")}`);
  return hit;
}

export type EngineNumber = "max_num_batched_tokens" | "max_num_seqs" | "gpu_memory_utilization" | "step_overhead_ms" | "per_seq_overhead_us" | "runtime_reserve_gb" | "request_overhead_ms" | "dp_prefill_wait_steps";

/** What the memory model needs of an engine: utilisation, runtime reserve and sliding-window KV policy, with sources. */
export function memoryPolicyOf(e: EngineProfile): { gpuMemoryUtilization: Explained; runtimeReserveGb: Explained; slidingWindowTrim: boolean } {
  return {
    gpuMemoryUtilization: fact(e.gpu_memory_utilization.value, "fraction", "data", `data/engines/${e.id}.json gpu_memory_utilization: ${e.gpu_memory_utilization.source}`),
    runtimeReserveGb: fact(e.runtime_reserve_gb.value, "GB", "data", `data/engines/${e.id}.json runtime_reserve_gb: ${e.runtime_reserve_gb.source}`),
    slidingWindowTrim: e.sliding_window_kv_trim,
  };
}

/** Override some numeric fields of an engine profile (user flags), recording the source. */
export function withEngineOverrides(e: EngineProfile, o: Partial<Record<EngineNumber, number>>, source: string): EngineProfile {
  const out = { ...e };
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    const f = (e as Record<string, unknown>)[k] as Fact;
    (out as Record<string, unknown>)[k] = { ...f, value: v, source };
  }
  return parseOrThrow(EngineProfile, out, `engine profile ${e.id} with overrides`);
}
