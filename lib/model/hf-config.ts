/**
 * Hugging Face config.json → a normalised architecture description.
 * Each family reads the fields it understands (families-dense.ts, families-moe.ts); any other field must be listed
 * in NO_COST_FIELDS (with why it does not change inference cost) or the load fails naming it. Multimodal checkpoints
 * (Llama 4, Gemma 3) are read as their text decoder; the vision tower is an assumption and an unmodelled extra module.
 * Layer kinds the IR cannot cost (state-space, linear attention) are an error naming the kind.
 */
import type { Dtype } from "../core/dtypes";
import { InputError, parseOrThrow } from "../core/validate";
import { DENSE_PARSERS } from "./families-dense";
import { MOE_PARSERS } from "./families-moe";
import type { ArchSpec, Parser } from "./family-util";
import { NO_COST_FIELDS } from "./no-cost-fields";
import { checkpointQuant } from "./quant";

export { NO_COST_FIELDS } from "./no-cost-fields";
export type { ArchSpec } from "./family-util";

const PARSERS: Record<string, Parser> = { ...DENSE_PARSERS, ...MOE_PARSERS };

/** Multimodal checkpoints whose decoder sits in `text_config` (its model_type, when the nested config omits it). */
const WRAPPERS: Record<string, { text: string; label: string }> = {
  llama4: { text: "llama4_text", label: "Llama 4" },
  gemma3: { text: "gemma3_text", label: "Gemma 3" },
};

/** model_types with layers the IR cannot cost, and what those layers are. */
const UNCOSTABLE: Record<string, string> = {
  mamba: "Mamba (selective state-space) layers",
  mamba2: "Mamba-2 (state-space) layers",
  jamba: "Mamba (state-space) layers interleaved with attention",
  falcon_mamba: "Mamba (state-space) layers",
  falcon_h1: "Mamba-2 state-space heads in parallel with attention",
  nemotron_h: "Mamba-2 (state-space) layers",
  zamba: "Mamba (state-space) layers",
  zamba2: "Mamba-2 (state-space) layers",
  bamba: "Mamba-2 (state-space) layers",
  granitemoehybrid: "Mamba-2 (state-space) layers",
  qwen3_next: "Gated DeltaNet linear-attention layers",
  qwen3_5: "Gated DeltaNet linear-attention layers",
  qwen3_5_moe: "Gated DeltaNet linear-attention layers",
  kimi_linear: "Kimi Delta Attention (linear-attention) layers",
  minimax_m1: "lightning (linear) attention layers",
  minimax_text_01: "lightning (linear) attention layers",
  recurrent_gemma: "RG-LRU recurrent layers",
  rwkv: "RWKV time-mixing (linear-attention) layers",
  lfm2: "short-convolution layers",
};

export const SUPPORTED_MODEL_TYPES = [...Object.keys(PARSERS), ...Object.keys(WRAPPERS)];

export interface ParseOptions {
  /** Accept fields the library does not know (they are listed in the IR's ignoredFields as unverified). */
  allowUnknownFields?: boolean;
  /** Content of the checkpoint's hf_quant_config.json (ModelOpt), when it has one. */
  hfQuantConfig?: Record<string, unknown>;
}

const TORCH_DTYPES: Record<string, Dtype> = { bfloat16: "bf16", float16: "fp16", float32: "fp32" };

