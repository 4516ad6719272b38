/**
 * Shapes of the models in data/models, used to keep only the attention and MoE rows the estimator
 * can ask for (the full tables would not fit the 15 MB budget for data/kernels).
 */
import * as fs from "fs";
import * as path from "path";
import { DATA_DIR } from "../core/paths";

/** Per-GPU attention head configuration: (query heads, KV heads, head dim, window; 0 = full). */
export interface HeadConfig {
  heads: number;
  kvHeads: number;
  headDim: number;
  window: number;
}

export interface MoeShape {
  hidden: number;
  inter: number;
  topk: number;
  experts: number;
  /**
   * DeepSeek-V3-style group-limited routing of the model (config n_group / topk_group); 0 when the
   * model routes over all experts. vLLM and SGLang measure the model's own router.
   */
  groups: number;
  groupsKept: number;
}

export interface ModelShapes {
  models: string[];
  heads: HeadConfig[];
  moe: MoeShape[];
}

/** Tensor-parallel degrees whose per-GPU head configs are kept. */
export const ATTENTION_TP = [1, 2, 3, 4, 5, 6, 7, 8];

/**
 * Shapes listed in the project brief; unioned with those derived from data/models so the tables
 * stay complete if a model file is missing or being edited.
 */
const BRIEF_MODELS: Record<string, Record<string, unknown>> = {
  "gpt-oss-120b": { hidden_size: 2880, intermediate_size: 2880, num_attention_heads: 64, num_key_value_heads: 8, head_dim: 64, sliding_window: 128, layer_types: ["sliding_attention", "full_attention"], num_experts_per_tok: 4, num_local_experts: 128 },
  "gpt-oss-20b": { hidden_size: 2880, intermediate_size: 2880, num_attention_heads: 64, num_key_value_heads: 8, head_dim: 64, sliding_window: 128, layer_types: ["sliding_attention", "full_attention"], num_experts_per_tok: 4, num_local_experts: 32 },
  "llama-3.1-8b": { hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 8 },
  "llama-3.1-70b": { hidden_size: 8192, num_attention_heads: 64, num_key_value_heads: 8 },
  "llama-3.1-405b": { hidden_size: 16384, num_attention_heads: 128, num_key_value_heads: 8 },
  "qwen3-235b-a22b": { hidden_size: 4096, num_attention_heads: 64, num_key_value_heads: 4, head_dim: 128, moe_intermediate_size: 1536, num_experts_per_tok: 8, num_experts: 128 },
  "qwen3-30b-a3b": { hidden_size: 2048, num_attention_heads: 32, num_key_value_heads: 4, head_dim: 128, moe_intermediate_size: 768, num_experts_per_tok: 8, num_experts: 128 },
  "mixtral-8x7b": { hidden_size: 4096, intermediate_size: 14336, num_attention_heads: 32, num_key_value_heads: 8, num_experts_per_tok: 2, num_local_experts: 8 },
  "deepseek-v3": { hidden_size: 7168, moe_intermediate_size: 2048, num_attention_heads: 128, num_key_value_heads: 128, kv_lora_rank: 512, num_experts_per_tok: 8, n_routed_experts: 256, n_group: 8, topk_group: 4 },
};

const n = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** Head configs and MoE shape of one Hugging Face config.json object. */
export function shapesOfConfig(c: Record<string, unknown>): { heads: HeadConfig[]; moe: MoeShape[] } {
  const heads: HeadConfig[] = [];
  const moe: MoeShape[] = [];
  const h = n(c.num_attention_heads), hidden = n(c.hidden_size);
  const kv = n(c.num_key_value_heads) ?? h;
  // MLA models (DeepSeek) use the MLA tables, not the MHA/GQA ones.
  if (h && hidden && kv && c.kv_lora_rank === undefined) {
    const headDim = n(c.head_dim) ?? hidden / h;
    const windows = new Set<number>([0]);
    const sw = n(c.sliding_window);
    const layerTypes = Array.isArray(c.layer_types) ? c.layer_types : [];
    const sliding = layerTypes.includes("sliding_attention") || c.use_sliding_window === true;
    if (sw && sliding) {
      windows.add(sw);
      if (!layerTypes.includes("full_attention") && layerTypes.length > 0) windows.delete(0);
    }
    for (const tp of ATTENTION_TP) {
      if (h % tp !== 0) continue;
      // KV heads split over TP; with more GPUs than KV heads each GPU keeps one replica.
      const kvPer = kv >= tp ? (kv % tp === 0 ? kv / tp : undefined) : 1;
      if (kvPer === undefined) continue;
      for (const window of windows) heads.push({ heads: h / tp, kvHeads: kvPer, headDim, window });
    }
  }
  const experts = n(c.num_local_experts) ?? n(c.num_experts) ?? n(c.n_routed_experts);
  const topk = n(c.num_experts_per_tok) ?? n(c.experts_per_token);
  const inter = n(c.moe_intermediate_size) ?? n(c.intermediate_size);
  const groups = n(c.n_group) ?? 0, kept = n(c.topk_group) ?? 0;
  const grouped = groups > 1 && kept > 0 && kept < groups;
  if (experts && topk && inter && hidden) {
    moe.push({ hidden, inter, topk, experts, groups: grouped ? groups : 0, groupsKept: grouped ? kept : 0 });
  }
  return { heads, moe };
}

function dedupe<T>(xs: T[]): T[] {
  const seen = new Map<string, T>();
  for (const x of xs) seen.set(JSON.stringify(x), x);
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, x]) => x);
}

/** Union of the shapes of every data/models/*.json and the brief's list. */
export function loadModelShapes(dir = path.join(DATA_DIR, "models")): ModelShapes {
  const configs: [string, Record<string, unknown>][] = Object.entries(BRIEF_MODELS);
  if (fs.existsSync(dir)) {
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".json")).sort()) {
      try {
        configs.push([f, JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"))]);
      } catch {
        // A model file being written concurrently; the brief's list still covers it.
      }
    }
  }
  const heads: HeadConfig[] = [];
  const moe: MoeShape[] = [];
  for (const [, c] of configs) {
    const s = shapesOfConfig(c);
    heads.push(...s.heads);
    moe.push(...s.moe);
  }
  return { models: configs.map(([k]) => k), heads: dedupe(heads), moe: dedupe(moe) };
}
