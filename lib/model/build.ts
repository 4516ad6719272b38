/** Normalised architecture → model IR: ordered layers with tensors, parameter counts and provenance. */
import type { Provenance } from "../core/explain";
import type { ArchSpec } from "./family-util";
import type { AttentionSpec, DtypeGroup, FfnSpec, LayerIR, ModelIR, MoeSpec, TensorIR } from "./ir";

const t = (name: string, shape: number[], group: DtypeGroup): TensorIR => ({
  name,
  shape,
  params: shape.reduce((a, b) => a * b, 1),
  group,
});

function attentionTensors(p: string, a: AttentionSpec, hidden: number): TensorIR[] {
  const out: TensorIR[] = [];
  if (a.mla) {
    const m = a.mla;
    const qk = m.nopeHeadDim + m.ropeHeadDim;
    if (m.qLoraRank) {
      out.push(t(`${p}.q_a_proj.weight`, [m.qLoraRank, hidden], "attention"));
      out.push(t(`${p}.q_a_layernorm.weight`, [m.qLoraRank], "norm"));
      out.push(t(`${p}.q_b_proj.weight`, [a.heads * qk, m.qLoraRank], "attention"));
    } else {
      out.push(t(`${p}.q_proj.weight`, [a.heads * qk, hidden], "attention"));
    }
    out.push(t(`${p}.kv_a_proj_with_mqa.weight`, [m.kvLoraRank + m.ropeHeadDim, hidden], "attention"));
    out.push(t(`${p}.kv_a_layernorm.weight`, [m.kvLoraRank], "norm"));
    out.push(t(`${p}.kv_b_proj.weight`, [a.heads * (m.nopeHeadDim + a.vHeadDim), m.kvLoraRank], "attention"));
    out.push(t(`${p}.o_proj.weight`, [hidden, a.heads * a.vHeadDim], "attention"));
    return out;
  }
  out.push(t(`${p}.q_proj.weight`, [a.heads * a.headDim, hidden], "attention"));
  out.push(t(`${p}.k_proj.weight`, [a.kvHeads * a.headDim, hidden], "attention"));
  out.push(t(`${p}.v_proj.weight`, [a.kvHeads * a.vHeadDim, hidden], "attention"));
  out.push(t(`${p}.o_proj.weight`, [hidden, a.heads * a.vHeadDim], "attention"));
  if (a.qkvBias) {
    out.push(t(`${p}.q_proj.bias`, [a.heads * a.headDim], "attention"));
    out.push(t(`${p}.k_proj.bias`, [a.kvHeads * a.headDim], "attention"));
    out.push(t(`${p}.v_proj.bias`, [a.kvHeads * a.vHeadDim], "attention"));
  }
  if (a.oBias ?? a.qkvBias) out.push(t(`${p}.o_proj.bias`, [hidden], "attention"));
  if (a.sinks) out.push(t(`${p}.sinks`, [a.heads], "attention"));
  if (a.qkNorm) {
    out.push(t(`${p}.q_norm.weight`, [a.headDim], "norm"));
    out.push(t(`${p}.k_norm.weight`, [a.headDim], "norm"));
  }
  return out;
}

function ffnTensors(p: string, f: FfnSpec, hidden: number, group: DtypeGroup = "ffn"): TensorIR[] {
  const out = [t(`${p}.up_proj.weight`, [f.intermediate, hidden], group), t(`${p}.down_proj.weight`, [hidden, f.intermediate], group)];
  if (f.gated) out.unshift(t(`${p}.gate_proj.weight`, [f.intermediate, hidden], group));
  if (f.bias) {
    out.push(t(`${p}.up_proj.bias`, [f.intermediate], group), t(`${p}.down_proj.bias`, [hidden], group));
    if (f.gated) out.push(t(`${p}.gate_proj.bias`, [f.intermediate], group));
  }
  return out;
}

function moeTensors(p: string, m: MoeSpec, hidden: number): TensorIR[] {
  const E = m.experts;
  const I = m.expertIntermediate;
  const inWidth = m.gated ? 2 * I : I;
  const out = [t(`${p}.router.weight`, [E, hidden], "router")];
  if (m.routerBias) out.push(t(`${p}.router.bias`, [E], "router"));
  out.push(t(`${p}.experts.gate_up_proj`, [E, inWidth, hidden], "experts"));
  out.push(t(`${p}.experts.down_proj`, [E, hidden, I], "experts"));
  if (m.expertBias) {
    out.push(t(`${p}.experts.gate_up_proj_bias`, [E, inWidth], "experts"));
    out.push(t(`${p}.experts.down_proj_bias`, [E, hidden], "experts"));
  }
  if (m.sharedExperts > 0) {
    const shared: FfnSpec = { gated: m.gated, intermediate: m.sharedExperts * m.sharedIntermediate, activation: m.activation, bias: false };
    out.push(...ffnTensors(`${p}.shared_experts`, shared, hidden, "ffn"));
  }
  return out;
}

function attentionType(a: AttentionSpec): string {
  if (a.variant === "MLA") return "attention.mla";
  if (!a.window) return "attention.full";
  return a.windowKind === "chunked" ? `attention.chunked${a.window}` : `attention.sliding${a.window}`;
}

/** Norm layer of a block: one RMSNorm weight of width H. */
function norm(layers: LayerIR[], b: number, p: string, name: string, H: number): void {
  layer(layers, b, "norm", "norm", `${p}.${name}`, [t(`${p}.${name}.weight`, [H], "norm")]);
}