function torchDtype(t: unknown): Dtype {
  const name = (t ?? "bfloat16") as string;
  const d = TORCH_DTYPES[name];
  if (!d) throw new InputError(`config field torch_dtype: "${name}" is not supported; use bfloat16, float16 or float32`);
  return d;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Parameters of a ViT-style vision tower from its config, to compare totals with published figures that include it:
 * layers × (4·h² attention + 2·h·i MLP) + patch embedding (channels·patch²·h) + position embedding ((image/patch)²·h)
 * + projection of its output width to the text width. Biases, norms and adapters are left out (an estimate).
 */
/** Image channels when vision_config does not say (RGB). */
const RGB_CHANNELS = 3;

function visionTowerParams(v: Record<string, unknown>, textHidden: number): number {
  const n = (k: string, d = 0) => (typeof v[k] === "number" ? (v[k] as number) : d);
  const h = n("hidden_size");
  const layers = n("num_hidden_layers");
  const patch = n("patch_size", 1);
  const out = n("vision_output_dim", h);
  return layers * (4 * h * h + 2 * h * n("intermediate_size")) + n("num_channels", RGB_CHANNELS) * patch * patch * h + (n("image_size") / patch) ** 2 * h + out * textHidden;
}

/** Check a config object's fields against the parser's schema and NO_COST_FIELDS; returns the ignored ones. */
function screenFields(cfg: Record<string, unknown>, known: Set<string>, prefix: string, modelType: string, what: string, opts: ParseOptions): Record<string, string> {
  const ignored: Record<string, string> = {};
  const unknown: string[] = [];
  for (const k of Object.keys(cfg)) {
    if (known.has(k)) continue;
    if (k in NO_COST_FIELDS) ignored[prefix + k] = NO_COST_FIELDS[k];
    else if (opts.allowUnknownFields) ignored[prefix + k] = "UNKNOWN field accepted by allowUnknownFields: its effect on cost is not modelled";
    else unknown.push(prefix + k);
  }
  if (unknown.length) {
    throw new InputError(
      `${what}: field(s) ${unknown.map((u) => `"${u}"`).join(", ")} not understood for model_type ${modelType}. ` +
        `If they do not change inference cost, add them to NO_COST_FIELDS in lib/model/no-cost-fields.ts with the reason, ` +
        `or load with allowUnknownFields (CLI: --allow-unknown-fields) to record them as unverified assumptions.`,
    );
  }
  return ignored;
}

function unsupported(what: string, modelType: unknown): InputError {
  const kind = typeof modelType === "string" ? UNCOSTABLE[modelType] : undefined;
  const head = kind
    ? `${what}: model_type "${modelType}" has ${kind}, which the IR cannot cost (it models attention, MLA and dense/MoE feed-forward layers)`
    : `${what}: field model_type is "${String(modelType)}"`;
  return new InputError(`${head}; supported model types: ${SUPPORTED_MODEL_TYPES.join(", ")}`);
}

export function parseHfConfig(raw: unknown, what: string, opts: ParseOptions = {}): ArchSpec & { ignored: Record<string, string> } {
  if (!isObject(raw)) throw new InputError(`${what}: expected a JSON object (a Hugging Face config.json)`);
  const top = raw;
  const wrapper = typeof top.model_type === "string" ? WRAPPERS[top.model_type] : undefined;
  let cfg = top;
  let prefix = "";
  let ignored: Record<string, string> = {};
  const assumptions: string[] = [];
  const extraModules: ArchSpec["extraModules"] = [];
  if (wrapper) {
    if (!isObject(top.text_config)) throw new InputError(`${what}: model_type ${String(top.model_type)} needs a text_config object (the text decoder)`);
    ignored = screenFields(top, new Set(["text_config", "vision_config"]), "", String(top.model_type), what, opts);
    cfg = { model_type: wrapper.text, ...top.text_config };
    if (!("model_type" in top.text_config)) assumptions.push(`text_config has no model_type: read as ${wrapper.text}`);
    prefix = "text_config.";
    if (isObject(top.vision_config)) {
      const vision = String(top.vision_config.model_type ?? "vision");
      assumptions.push(`text decoder only: the ${wrapper.label} vision tower (${vision}) and its projector are not modelled (images are not costed)`);
      const hidden = (cfg as { hidden_size?: number }).hidden_size ?? 0;
      extraModules.push({ name: `vision tower (${vision}; estimated from vision_config, not run by the IR)`, params: visionTowerParams(top.vision_config, hidden) });
    }
  }
  const modelType = cfg.model_type;
  if (typeof modelType !== "string" || !(modelType in PARSERS)) throw unsupported(what, modelType);
  const parser = PARSERS[modelType];
  const parsed = parseOrThrow(parser.schema, cfg, `${what}${prefix ? ` ${prefix.slice(0, -1)}` : ""} (model_type ${modelType})`);
  const known = new Set(Object.keys(parser.schema.shape));
  Object.assign(ignored, screenFields(cfg, known, prefix, modelType, what, opts));
  const arch = parser.parse(parsed, cfg);
  const qc = (top.quantization_config ?? cfg.quantization_config) as Record<string, unknown> | undefined;
  const base = torchDtype(cfg.torch_dtype ?? top.torch_dtype ?? cfg.dtype ?? top.dtype);
  const blocks = arch.mlp.map((m) => ({ dense: m.kind === "ffn", experts: m.kind === "moe", sharedExperts: m.kind === "moe" && m.spec.sharedExperts > 0 }));
  const quant = checkpointQuant(qc, opts.hfQuantConfig, base, blocks, what);
  return {
    ...arch, family: wrapper ? String(top.model_type) : modelType, defaultDtypes: quant.dtypes, defaultKvDtype: quant.kvDtype,
    extraModules, assumptions: [...assumptions, ...(arch.assumptions ?? []), ...quant.notes],
    used: [...known].filter((k) => k in cfg).map((k) => prefix + k), ignored,
    quantSummary: quant.summary,
  };
}
