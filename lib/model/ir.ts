import type { Dtype } from "../core/dtypes";
import type { Provenance } from "../core/explain";

/** One weight tensor. `params` counts elements; bytes follow from the dtype chosen by the plan. */
export interface TensorIR {
  name: string;
  shape: number[];
  params: number;
  /** Which dtype group of the parallelism plan stores it. */
  group: DtypeGroup;
}

/** Weight groups that a plan can give different dtypes (fp4 experts, bf16 attention, …). */
export type DtypeGroup = "attention" | "ffn" | "experts" | "router" | "embedding" | "lm_head" | "norm";

export type AttentionVariant = "MHA" | "GQA" | "MQA" | "MLA";

export interface AttentionSpec {
  variant: AttentionVariant;
  heads: number;
  kvHeads: number;
  /** Head dim of q·k (MLA: nope + rope) and of v. */
  headDim: number;
  vHeadDim: number;
  /** Tokens of KV a query attends to (sliding window or chunk size), or null for full attention. */
  window: number | null;
  /** How `window` bounds attention: a sliding window of the last `window` tokens, or fixed chunks of `window`
   *  tokens (Llama 4 chunked local attention: a query sees only the tokens of its own chunk). Set iff window is set. */
  windowKind?: "sliding" | "chunked";
  /** No rotary embedding in this layer (Llama 4's periodic global NoPE layers). */
  noRope?: boolean;
  /** Fraction of the head dim that is rotated (GLM partial rotary); absent = 1. */
  ropeFraction?: number;
  /** Attention-logit soft-capping value (Gemma 2: cap·tanh(logit/cap)); absent = none. */
  softcap?: number;
  /** Learned attention-sink logits per head (GPT-OSS). */
  sinks: boolean;
  qkvBias: boolean;
  /** Bias on o_proj; absent = same as qkvBias (Llama/GPT-OSS put a bias on all four projections, Qwen2/GLM only on q, k, v). */
  oBias?: boolean;
  /** Per-head RMSNorm on q and k (Qwen3). */
  qkNorm: boolean;
  mla?: { qLoraRank: number | null; kvLoraRank: number; ropeHeadDim: number; nopeHeadDim: number };
}

export interface FfnSpec {
  gated: boolean;
  intermediate: number;
  activation: string;
  bias: boolean;
}

export interface MoeSpec {
  experts: number;
  topk: number;
  expertIntermediate: number;
  sharedExperts: number;
  sharedIntermediate: number;
  gated: boolean;
  activation: string;
  expertBias: boolean;
  routerBias: boolean;
  scoring: string;
}

export type LayerKind = "embedding" | "attention" | "ffn" | "moe" | "norm" | "lm_head";

export interface LayerIR {
  /** Position in execution order. */
  index: number;
  /** Decoder block this layer belongs to, or null for embedding / final norm / LM head. */
  block: number | null;
  kind: LayerKind;
  /** Layer-type key used to group identical layers and to address plans: e.g. "attention.sliding". */
  type: string;
  name: string;
  tensors: TensorIR[];
  params: number;
  attention?: AttentionSpec;
  ffn?: FfnSpec;
  moe?: MoeSpec;
}

export interface ModelIR {
  id: string;
  family: string;
  hidden: number;
  vocab: number;
  blocks: number;
  layers: LayerIR[];
  /** Config dtype of unquantised weights (torch_dtype), and the checkpoint's quantised groups. */
  defaultDtypes: Record<DtypeGroup, Dtype>;
  maxContext: number;
  /** Where each architectural figure came from (config field, derived, override). */
  provenance: Record<string, Provenance>;
  /** Parameters of optional modules that do not run in normal decoding (e.g. DeepSeek MTP). */
  extraModules: { name: string; params: number }[];
  /** Fields of the config that were present but not used, with the reason (audit). */
  ignoredFields: Record<string, string>;
  /** KV-cache dtype the checkpoint states (modelopt kv_cache_quant_algo, compressed-tensors kv_cache_scheme); absent = not stated. */
  defaultKvDtype?: Dtype;
  /** Final-logit soft-capping (Gemma 2); absent = none. */
  logitSoftcap?: number;
  /** What the IR leaves out or approximates (e.g. "text decoder only: vision tower not modelled"); absent = none. */
  assumptions?: string[];
}
