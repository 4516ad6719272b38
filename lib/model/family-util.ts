/** Shared shapes and helpers of the config-family parsers (families-dense.ts, families-moe.ts). */
import { z } from "zod";
import type { Dtype } from "../core/dtypes";
import { InputError } from "../core/validate";
import type { AttentionSpec, DtypeGroup, FfnSpec, MoeSpec } from "./ir";

export type MlpSpec = { kind: "ffn"; spec: FfnSpec } | { kind: "moe"; spec: MoeSpec };

/** A normalised architecture: what build.ts turns into layers. */
export interface ArchSpec {
  family: string;
  hidden: number;
  vocab: number;
  blocks: number;
  tiedEmbeddings: boolean;
  maxContext: number;
  /** Per decoder block. */
  attention: AttentionSpec[];
  mlp: MlpSpec[];
  /** Multi-token-prediction modules (not run in plain decoding). */
  mtpBlocks: number;
  /** Gemma: RMSNorm before and after the feed-forward block as well as after attention. */
  sandwichNorms?: boolean;
  /** Final-logit soft-capping. */
  logitSoftcap?: number;
  defaultDtypes: Record<DtypeGroup, Dtype>;
  defaultKvDtype?: Dtype;
  /** Modules the checkpoint stores that the IR does not run (MTP, vision tower), with their parameters. */
  extraModules: { name: string; params: number }[];
  /** What the IR leaves out or approximates. */
  assumptions: string[];
  /** Config fields read, for provenance. */
  used: string[];
  /** How the checkpoint's quantisation was read ("" or absent when unquantised), for provenance. */
  quantSummary?: string;
}

/** What one family parser returns; parseHfConfig adds family, dtypes, extra modules and provenance. */
export type ParsedArch = Omit<ArchSpec, "family" | "defaultDtypes" | "defaultKvDtype" | "extraModules" | "assumptions" | "used" | "quantSummary"> & { assumptions?: string[] };

export type Parser = { schema: z.AnyZodObject; parse(c: any, raw: Record<string, unknown>): ParsedArch };

export const pos = z.number().int().positive();
export const nonneg = z.number().int().nonnegative();

export function gqa(heads: number, kvHeads: number): AttentionSpec["variant"] {
  if (kvHeads === heads) return "MHA";
  if (kvHeads === 1) return "MQA";
  return "GQA";
}

export interface AttentionOptions {
  window?: number | null;
  windowKind?: "sliding" | "chunked";
  sinks?: boolean;
  qkvBias?: boolean;
  oBias?: boolean;
  qkNorm?: boolean;
  noRope?: boolean;
  ropeFraction?: number;
  softcap?: number;
}

/** Grouped-query (or multi-head / multi-query) attention with equal q·k and v head dims. Optional fields are set only
 *  when they differ from the plain case, so plain layers keep the IR they always had. */
export function gqaAttention(heads: number, kvHeads: number, headDim: number, o: AttentionOptions = {}): AttentionSpec {
  const window = o.window ?? null;
  const a: AttentionSpec = { variant: gqa(heads, kvHeads), heads, kvHeads, headDim, vHeadDim: headDim, window, sinks: o.sinks ?? false, qkvBias: o.qkvBias ?? false, qkNorm: o.qkNorm ?? false };
  if (window !== null) a.windowKind = o.windowKind ?? "sliding";
  if (o.oBias !== undefined && o.oBias !== a.qkvBias) a.oBias = o.oBias;
  if (o.noRope) a.noRope = true;
  if (o.ropeFraction !== undefined && o.ropeFraction < 1) a.ropeFraction = o.ropeFraction;
  if (o.softcap) a.softcap = o.softcap;
  return a;
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
export function common(cfg: object) {
  const c = cfg as CommonCfg;
  return { hidden: c.hidden_size, vocab: c.vocab_size, blocks: c.num_hidden_layers, tiedEmbeddings: c.tie_word_embeddings, maxContext: c.max_position_embeddings };
}

/** A sliding window at least as long as the context never evicts a token: that is full attention. */
export function effectiveWindow(window: number | null | undefined, maxContext: number): number | null {
  return window && window < maxContext ? window : null;
}

/** The same spec for every block. */
export function every<T>(n: number, x: T): T[] {
  return Array(n).fill(x);
}

/** Per-block attention kinds from `layer_types`; kinds the IR cannot cost are an error naming the kind. */
export function layerKinds(types: string[] | undefined, blocks: number, fallback: (i: number) => "sliding_attention" | "full_attention"): ("sliding_attention" | "full_attention")[] {
  if (!types) return Array.from({ length: blocks }, (_, i) => fallback(i));
  if (types.length !== blocks) throw new InputError(`config field layer_types: has ${types.length} entries, expected num_hidden_layers = ${blocks}`);
  return types.map((t) => {
    if (t === "sliding_attention" || t === "full_attention") return t;
    throw new InputError(`config field layer_types: layer kind "${t}" cannot be costed by the IR (supported: sliding_attention, full_attention)`);
  });
}

export const gatedFfn = (intermediate: number, activation: string, bias = false): FfnSpec => ({ gated: true, intermediate, activation, bias });
