/**
 * What an engine sets when the user sets nothing: batch limits and memory fraction by GPU memory,
 * usage context (a server or an offline benchmark) and parallelism, as each engine's source computes
 * them. The rule and its constants are data (`defaults` of data/engines/*.json, each with its source);
 * the arithmetic is here. The result replaces the profile's numbers, each recording the rule.
 */
import { z } from "zod";
import type { Assumption } from "../core/explain";
import { parseOrThrow } from "../core/validate";
import type { HardwareProfile } from "../hardware/schema";
import { deviceMemoryBytes } from "../hardware/memory";
import { kvElementsPerToken, totalParams } from "../model/build";
import type { ModelIR } from "../model/ir";
import { withEngineOverrides, type EngineNumber, type EngineProfile } from "./profile";

/** Where a run is served from: an HTTP server with clients, or an offline benchmark submitting every request at once. */
export type UsageContext = "serve" | "offline";

export interface DefaultsContext {
  hardware: HardwareProfile;
  model: ModelIR;
  usage: UsageContext;
  /** GPUs of one replica stage (tensor × attention-DP), pipeline stages, attention-DP ranks. */
  tp: number;
  pp: number;
  dp: number;
  /** Mean prompt and output lengths of the workload (trtllm-bench sizes its engine from them). */
  meanInput: number;
  meanOutput: number;
  /** Bytes per element of the weights (1 for FP8, 2 for BF16…) and of the KV cache, as the engine builder counts them. */
  weightBytes: number;
  kvBytes: number;
}

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

const Limits = z.object({ max_num_batched_tokens: z.number().int().positive(), max_num_seqs: z.number().int().positive() }).strict();
const VllmRule = z.object({
  large_gpu_gib: z.number().positive(),
  excluded_names: z.array(z.string()),
  large: z.object({ serve: Limits, offline: Limits }).strict(),
  small: z.object({ serve: Limits, offline: Limits }).strict(),
}).strict();

const SglangRule = z.object({
  tiers: z.array(z.object({ below_gib: z.number().positive().nullable(), chunked_prefill_size: z.number().int().positive(), cuda_graph_max_bs: z.tuple([z.number().int().positive(), z.number().int().positive()]) }).strict()),
  large_tp: z.number().int().positive(),
  reserved_mib: z.object({ base: z.number(), per_chunk_token: z.number(), min_chunk: z.number(), per_graph_batch: z.number(), per_8_ranks: z.number(), large_gpu_gib: z.number(), minimum_on_large_gpu: z.number() }).strict(),
  max_running: z.object({ token_divisor: z.number().positive(), pool_per_context: z.number().positive(), pool_min: z.number().positive(), pool_max: z.number().positive() }).strict(),
}).strict();

const Rounding = z.array(z.object({ below: z.number().nullable(), step: z.number().positive(), minimum: z.number().default(0) }).strict());
const TrtBenchRule = z.object({
  build_kv_fraction: z.number().positive(),
  max_requests_cap: z.number().positive(),
  max_tokens_cap: z.number().positive(),
  batch_rounding: Rounding,
  token_rounding: Rounding,
  serve: Limits,
}).strict();

/** Round up to the step of the first tier whose bound the value is below (trtllm-bench finetune_setting). */
function roundUp(x: number, tiers: z.infer<typeof Rounding>): number {
  const t = tiers.find((r) => r.below === null || x < r.below)!;
  return Math.max(t.minimum, t.step * Math.ceil(x / t.step));
}

type Change = { field: EngineNumber; value: number; why: string };

function vllmDefaults(e: EngineProfile, c: DefaultsContext): Change[] {
  const r = parseOrThrow(VllmRule, e.defaults.values, `data/engines/${e.id}.json defaults.values`);
  const gib = deviceMemoryBytes(c.hardware).value / GIB;
  const name = `${c.hardware.id} ${c.hardware.name}`.toLowerCase();
  const large = gib >= r.large_gpu_gib && !r.excluded_names.some((n) => name.includes(n));
  const l = (large ? r.large : r.small)[c.usage];
  const why = `${e.defaults.source}: ${c.usage === "offline" ? "offline (LLM class)" : "API server"} defaults on a GPU with ${gib.toFixed(0)} GiB ${large ? `(≥ ${r.large_gpu_gib} GiB, not ${r.excluded_names.join("/")})` : `(the smaller-GPU table)`}`;
  return [
    { field: "max_num_batched_tokens", value: l.max_num_batched_tokens, why },
    { field: "max_num_seqs", value: Math.min(l.max_num_seqs, l.max_num_batched_tokens), why: `${why}; max_num_seqs ≤ max_num_batched_tokens` },
  ];
}

