/** Dense decoder families: Llama, Mistral, Qwen2/2.5, Qwen3, Phi-3/4, Gemma 2, Gemma 3 (text). */
import { z } from "zod";
import { InputError } from "../core/validate";
import type { AttentionSpec } from "./ir";
import { common, effectiveWindow, every, gatedFfn, gqaAttention, layerKinds, nonneg, pos, type ParsedArch, type Parser } from "./family-util";

const LlamaCfg = z.object({
  hidden_size: pos, intermediate_size: pos, num_hidden_layers: pos, num_attention_heads: pos,
  num_key_value_heads: pos.optional(), vocab_size: pos, max_position_embeddings: pos,
  head_dim: pos.optional(), hidden_act: z.string(), tie_word_embeddings: z.boolean().default(false),
  attention_bias: z.boolean().default(false), mlp_bias: z.boolean().default(false),
});
type LlamaC = z.infer<typeof LlamaCfg>;

/** Llama-layout blocks: GQA attention + gated MLP, one spec per block (or per-block attention when given). */
function llamaLayout(c: LlamaC, attention: AttentionSpec | AttentionSpec[]): ParsedArch {
  const ffn = gatedFfn(c.intermediate_size, c.hidden_act, c.mlp_bias);
  return {
    ...common(c), attention: Array.isArray(attention) ? attention : every(c.num_hidden_layers, attention),
    mlp: every(c.num_hidden_layers, { kind: "ffn" as const, spec: ffn }), mtpBlocks: 0,
  };
}

// Parameters typed loosely: notebooks compile without strict null checks, where zod's inferred fields are optional.
const headDimOf = (cfg: object) => {
  const c = cfg as { head_dim?: number; hidden_size: number; num_attention_heads: number };
  return c.head_dim ?? c.hidden_size / c.num_attention_heads;
};

const MistralCfg = LlamaCfg.extend({ sliding_window: pos.nullable().default(null) });

/** Qwen sliding window: when use_sliding_window is on, blocks from max_window_layers on use it (HF Qwen2/Qwen3 layer_types rule). */
const QwenWindow = { use_sliding_window: z.boolean().default(false), sliding_window: pos.nullable().optional(), max_window_layers: nonneg.optional(), layer_types: z.array(z.string()).optional() };
function qwenWindows(cfg: object): (number | null)[] {
  const c = cfg as { use_sliding_window: boolean; sliding_window?: number | null; max_window_layers?: number; layer_types?: string[]; num_hidden_layers: number; max_position_embeddings: number };
  const w = effectiveWindow(c.use_sliding_window ? c.sliding_window : null, c.max_position_embeddings);
  const kinds = layerKinds(c.layer_types, c.num_hidden_layers, (i) => (w && i >= (c.max_window_layers ?? 0) ? "sliding_attention" : "full_attention"));
  return kinds.map((k) => (k === "sliding_attention" ? effectiveWindow(c.sliding_window, c.max_position_embeddings) : null));
}

const Qwen2Cfg = LlamaCfg.omit({ attention_bias: true, mlp_bias: true }).extend({ num_key_value_heads: pos, ...QwenWindow });
const Qwen3Cfg = LlamaCfg.omit({ mlp_bias: true }).extend({ num_key_value_heads: pos, head_dim: pos, ...QwenWindow });

const Phi3Cfg = LlamaCfg.omit({ mlp_bias: true }).extend({ sliding_window: pos.nullable().default(null), partial_rotary_factor: z.number().positive().max(1).optional() });

/** Gemma 2 and Gemma 3 (text): GeGLU MLP, sandwich norms, alternating local/global attention, tied embeddings. */
const GemmaBase = {
  hidden_size: pos, intermediate_size: pos, num_hidden_layers: pos, num_attention_heads: pos, num_key_value_heads: pos,
  head_dim: pos, vocab_size: pos, max_position_embeddings: pos, hidden_activation: z.string().optional(), hidden_act: z.string().optional(),
  tie_word_embeddings: z.boolean().default(true), attention_bias: z.boolean().default(false), sliding_window: pos,
  attn_logit_softcapping: z.number().positive().nullable().optional(), final_logit_softcapping: z.number().positive().nullable().optional(),
  layer_types: z.array(z.string()).optional(),
};
const Gemma2Cfg = z.object({ ...GemmaBase, sliding_window_size: pos.optional() });
const Gemma3TextCfg = z.object({ ...GemmaBase, sliding_window_pattern: pos.optional(), _sliding_window_pattern: pos.optional() });
type GemmaC = z.infer<typeof Gemma3TextCfg>;

