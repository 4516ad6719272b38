/**
 * Hugging Face config.json → a normalised architecture description.
 * Each family reads the fields it understands; any other field must be listed in
 * NO_COST_FIELDS (with why it does not change inference cost) or the load fails naming it.
 */
import { z } from "zod";
import type { Dtype } from "../core/dtypes";
import { InputError, parseOrThrow } from "../core/validate";
import type { AttentionSpec, DtypeGroup, FfnSpec, MoeSpec } from "./ir";

/** Fields that do not change FLOPs, bytes, KV or communication, and why. */
export const NO_COST_FIELDS: Record<string, string> = {
  architectures: "class name; family is taken from model_type",
  model_type: "selects the family parser",
  bos_token_id: "tokenizer id",
  eos_token_id: "tokenizer id",
  pad_token_id: "tokenizer id",
  initializer_range: "training-time initialisation",
  use_cache: "runtime flag (serving always caches KV)",
  transformers_version: "library version",
  attention_dropout: "training-time dropout",
  router_aux_loss_coef: "training-time loss weight",
  output_router_logits: "training-time output",
  rms_norm_eps: "numerical epsilon",
  rope_theta: "rotary base frequency (same cost for any value)",
  rope_scaling: "rotary scaling (context extension; same per-token cost)",
  initial_context_length: "pre-extension context length; max_position_embeddings bounds context",
  pretraining_tp: "training-time TP layout (1 = none)",
  auto_map: "remote-code class names",
  swiglu_limit: "activation clamp value",
  routed_scaling_factor: "router output scale",
  norm_topk_prob: "router normalisation",
  n_group: "DeepSeek group-limited routing (changes which experts, not how many)",
  topk_group: "DeepSeek group-limited routing",
  topk_method: "router selection method",
  ep_size: "training-time expert-parallel layout",
  max_window_layers: "Qwen sliding-window layer count, inactive when use_sliding_window is false",
  use_sliding_window: "checked by the Qwen parser: sliding window must be off",
  torch_dtype: "default dtype of unquantised weights (read separately)",
  dtype: "default dtype of unquantised weights (read separately)",
  quantization_config: "checkpoint quantisation (read separately)",
};

export interface ArchSpec {
  family: string;
  hidden: number;
  vocab: number;
  blocks: number;
  tiedEmbeddings: boolean;
  maxContext: number;
  /** Per decoder block. */
  attention: AttentionSpec[];
  mlp: ({ kind: "ffn"; spec: FfnSpec } | { kind: "moe"; spec: MoeSpec })[];
  /** Multi-token-prediction modules (not run in plain decoding). */
  mtpBlocks: number;
  defaultDtypes: Record<DtypeGroup, Dtype>;
  /** Config fields read, for provenance. */
  used: string[];
}

const pos = z.number().int().positive();

const torchDtype = (cfg: Record<string, unknown>): Dtype => {
  const t = (cfg.torch_dtype ?? cfg.dtype ?? "bfloat16") as string;
  const map: Record<string, Dtype> = { bfloat16: "bf16", float16: "fp16", float32: "fp32" };
  const d = map[t];
  if (!d) throw new InputError(`config field torch_dtype: "${t}" is not supported; use bfloat16, float16 or float32`);
  return d;
};

function allGroups(d: Dtype): Record<DtypeGroup, Dtype> {
  return { attention: d, ffn: d, experts: d, router: d, embedding: d, lm_head: d, norm: d };
}

/** Apply the checkpoint's quantization_config to the default dtypes. */
function applyQuantization(cfg: Record<string, unknown>, base: Record<DtypeGroup, Dtype>): Record<DtypeGroup, Dtype> {
  const q = cfg.quantization_config as Record<string, unknown> | undefined;
  if (!q) return base;
  const method = q.quant_method;
  if (method === "mxfp4") {
    // GPT-OSS: only MoE experts are MXFP4; modules_to_not_convert lists attention, router, embedding, head.
    return { ...base, experts: "mxfp4" };
  }
  if (method === "fp8") {
    const block = Array.isArray(q.weight_block_size);
    const d: Dtype = block ? "fp8-block" : "fp8";
    return { ...base, attention: d, ffn: d, experts: d };
  }
  throw new InputError(
    `config field quantization_config.quant_method: "${String(method)}" is not understood; ` +
      `supported: mxfp4, fp8 — or remove it and choose weight dtypes in the plan`,
  );
}

