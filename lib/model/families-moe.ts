/** Mixture-of-experts families: GPT-OSS, Mixtral, Qwen3-MoE, DeepSeek V2/V3 (and Kimi-K2), GLM-4.5, Llama 4. */
import { z } from "zod";
import { InputError } from "../core/validate";
import type { AttentionSpec, MoeSpec } from "./ir";
import { common, every, gatedFfn, gqaAttention, nonneg, pos, type MlpSpec, type Parser } from "./family-util";

/** transformers Llama4TextConfig default: every 4th block is a global NoPE block (no_rope_layer_interval). */
const LLAMA4_NOPE_INTERVAL = 4;
/** transformers Glm4MoeConfig default partial_rotary_factor: half of each head dim is rotated. */
const GLM_ROPE_FRACTION = 0.5;

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
  n_routed_experts: pos, n_shared_experts: nonneg, num_experts_per_tok: pos,
  moe_intermediate_size: pos, first_k_dense_replace: nonneg, moe_layer_freq: pos,
  num_nextn_predict_layers: nonneg.default(0), scoring_func: z.string().default("softmax"),
});

const Glm4MoeCfg = z.object({
  hidden_size: pos, intermediate_size: pos, num_hidden_layers: pos, num_attention_heads: pos, num_key_value_heads: pos,
  head_dim: pos, vocab_size: pos, max_position_embeddings: pos, hidden_act: z.string(), tie_word_embeddings: z.boolean().default(false),
  attention_bias: z.boolean().default(false), use_qk_norm: z.boolean().default(false), partial_rotary_factor: z.number().positive().max(1).default(GLM_ROPE_FRACTION),
  n_routed_experts: pos, n_shared_experts: nonneg, num_experts_per_tok: pos, moe_intermediate_size: pos,
  first_k_dense_replace: nonneg, num_nextn_predict_layers: nonneg.default(0),
});

const Llama4TextCfg = z.object({
  hidden_size: pos, intermediate_size: pos, intermediate_size_mlp: pos, num_hidden_layers: pos, num_attention_heads: pos,
  num_key_value_heads: pos, head_dim: pos, vocab_size: pos, max_position_embeddings: pos, hidden_act: z.string(),
  tie_word_embeddings: z.boolean().default(false), attention_bias: z.boolean().default(false),
  num_local_experts: pos, num_experts_per_tok: pos, interleave_moe_layer_step: pos.default(1), moe_layers: z.array(nonneg).optional(),
  attention_chunk_size: pos.nullable().optional(), no_rope_layers: z.array(z.number().int().min(0).max(1)).optional(),
  no_rope_layer_interval: pos.optional(), nope_layer_interval: pos.optional(), use_qk_norm: z.boolean().default(true),
});

/** Routed experts without a shared expert (GPT-OSS, Mixtral, Qwen3-MoE). */
function routedMoe(experts: number, topk: number, expertIntermediate: number, activation: string, bias: boolean): MoeSpec {
  return { experts, topk, expertIntermediate, sharedExperts: 0, sharedIntermediate: 0, gated: true, activation, expertBias: bias, routerBias: bias, scoring: "softmax" };
}

/** Blocks below `firstMoe` and those `isMoe` rejects are dense. */
function mlpPlan(blocks: number, isMoe: (i: number) => boolean, moe: MoeSpec, ffnIntermediate: number, act: string): MlpSpec[] {
  const ffn = gatedFfn(ffnIntermediate, act);
  return Array.from({ length: blocks }, (_, i) => (isMoe(i) ? ({ kind: "moe", spec: moe } as const) : ({ kind: "ffn", spec: ffn } as const)));
}

const deepseek: Parser = {
  schema: DeepseekCfg,
  parse(c: z.infer<typeof DeepseekCfg>) {
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
    const isMoe = (i: number) => i >= c.first_k_dense_replace && i % c.moe_layer_freq === 0;
    return { ...common(c), attention: every(c.num_hidden_layers, att), mlp: mlpPlan(c.num_hidden_layers, isMoe, moe, c.intermediate_size, c.hidden_act), mtpBlocks: c.num_nextn_predict_layers };
  },
};