function layer(
  layers: LayerIR[],
  block: number | null,
  kind: LayerIR["kind"],
  type: string,
  name: string,
  tensors: TensorIR[],
  extra: Partial<LayerIR> = {},
): void {
  layers.push({ index: layers.length, block, kind, type, name, tensors, params: tensors.reduce((s, x) => s + x.params, 0), ...extra });
}

export function buildIR(id: string, arch: ArchSpec, configSource: string, ignored: Record<string, string>): ModelIR {
  const H = arch.hidden;
  const layers: LayerIR[] = [];
  layer(layers, null, "embedding", "embedding", "model.embed_tokens", [t("model.embed_tokens.weight", [arch.vocab, H], "embedding")]);
  for (let b = 0; b < arch.blocks; b++) {
    const p = `model.layers.${b}`;
    const a = arch.attention[b];
    norm(layers, b, p, "input_layernorm", H);
    layer(layers, b, "attention", attentionType(a), `${p}.self_attn`, attentionTensors(`${p}.self_attn`, a, H), { attention: a });
    norm(layers, b, p, "post_attention_layernorm", H);
    if (arch.sandwichNorms) norm(layers, b, p, "pre_feedforward_layernorm", H);
    const m = arch.mlp[b];
    if (m.kind === "moe") layer(layers, b, "moe", "moe", `${p}.mlp`, moeTensors(`${p}.mlp`, m.spec, H), { moe: m.spec });
    else layer(layers, b, "ffn", "ffn.dense", `${p}.mlp`, ffnTensors(`${p}.mlp`, m.spec, H), { ffn: m.spec });
    if (arch.sandwichNorms) norm(layers, b, p, "post_feedforward_layernorm", H);
  }
  layer(layers, null, "norm", "norm.final", "model.norm", [t("model.norm.weight", [H], "norm")]);
  const head = arch.tiedEmbeddings ? [] : [t("lm_head.weight", [arch.vocab, H], "lm_head")];
  layer(layers, null, "lm_head", "lm_head", "lm_head", head);

  const extraModules: ModelIR["extraModules"] = [];
  if (arch.mtpBlocks > 0) {
    // Multi-token prediction (DeepSeek-V3 layout, also assumed for GLM-4.5): per module one decoder block (MoE),
    // enorm, hnorm, eh_proj [H, 2H], plus its own stored copies of the embedding and the output head (checkpoint layout).
    const last = arch.blocks - 1;
    const blockParams = layers.filter((l) => l.block === last).reduce((s, l) => s + l.params, 0);
    const per = blockParams + 2 * H + 2 * H * H + H + 2 * arch.vocab * H;
    extraModules.push({ name: `multi-token prediction (${arch.mtpBlocks} module)`, params: per * arch.mtpBlocks });
  }
  extraModules.push(...arch.extraModules);

  const cfg = (field: string): Provenance => ({ kind: "config", source: `${configSource}: ${field}` });
  const provenance: Record<string, Provenance> = {};
  for (const f of arch.used) provenance[f] = cfg(f);
  provenance["layer tensors"] = { kind: "derived", source: `lib/model/build.ts from the ${arch.family} layout` };
  const quant = arch.quantSummary ? ` (${arch.quantSummary})` : "";
  provenance["default dtypes"] = { kind: "config", source: `${configSource}: torch_dtype / quantization_config${quant}` };

  const ir: ModelIR = {
    id, family: arch.family, hidden: H, vocab: arch.vocab, blocks: arch.blocks, layers,
    defaultDtypes: arch.defaultDtypes, maxContext: arch.maxContext, provenance, extraModules, ignoredFields: ignored,
  };
  // Optional facts are set only when the checkpoint has them, so plain models keep the IR they always had.
  if (arch.defaultKvDtype) ir.defaultKvDtype = arch.defaultKvDtype;
  if (arch.logitSoftcap) ir.logitSoftcap = arch.logitSoftcap;
  if (arch.assumptions.length) ir.assumptions = arch.assumptions;
  return ir;
}

/** Total stored parameters of the main model (excluding extra modules such as MTP). */
export function totalParams(ir: ModelIR): number {
  return ir.layers.reduce((s, l) => s + l.params, 0);
}

/** Parameters touched per token: experts scaled by top-k / experts; the embedding is a lookup, not counted. */
export function activeParams(ir: ModelIR): number {
  let s = 0;
  for (const l of ir.layers) {
    if (l.kind === "embedding") continue;
    if (l.kind === "moe" && l.moe) {
      for (const x of l.tensors) s += x.group === "experts" ? (x.params * l.moe.topk) / l.moe.experts : x.params;
    } else s += l.params;
  }
  return s;
}

/** The distinct attention windows of a model (null = full attention): the keys batch statistics are summed by. */
export function attentionWindows(ir: ModelIR): (number | null)[] {
  return [...new Set(ir.layers.filter((l) => l.attention).map((l) => l.attention!.window))];
}

/** The model as an engine that does not apply its sliding windows runs it: every layer full attention (the window field and its memo keys cleared). */
export function withFullAttention(ir: ModelIR): ModelIR {
  if (!ir.layers.some((l) => l.attention?.window)) return ir;
  return {
    ...ir,
    layers: ir.layers.map((l) => (l.attention?.window ? { ...l, attention: { ...l.attention, window: null, windowKind: undefined } } : l)),
  };
}

/** KV-cache elements stored per token per attention layer (K and V, or MLA's compressed latent + rope key). */
export function kvElementsPerToken(a: AttentionSpec): number {
  if (a.mla) return a.mla.kvLoraRank + a.mla.ropeHeadDim;
  return a.kvHeads * (a.headDim + a.vHeadDim);
}
