/**
 * What a model IR is, in a few lines: layers by type, attention / MoE specs, KV bytes per token per dtype, the
 * parameter check against the published total, and the assumptions. Used by `mantile models [show]`.
 */
import { bytesPerElement, type Dtype } from "../core/dtypes";
import { activeParams, kvElementsPerToken, totalParams } from "./build";
import { catalogEntry, type CatalogEntry } from "./catalog";
import type { AttentionSpec, DtypeGroup, FfnSpec, ModelIR, MoeSpec } from "./ir";
import { resolveShipped } from "./registry";

/** The tolerance of the published-total check (issue 13: parameter totals within 0.5% of the published figures). */
export const PUBLISHED_TOLERANCE = 0.005;
/** KV-cache dtypes a summary reports bytes for (the common serving choices); the checkpoint's own is added. */
export const SUMMARY_KV_DTYPES: Dtype[] = ["bf16", "fp8"];

export interface LayerTypeSummary {
  type: string;
  kind: string;
  count: number;
  paramsEach: number;
  params: number;
  attention?: AttentionSpec;
  ffn?: FfnSpec;
  moe?: MoeSpec;
}

export interface ParamCheck {
  total: number;
  active: number;
  extra: number;
  published?: { totalB: number; activeB?: number; counts: string; source: string; exception?: string };
  /** Relative difference of the IR count (with extra modules when the published figure includes them). */
  relError?: number;
  withinTolerance?: boolean;
}

export interface ModelSummary {
  /** The Hub id (the catalog's spelling for shipped configs). */
  id: string;
  /** The IR's id (the canonical lower-case id a name resolved to). */
  irId: string;
  stem?: string;
  family: string;
  blocks: number;
  hidden: number;
  vocab: number;
  maxContext: number;
  attentionKind: string;
  layerTypes: LayerTypeSummary[];
  /** KV-cache bytes per token summed over all attention layers, per dtype (windowed layers cap at their window). */
  kvBytesPerToken: Record<string, number>;
  windows: { type: string; window: number; kind: string; layers: number }[];
  defaultDtypes: ModelIR["defaultDtypes"];
  /** Checkpoint dtypes of the linear-weight groups the model has (attention, dense FFN / shared experts, routed experts). */
  weightDtypes: Partial<Record<DtypeGroup, Dtype>>;
  defaultKvDtype?: Dtype;
  params: ParamCheck;
  extraModules: ModelIR["extraModules"];
  assumptions: string[];
  source: string;
}

function layerTypes(ir: ModelIR): LayerTypeSummary[] {
  const by = new Map<string, LayerTypeSummary>();
  for (const l of ir.layers) {
    const g = by.get(l.type);
    if (g) {
      g.count += 1;
      g.params += l.params;
      continue;
    }
    by.set(l.type, { type: l.type, kind: l.kind, count: 1, paramsEach: l.params, params: l.params, attention: l.attention, ffn: l.ffn, moe: l.moe });
  }
  return [...by.values()];
}

/** e.g. "GQA 64/8 heads × 64 · sliding 128 ×18 + full ×18". */
export function attentionKind(ir: ModelIR): string {
  const att = ir.layers.filter((l) => l.attention).map((l) => l.attention!);
  const a = att[0];
  if (!a) return "none";
  const head = a.variant === "MLA" ? `MLA ${a.heads} heads, latent ${a.mla!.kvLoraRank}+${a.mla!.ropeHeadDim}${a.mla!.qLoraRank ? "" : ", no q LoRA"}` : `${a.variant} ${a.heads}/${a.kvHeads} heads × ${a.headDim}`;
  const counts = new Map<string, number>();
  for (const x of att) {
    const k = x.window ? `${x.windowKind ?? "sliding"} ${x.window}` : x.noRope ? "full (NoPE)" : "full";
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const parts = [...counts.entries()].map(([k, n]) => (counts.size > 1 ? `${k} ×${n}` : k));
  return `${head} · ${parts.join(" + ")}`;
}

function paramCheck(ir: ModelIR, entry: CatalogEntry | undefined): ParamCheck {
  const total = totalParams(ir);
  const extra = ir.extraModules.reduce((s, m) => s + m.params, 0);
  const out: ParamCheck = { total, active: activeParams(ir), extra };
  if (!entry) return out;
  const p = entry.published;
  out.published = { totalB: p.total_b, activeB: p.active_b, counts: p.counts, source: p.source, exception: p.exception };
  const counted = total + (p.counts === "decoder+extra" ? extra : 0);
  out.relError = counted / (p.total_b * 1e9) - 1;
  out.withinTolerance = Math.abs(out.relError) <= PUBLISHED_TOLERANCE;
  return out;
}

function weightDtypes(ir: ModelIR): Partial<Record<DtypeGroup, Dtype>> {
  const present = new Set(ir.layers.flatMap((l) => l.tensors.map((t) => t.group)));
  const out: Partial<Record<DtypeGroup, Dtype>> = {};
  for (const g of ["attention", "ffn", "experts"] as DtypeGroup[]) if (present.has(g)) out[g] = ir.defaultDtypes[g];
  return out;
}

export function summarizeModel(ir: ModelIR): ModelSummary {
  const shipped = resolveShipped(ir.id);
  const entry = shipped ? catalogEntry(shipped.stem) : undefined;
  const kvDtypes = [...new Set<Dtype>([...SUMMARY_KV_DTYPES, ...(ir.defaultKvDtype ? [ir.defaultKvDtype] : [])])];
  const elements = ir.layers.filter((l) => l.attention).reduce((s, l) => s + kvElementsPerToken(l.attention!), 0);
  const windows = layerTypes(ir).filter((g) => g.attention?.window).map((g) => ({ type: g.type, window: g.attention!.window!, kind: g.attention!.windowKind ?? "sliding", layers: g.count }));
  return {
    id: entry?.id ?? ir.id, irId: ir.id, stem: shipped?.stem, family: ir.family, blocks: ir.blocks, hidden: ir.hidden, vocab: ir.vocab, maxContext: ir.maxContext,
    attentionKind: attentionKind(ir), layerTypes: layerTypes(ir),
    kvBytesPerToken: Object.fromEntries(kvDtypes.map((d) => [d, elements * bytesPerElement(d)])), windows,
    defaultDtypes: ir.defaultDtypes, weightDtypes: weightDtypes(ir), defaultKvDtype: ir.defaultKvDtype, params: paramCheck(ir, entry), extraModules: ir.extraModules,
    assumptions: ir.assumptions ?? [], source: (ir.provenance["default dtypes"]?.source ?? "").replace(/: torch_dtype.*$/, ""),
  };
}