const LlamaCfg = z.object({
  hidden_size: pos, intermediate_size: pos, num_hidden_layers: pos, num_attention_heads: pos,
  num_key_value_heads: pos.optional(), vocab_size: pos, max_position_embeddings: pos,
  head_dim: pos.optional(), hidden_act: z.string(), tie_word_embeddings: z.boolean().default(false),
  attention_bias: z.boolean().default(false), mlp_bias: z.boolean().default(false),
});

const GptOssCfg = z.object({
  hidden_size: pos, intermediate_size: pos, num_hidden_layers: pos, num_attention_heads: pos,
  num_key_value_heads: pos, vocab_size: pos, max_position_embeddings: pos, head_dim: pos,
  hidden_act: z.string(), tie_word_embeddings: z.boolean(), attention_bias: z.boolean(),
  num_local_experts: pos, num_experts_per_tok: pos, experts_per_token: pos.optional(),
  sliding_window: pos, layer_types: z.array(z.enum(["sliding_attention", "full_attention"])),
});

const MixtralCfg = z.object({
  hidden_size: pos, intermediate_size: pos, num_hidden_layers: pos, num_attention_heads: pos,
  num_key_value_heads: pos, vocab_size: pos, max_position_embeddings: pos, hidden_act: z.string(),
  tie_word_embeddings: z.boolean().default(false), num_local_experts: pos, num_experts_per_tok: pos,
  sliding_window: pos.nullable().default(null), head_dim: pos.optional(),
});

const Qwen3MoeCfg = z.object({
  hidden_size: pos, intermediate_size: pos, num_hidden_layers: pos, num_attention_heads: pos,
  num_key_value_heads: pos, vocab_size: pos, max_position_embeddings: pos, head_dim: pos,
  hidden_act: z.string(), tie_word_embeddings: z.boolean(), attention_bias: z.boolean().default(false),
  num_experts: pos, num_experts_per_tok: pos, moe_intermediate_size: pos,
  decoder_sparse_step: pos.default(1), mlp_only_layers: z.array(z.number().int().nonnegative()).default([]),
  use_sliding_window: z.literal(false, { errorMap: () => ({ message: "sliding-window Qwen3 is not supported; set use_sliding_window false" }) }).default(false),
  sliding_window: z.unknown().optional(),
});

const DeepseekCfg = z.object({
  hidden_size: pos, intermediate_size: pos, num_hidden_layers: pos, num_attention_heads: pos,
  num_key_value_heads: pos, vocab_size: pos, max_position_embeddings: pos, hidden_act: z.string(),
  tie_word_embeddings: z.boolean(), attention_bias: z.boolean().default(false),
  q_lora_rank: pos.nullable(), kv_lora_rank: pos, qk_nope_head_dim: pos, qk_rope_head_dim: pos, v_head_dim: pos,
  n_routed_experts: pos, n_shared_experts: z.number().int().nonnegative(), num_experts_per_tok: pos,
  moe_intermediate_size: pos, first_k_dense_replace: z.number().int().nonnegative(), moe_layer_freq: pos,
  num_nextn_predict_layers: z.number().int().nonnegative().default(0), scoring_func: z.string().default("softmax"),
});

function gqa(heads: number, kvHeads: number): AttentionSpec["variant"] {
  if (kvHeads === heads) return "MHA";
  if (kvHeads === 1) return "MQA";
  return "GQA";
}

/** The fields every family reads the same way. */
interface CommonCfg {
  hidden_size: number;
  vocab_size: number;
  num_hidden_layers: number;
  tie_word_embeddings: boolean;
  max_position_embeddings: number;
}
// Typed loosely on purpose: notebooks compile without strict null checks, where zod's inferred fields are optional.
function common(cfg: object) {
  const c = cfg as CommonCfg;
  return { hidden: c.hidden_size, vocab: c.vocab_size, blocks: c.num_hidden_layers, tiedEmbeddings: c.tie_word_embeddings, maxContext: c.max_position_embeddings };
}

/** Grouped-query (or multi-head / multi-query) attention with equal q·k and v head dims. */
function gqaAttention(heads: number, kvHeads: number, headDim: number, o: { window?: number | null; sinks?: boolean; qkvBias?: boolean; qkNorm?: boolean } = {}): AttentionSpec {
  return { variant: gqa(heads, kvHeads), heads, kvHeads, headDim, vHeadDim: headDim, window: o.window ?? null, sinks: o.sinks ?? false, qkvBias: o.qkvBias ?? false, qkNorm: o.qkNorm ?? false };
}