function sglangDefaults(e: EngineProfile, c: DefaultsContext): Change[] {
  const r = parseOrThrow(SglangRule, e.defaults.values, `data/engines/${e.id}.json defaults.values`);
  const mib = deviceMemoryBytes(c.hardware).value / MIB;
  const gib = mib / 1024;
  const tier = r.tiers.find((t) => t.below_gib === null || gib < t.below_gib)!;
  const tp = c.tp;
  const graph = tier.cuda_graph_max_bs[tp < r.large_tp ? 0 : 1];
  // DP attention divides the chunk among the ranks of a replica (server_args: chunked_prefill_size //= dp_size). Engine
  // profiles hold limits per attention rank (a replica's token budget is max_num_batched_tokens × DP ranks).
  const chunk = Math.floor(tier.chunked_prefill_size / c.dp);
  const m = r.reserved_mib;
  let reserved = m.base + Math.max(tier.chunked_prefill_size, m.min_chunk) * m.per_chunk_token + graph * m.per_graph_batch + ((tp * c.pp) / 8) * m.per_8_ranks;
  if (gib > m.large_gpu_gib) reserved = Math.max(reserved, m.minimum_on_large_gpu);
  const fraction = Math.round(((mib - reserved) / mib) * 1000) / 1000;
  const why = `${e.defaults.source}: ${gib.toFixed(0)} GiB GPU, TP ${tp}${c.dp > 1 ? `, DP-attention ${c.dp}` : ""}`;
  return [
    { field: "max_num_batched_tokens", value: chunk, why: `${why}: chunked_prefill_size ${tier.chunked_prefill_size}${c.dp > 1 ? ` // ${c.dp} DP ranks = ${chunk} per rank` : ""}` },
    { field: "cuda_graph_max_batch", value: graph, why: `${why}: cuda_graph_max_bs ${graph}` },
    { field: "gpu_memory_utilization", value: fraction, why: `${why}: mem_fraction_static = (memory − reserved ${reserved.toFixed(0)} MiB) / memory` },
  ];
}

/**
 * trtllm-bench throughput (offline) builds its engine with a batch size and token budget from the
 * dataset's mean lengths: KV tokens that fit 95% of the memory left after the weights, divided by the
 * mean request length, capped and rounded (tensorrt_llm/bench/build/tuning.py calc_engine_setting,
 * finetune_setting). Served (trtllm-serve), it uses the BuildConfig defaults.
 */
function trtBenchDefaults(e: EngineProfile, c: DefaultsContext): Change[] {
  const r = parseOrThrow(TrtBenchRule, e.defaults.values, `data/engines/${e.id}.json defaults.values`);
  if (c.usage === "serve") {
    const why = `${e.defaults.source}: served defaults (BuildConfig)`;
    return [
      { field: "max_num_batched_tokens", value: r.serve.max_num_batched_tokens, why },
      { field: "max_num_seqs", value: r.serve.max_num_seqs, why },
    ];
  }
  const stageGpus = c.tp * c.dp;
  const attention = c.model.layers.filter((l) => l.attention).map((l) => l.attention!);
  // The builder counts max(tp, KV heads) heads (replicated when TP exceeds them), whole model, GB per token.
  const kvPerToken = attention.reduce((s, a) => s + (a.mla ? kvElementsPerToken(a) : 2 * Math.max(stageGpus, a.kvHeads) * a.headDim), 0) * c.kvBytes;
  // As tuning.py counts: memory in GiB per GPU × GPUs, engine size as parameters / 1e9 × bytes, KV bytes / GiB.
  const engineGb = (totalParams(c.model) * c.weightBytes) / 1e9;
  const totalGib = (deviceMemoryBytes(c.hardware).value / GIB) * stageGpus * c.pp;
  const kvTokens = ((totalGib - engineGb) * r.build_kv_fraction) / (kvPerToken / GIB);
  const engineBytes = engineGb * 1e9;
  const requests = kvTokens / (c.meanInput + c.meanOutput);
  const rawBatch = Math.min(requests, r.max_requests_cap) / c.pp;
  const rawTokens = Math.min(rawBatch * (1 + c.meanInput / c.meanOutput), r.max_tokens_cap);
  const batch = roundUp(rawBatch, r.batch_rounding);
  const tokens = roundUp(rawTokens, r.token_rounding);
  const why =
    `${e.defaults.source}: KV tokens = ${r.build_kv_fraction} × (memory − weights ${(engineBytes / 1e9).toFixed(1)} GB) / ${kvPerToken.toFixed(0)} B per token = ${Math.round(kvTokens)}; ` +
    `requests = KV tokens / (mean ISL ${c.meanInput.toFixed(0)} + mean OSL ${c.meanOutput.toFixed(0)}) = ${Math.round(requests)}`;
  return [
    { field: "max_num_seqs", value: batch, why: `${why} → max_batch_size ${batch}` },
    { field: "max_num_batched_tokens", value: tokens, why: `${why} → max_num_tokens ${tokens}` },
  ];
}

/** The engine profile with its defaults applied for this context, and an assumption per changed number. */
export function applyEngineDefaults(e: EngineProfile, c: DefaultsContext): { engine: EngineProfile; assumptions: Assumption[] } {
  const changes =
    e.defaults.rule === "vllm-usage-context" ? vllmDefaults(e, c)
    : e.defaults.rule === "sglang-gpu-memory" ? sglangDefaults(e, c)
    : e.defaults.rule === "trtllm-bench-tuning" ? trtBenchDefaults(e, c)
    : [];
  let engine = e;
  const assumptions: Assumption[] = [];
  for (const ch of changes) {
    if (engine[ch.field].value === ch.value) continue;
    engine = withEngineOverrides(engine, { [ch.field]: ch.value }, ch.why);
    assumptions.push({ what: `engine ${ch.field}`, value: String(ch.value), why: ch.why });
  }
  // Applied once: a resolved engine carries its numbers, and resolving it again leaves them alone.
  if (e.defaults.rule !== "fixed") engine = { ...engine, defaults: { rule: "fixed", source: `applied: ${e.defaults.rule} (${e.defaults.source})`, values: {} } };
  return { engine, assumptions };
}

/**
 * SGLang's max_running_requests when unset: min(KV tokens / 2, the request-slot pool), the pool being
 * min(max(KV tokens / context length × 512, 2048), 4096) (model_runner.py, tp_worker.py).
 */
export function sglangMaxRunning(e: EngineProfile, kvTokens: number, contextLength: number): number {
  const values = parseOrThrow(SglangRule, e.defaults.values, `data/engines/${e.id}.json defaults.values`).max_running;
  const pool = Math.min(Math.max(Math.floor((kvTokens / contextLength) * values.pool_per_context), values.pool_min), values.pool_max);
  return Math.max(1, Math.min(Math.floor(kvTokens / values.token_divisor), pool));
}