export const MOE_PARSERS: Record<string, Parser> = {
  gpt_oss: {
    schema: GptOssCfg,
    parse(c: z.infer<typeof GptOssCfg>) {
      if (c.layer_types.length !== c.num_hidden_layers) {
        throw new InputError(`config field layer_types: has ${c.layer_types.length} entries, expected num_hidden_layers = ${c.num_hidden_layers}`);
      }
      const attention = c.layer_types.map((t) =>
        gqaAttention(c.num_attention_heads, c.num_key_value_heads, c.head_dim, { window: t === "sliding_attention" ? c.sliding_window : null, sinks: true, qkvBias: c.attention_bias }),
      );
      const moe = routedMoe(c.num_local_experts, c.num_experts_per_tok, c.intermediate_size, c.hidden_act, true);
      return { ...common(c), attention, mlp: every(c.num_hidden_layers, { kind: "moe" as const, spec: moe }), mtpBlocks: 0 };
    },
  },
  mixtral: {
    schema: MixtralCfg,
    parse(c: z.infer<typeof MixtralCfg>) {
      const att = gqaAttention(c.num_attention_heads, c.num_key_value_heads, c.head_dim ?? c.hidden_size / c.num_attention_heads, { window: c.sliding_window });
      const moe = routedMoe(c.num_local_experts, c.num_experts_per_tok, c.intermediate_size, c.hidden_act, false);
      return { ...common(c), attention: every(c.num_hidden_layers, att), mlp: every(c.num_hidden_layers, { kind: "moe" as const, spec: moe }), mtpBlocks: 0 };
    },
  },
  qwen3_moe: {
    schema: Qwen3MoeCfg,
    parse(c: z.infer<typeof Qwen3MoeCfg>) {
      const att = gqaAttention(c.num_attention_heads, c.num_key_value_heads, c.head_dim, { qkvBias: c.attention_bias, qkNorm: true });
      const moe = routedMoe(c.num_experts, c.num_experts_per_tok, c.moe_intermediate_size, c.hidden_act, false);
      const isMoe = (i: number) => !c.mlp_only_layers.includes(i) && (i + 1) % c.decoder_sparse_step === 0;
      return { ...common(c), attention: every(c.num_hidden_layers, att), mlp: mlpPlan(c.num_hidden_layers, isMoe, moe, c.intermediate_size, c.hidden_act), mtpBlocks: 0 };
    },
  },
  deepseek_v3: deepseek,
  // DeepSeek-V2 (incl. V2-Lite, MLA without q LoRA: q_lora_rank null) and Kimi-K2 share the DeepSeek-V3 layout.
  deepseek_v2: deepseek,
  kimi_k2: deepseek,
  glm4_moe: {
    // GLM-4.5: bias on q, k, v but not o_proj (transformers Glm4MoeAttention); sigmoid router with a correction bias;
    // the first first_k_dense_replace blocks are dense; num_nextn_predict_layers MTP blocks follow the decoder.
    schema: Glm4MoeCfg,
    parse(c: z.infer<typeof Glm4MoeCfg>) {
      const att = gqaAttention(c.num_attention_heads, c.num_key_value_heads, c.head_dim, { qkvBias: c.attention_bias, oBias: false, qkNorm: c.use_qk_norm, ropeFraction: c.partial_rotary_factor });
      const moe: MoeSpec = {
        experts: c.n_routed_experts, topk: c.num_experts_per_tok, expertIntermediate: c.moe_intermediate_size, sharedExperts: c.n_shared_experts,
        sharedIntermediate: c.moe_intermediate_size, gated: true, activation: c.hidden_act, expertBias: false, routerBias: true, scoring: "sigmoid",
      };
      const mlp = mlpPlan(c.num_hidden_layers, (i) => i >= c.first_k_dense_replace, moe, c.intermediate_size, c.hidden_act);
      const assumptions = c.num_nextn_predict_layers > 0 ? ["GLM MTP layer counted like DeepSeek-V3's: one decoder block plus its own copies of the embedding and output head (the checkpoint layout is not read)"] : [];
      return { ...common(c), attention: every(c.num_hidden_layers, att), mlp, mtpBlocks: c.num_nextn_predict_layers, assumptions };
    },
  },
  llama4_text: {
    // Llama 4: RoPE blocks use chunked local attention (attention_chunk_size); every no_rope_layer_interval-th block
    // is global without RoPE (transformers no_rope_layers default, interval 4). MoE blocks (every
    // interleave_moe_layer_step-th) route top-k with a sigmoid and add one shared expert; the others are dense
    // with intermediate_size_mlp.
    schema: Llama4TextCfg,
    parse(c: z.infer<typeof Llama4TextCfg>) {
      const L = c.num_hidden_layers;
      const interval = c.no_rope_layer_interval ?? c.nope_layer_interval ?? LLAMA4_NOPE_INTERVAL;
      const rope = c.no_rope_layers ?? Array.from({ length: L }, (_, i) => ((i + 1) % interval !== 0 ? 1 : 0));
      if (rope.length !== L) throw new InputError(`config field no_rope_layers: has ${rope.length} entries, expected num_hidden_layers = ${L}`);
      const chunk = c.attention_chunk_size ?? null;
      const attention = rope.map((r) =>
        gqaAttention(c.num_attention_heads, c.num_key_value_heads, c.head_dim, r ? { qkvBias: c.attention_bias, window: chunk, windowKind: "chunked" } : { qkvBias: c.attention_bias, noRope: true }),
      );
      const step = c.interleave_moe_layer_step;
      const moeLayers = new Set(c.moe_layers ?? Array.from({ length: L }, (_, i) => i).filter((i) => (i + 1) % step === 0));
      const moe: MoeSpec = {
        experts: c.num_local_experts, topk: c.num_experts_per_tok, expertIntermediate: c.intermediate_size, sharedExperts: 1,
        sharedIntermediate: c.intermediate_size, gated: true, activation: c.hidden_act, expertBias: false, routerBias: false, scoring: "sigmoid",
      };
      const assumptions = c.use_qk_norm ? ["Llama 4 L2-normalises q and k in RoPE blocks: no weights, its (elementwise) cost is not modelled"] : [];
      return { ...common(c), attention, mlp: mlpPlan(L, (i) => moeLayers.has(i), moe, c.intermediate_size_mlp, c.hidden_act), mtpBlocks: 0, assumptions };
    },
  },
};
