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
  /** Sliding window in tokens, or null for full attention. */
  window: number | null;
  /** Learned attention-sink logits per head (GPT-OSS). */
  sinks: boolean;
  qkvBias: boolean;
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
}