type Parser = { schema: z.ZodTypeAny; parse(c: any, raw: Record<string, unknown>): Omit<ArchSpec, "used" | "family"> };

const PARSERS: Record<string, Parser> = {
  llama: {
    schema: LlamaCfg,
    parse(c: z.infer<typeof LlamaCfg>, raw) {
      const kv = c.num_key_value_heads ?? c.num_attention_heads;
      const hd = c.head_dim ?? c.hidden_size / c.num_attention_heads;
      const att = gqaAttention(c.num_attention_heads, kv, hd, { qkvBias: c.attention_bias });
      const ffn: FfnSpec = { gated: true, intermediate: c.intermediate_size, activation: c.hidden_act, bias: c.mlp_bias };
      return {
        ...common(c), attention: Array(c.num_hidden_layers).fill(att),
        mlp: Array(c.num_hidden_layers).fill({ kind: "ffn", spec: ffn }), mtpBlocks: 0,
        defaultDtypes: applyQuantization(raw, allGroups(torchDtype(raw))),
      };
    },
  },
  gpt_oss: {
    schema: GptOssCfg,
    parse(c: z.infer<typeof GptOssCfg>, raw) {
      if (c.layer_types.length !== c.num_hidden_layers) {
        throw new InputError(`config field layer_types: has ${c.layer_types.length} entries, expected num_hidden_layers = ${c.num_hidden_layers}`);
      }
      const attention = c.layer_types.map((t) =>
        gqaAttention(c.num_attention_heads, c.num_key_value_heads, c.head_dim, { window: t === "sliding_attention" ? c.sliding_window : null, sinks: true, qkvBias: c.attention_bias }),
      );
      const moe: MoeSpec = {
        experts: c.num_local_experts, topk: c.num_experts_per_tok, expertIntermediate: c.intermediate_size,
        sharedExperts: 0, sharedIntermediate: 0, gated: true, activation: c.hidden_act, expertBias: true,
        routerBias: true, scoring: "softmax",
      };
      return {
        ...common(c), attention, mlp: Array(c.num_hidden_layers).fill({ kind: "moe", spec: moe }),
        mtpBlocks: 0, defaultDtypes: applyQuantization(raw, allGroups("bf16")),
      };
    },
  },
  mixtral: {
    schema: MixtralCfg,
    parse(c: z.infer<typeof MixtralCfg>, raw) {
      const hd = c.head_dim ?? c.hidden_size / c.num_attention_heads;
      const att = gqaAttention(c.num_attention_heads, c.num_key_value_heads, hd, { window: c.sliding_window });
      const moe: MoeSpec = {
        experts: c.num_local_experts, topk: c.num_experts_per_tok, expertIntermediate: c.intermediate_size,
        sharedExperts: 0, sharedIntermediate: 0, gated: true, activation: c.hidden_act, expertBias: false,
        routerBias: false, scoring: "softmax",
      };
      return {
        ...common(c), attention: Array(c.num_hidden_layers).fill(att),
        mlp: Array(c.num_hidden_layers).fill({ kind: "moe", spec: moe }), mtpBlocks: 0,
        defaultDtypes: applyQuantization(raw, allGroups(torchDtype(raw))),
      };
    },
  },
  qwen3_moe: {
    schema: Qwen3MoeCfg,
    parse(c: z.infer<typeof Qwen3MoeCfg>, raw) {
      const att = gqaAttention(c.num_attention_heads, c.num_key_value_heads, c.head_dim, { qkvBias: c.attention_bias, qkNorm: true });
      const moe: MoeSpec = {
        experts: c.num_experts, topk: c.num_experts_per_tok, expertIntermediate: c.moe_intermediate_size,
        sharedExperts: 0, sharedIntermediate: 0, gated: true, activation: c.hidden_act, expertBias: false,
        routerBias: false, scoring: "softmax",
      };
      const ffn: FfnSpec = { gated: true, intermediate: c.intermediate_size, activation: c.hidden_act, bias: false };
      const mlp = Array.from({ length: c.num_hidden_layers }, (_, i) =>
        !c.mlp_only_layers.includes(i) && (i + 1) % c.decoder_sparse_step === 0
          ? ({ kind: "moe", spec: moe } as const)
          : ({ kind: "ffn", spec: ffn } as const),
      );
      return {
        ...common(c), attention: Array(c.num_hidden_layers).fill(att), mlp, mtpBlocks: 0,
        defaultDtypes: applyQuantization(raw, allGroups(torchDtype(raw))),
      };
    },
  },
  deepseek_v3: {
    schema: DeepseekCfg,
    parse(c: z.infer<typeof DeepseekCfg>, raw) {
      const att: AttentionSpec = {
        variant: "MLA", heads: c.num_attention_heads, kvHeads: 1, headDim: c.qk_nope_head_dim + c.qk_rope_head_dim,
        vHeadDim: c.v_head_dim, window: null, sinks: false, qkvBias: c.attention_bias, qkNorm: false,
        mla: { qLoraRank: c.q_lora_rank, kvLoraRank: c.kv_lora_rank, ropeHeadDim: c.qk_rope_head_dim, nopeHeadDim: c.qk_nope_head_dim },
      };
      const moe: MoeSpec = {
        experts: c.n_routed_experts, topk: c.num_experts_per_tok, expertIntermediate: c.moe_intermediate_size,
        sharedExperts: c.n_shared_experts, sharedIntermediate: c.moe_intermediate_size, gated: true,
        activation: c.hidden_act, expertBias: false, routerBias: c.scoring_func === "sigmoid", scoring: c.scoring_func,
      };
      const ffn: FfnSpec = { gated: true, intermediate: c.intermediate_size, activation: c.hidden_act, bias: false };
      const mlp = Array.from({ length: c.num_hidden_layers }, (_, i) =>
        i >= c.first_k_dense_replace && i % c.moe_layer_freq === 0 ? ({ kind: "moe", spec: moe } as const) : ({ kind: "ffn", spec: ffn } as const),
      );
      return {
        ...common(c), attention: Array(c.num_hidden_layers).fill(att), mlp,
        mtpBlocks: c.num_nextn_predict_layers, defaultDtypes: applyQuantization(raw, allGroups(torchDtype(raw))),
      };
    },
  },
};