function gemmaLayout(c: GemmaC, kinds: ("sliding_attention" | "full_attention")[], qkNorm: boolean): ParsedArch {
  const act = c.hidden_activation ?? c.hidden_act;
  if (!act) throw new InputError("config field hidden_activation: missing (Gemma configs name the MLP activation there)");
  const size = (c as { sliding_window_size?: number }).sliding_window_size;
  if (size !== undefined && size !== c.sliding_window) {
    throw new InputError(`config fields sliding_window (${c.sliding_window}) and sliding_window_size disagree`);
  }
  const softcap = c.attn_logit_softcapping ?? undefined;
  const attention = kinds.map((k) =>
    gqaAttention(c.num_attention_heads, c.num_key_value_heads, c.head_dim, {
      window: k === "sliding_attention" ? effectiveWindow(c.sliding_window, c.max_position_embeddings) : null,
      qkvBias: c.attention_bias, qkNorm, softcap,
    }),
  );
  return {
    ...common(c), attention, mlp: every(c.num_hidden_layers, { kind: "ffn" as const, spec: gatedFfn(c.intermediate_size, act) }),
    mtpBlocks: 0, sandwichNorms: true, logitSoftcap: c.final_logit_softcapping ?? undefined,
  };
}

export const DENSE_PARSERS: Record<string, Parser> = {
  llama: {
    schema: LlamaCfg,
    parse: (c: LlamaC) => llamaLayout(c, gqaAttention(c.num_attention_heads, c.num_key_value_heads ?? c.num_attention_heads, headDimOf(c), { qkvBias: c.attention_bias })),
  },
  mistral: {
    schema: MistralCfg,
    parse: (c: z.infer<typeof MistralCfg>) =>
      llamaLayout(c, gqaAttention(c.num_attention_heads, c.num_key_value_heads ?? c.num_attention_heads, headDimOf(c), {
        qkvBias: c.attention_bias, window: effectiveWindow(c.sliding_window, c.max_position_embeddings),
      })),
  },
  qwen2: {
    // Qwen2 attention: bias on q, k, v, none on o_proj (transformers Qwen2Attention); no attention_bias field.
    schema: Qwen2Cfg,
    parse: (c: z.infer<typeof Qwen2Cfg>) =>
      llamaLayout({ ...c, attention_bias: true, mlp_bias: false }, qwenWindows(c).map((window) => gqaAttention(c.num_attention_heads, c.num_key_value_heads, headDimOf(c), { qkvBias: true, oBias: false, window }))),
  },
  qwen3: {
    schema: Qwen3Cfg,
    parse: (c: z.infer<typeof Qwen3Cfg>) =>
      llamaLayout({ ...c, mlp_bias: false }, qwenWindows(c).map((window) => gqaAttention(c.num_attention_heads, c.num_key_value_heads, c.head_dim, { qkvBias: c.attention_bias, qkNorm: true, window }))),
  },
  phi3: {
    // Phi-3/Phi-4 checkpoints fuse qkv_proj and gate_up_proj; the parameters are those of separate projections.
    schema: Phi3Cfg,
    parse: (c: z.infer<typeof Phi3Cfg>) =>
      llamaLayout({ ...c, mlp_bias: false }, gqaAttention(c.num_attention_heads, c.num_key_value_heads ?? c.num_attention_heads, headDimOf(c), {
        qkvBias: c.attention_bias, window: effectiveWindow(c.sliding_window, c.max_position_embeddings), ropeFraction: c.partial_rotary_factor,
      })),
  },
  gemma2: {
    // Even blocks slide, odd blocks are global (transformers Gemma2 layer_types default).
    schema: Gemma2Cfg,
    parse: (c: GemmaC) => gemmaLayout(c, layerKinds(c.layer_types, c.num_hidden_layers, (i) => (i % 2 === 0 ? "sliding_attention" : "full_attention")), false),
  },
  gemma3_text: {
    // Every sliding_window_pattern-th block is global, the others slide (transformers Gemma3 layer_types default); q/k RMSNorm.
    schema: Gemma3TextCfg,
    parse: (c: GemmaC) => {
      const pattern = c.sliding_window_pattern ?? c._sliding_window_pattern;
      if (!c.layer_types && !pattern) throw new InputError("config fields layer_types / sliding_window_pattern: one is needed to place Gemma 3's global layers");
      const global = (i: number) => pattern !== undefined && (i + 1) % pattern === 0;
      return gemmaLayout(c, layerKinds(c.layer_types, c.num_hidden_layers, (i) => (global(i) ? "full_attention" : "sliding_attention")), true);
    },
  },
};