// Families that share a parser.
PARSERS.mistral = PARSERS.llama;
PARSERS.qwen2 = PARSERS.llama;

export const SUPPORTED_MODEL_TYPES = Object.keys(PARSERS);

export interface ParseOptions {
  /** Accept fields the library does not know (they are listed in the IR's ignoredFields as unverified). */
  allowUnknownFields?: boolean;
}

export function parseHfConfig(raw: unknown, what: string, opts: ParseOptions = {}): ArchSpec & { ignored: Record<string, string> } {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new InputError(`${what}: expected a JSON object (a Hugging Face config.json)`);
  }
  const cfg = raw as Record<string, unknown>;
  const modelType = cfg.model_type;
  if (typeof modelType !== "string" || !(modelType in PARSERS)) {
    throw new InputError(
      `${what}: field model_type is "${String(modelType)}"; supported model types: ${SUPPORTED_MODEL_TYPES.join(", ")}`,
    );
  }
  const parser = PARSERS[modelType];
  const parsed = parseOrThrow(parser.schema, cfg, `${what} (model_type ${modelType})`);
  const known = new Set(Object.keys((parser.schema as z.AnyZodObject).shape));
  const ignored: Record<string, string> = {};
  const unknown: string[] = [];
  for (const k of Object.keys(cfg)) {
    if (known.has(k)) continue;
    if (k in NO_COST_FIELDS) ignored[k] = NO_COST_FIELDS[k];
    else if (opts.allowUnknownFields) ignored[k] = "UNKNOWN field accepted by allowUnknownFields: its effect on cost is not modelled";
    else unknown.push(k);
  }
  if (unknown.length) {
    throw new InputError(
      `${what}: field(s) ${unknown.map((u) => `"${u}"`).join(", ")} not understood for model_type ${modelType}. ` +
        `If they do not change inference cost, add them to NO_COST_FIELDS in lib/model/hf-config.ts with the reason, ` +
        `or load with allowUnknownFields (CLI: --allow-unknown-fields) to record them as unverified assumptions.`,
    );
  }
  const spec = parser.parse(parsed, cfg);
  return { ...spec, family: modelType, used: [...known].filter((k) => k in cfg), ignored };
}
