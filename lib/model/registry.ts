/**
 * Model ids → config.json → IR. Looks in order at: a path to a config.json; the shipped configs in data/models
 * (by Hugging Face id, alias or file stem; data/models/index.json); the Hub cache filled by lib/model/hub.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { DATA_DIR } from "../core/paths";
import { InputError } from "../core/validate";
import { buildIR } from "./build";
import { catalog, HF_QUANT_SUFFIX, MODELS_DIR } from "./catalog";
import { parseHfConfig, type ParseOptions } from "./hf-config";
import { cachedHubConfig, parseHubId } from "./hub";
import type { ModelIR } from "./ir";

/**
 * Architecture families recognised inside other spellings of a checkpoint name (quantised re-uploads such
 * as nvidia/DeepSeek-R1-0528-FP4, instruct/dated variants, local paths). Same architecture, same config;
 * the weight format comes from the benchmark's precision column, not from the name. First match wins, so the
 * patterns that were here first keep mapping the names they always mapped.
 */
const FAMILY_PATTERNS: [RegExp, string][] = [
  [/gpt-oss-120b/, "openai/gpt-oss-120b"],
  [/gpt-oss-20b/, "openai/gpt-oss-20b"],
  [/deepseek-r1/, "deepseek-ai/deepseek-r1"],
  [/deepseek-v3/, "deepseek-ai/deepseek-v3"],
  [/llama-3\.[13]-70b/, "meta-llama/llama-3.1-70b"],
  [/llama-3\.1-405b/, "meta-llama/llama-3.1-405b"],
  [/llama-3\.1-8b/, "meta-llama/llama-3.1-8b"],
  [/qwen3-235b-a22b/, "qwen/qwen3-235b-a22b"],
  [/qwen3-30b-a3b/, "qwen/qwen3-30b-a3b"],
  [/mixtral-8x7b/, "mistralai/mixtral-8x7b-v0.1"],
  [/mixtral-8x22b/, "mistralai/mixtral-8x22b-v0.1"],
  [/llama-2-7b/, "meta-llama/llama-2-7b-hf"],
  [/llama-2-13b/, "meta-llama/llama-2-13b-hf"],
  [/llama-2-70b/, "meta-llama/llama-2-70b-hf"],
  [/llama-3\.2-1b/, "meta-llama/llama-3.2-1b"],
  [/llama-3\.2-3b/, "meta-llama/llama-3.2-3b-instruct"],
  [/llama-4-scout-17b-16e/, "meta-llama/llama-4-scout-17b-16e-instruct"],
  [/llama-4-maverick-17b-128e/, "meta-llama/llama-4-maverick-17b-128e-instruct"],
  [/mistral-7b(-instruct)?-v0\.3/, "mistralai/mistral-7b-instruct-v0.3"],
  [/mistral-7b(-instruct)?(-v0\.1)?$/, "mistralai/mistral-7b-v0.1"],
  [/qwen2\.5-7b/, "qwen/qwen2.5-7b"],
  [/qwen2\.5-32b/, "qwen/qwen2.5-32b"],
  [/qwen2\.5-72b/, "qwen/qwen2.5-72b"],
  [/qwen3-8b/, "qwen/qwen3-8b"],
  [/qwen3-32b/, "qwen/qwen3-32b"],
  [/kimi-k2-instruct/, "moonshotai/kimi-k2-instruct"],
  [/glm-4\.5(-fp8)?$/, "zai-org/glm-4.5"],
  [/gemma-2-9b/, "google/gemma-2-9b-it"],
  [/gemma-3-27b/, "google/gemma-3-27b-it"],
  [/^phi-4$/, "microsoft/phi-4"],
];

/** Lower-cased ids and aliases of the shipped configs → file stem in data/models. */
function aliases(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of catalog()) for (const a of [e.id, ...e.aliases]) out[a.toLowerCase()] = e.stem;
  return out;
}

/** Normalise a model name from benchmark data: local paths like /mnt/.../gpt-oss-120b keep their last part. */
export function canonicalModelId(name: string): string {
  const table = aliases();
  const key = name.trim().toLowerCase();
  if (table[key]) return key;
  const base = key.split("/").pop() ?? key;
  for (const k of Object.keys(table)) if (k.split("/").pop() === base) return k;
  for (const [re, id] of FAMILY_PATTERNS) if (re.test(base)) return id;
  return key;
}

/** File stems of the shipped configs (data/models/<stem>.json; hf_quant_config sidecars excluded). */
export function listModels(): string[] {
  return fs.readdirSync(MODELS_DIR).filter((f) => f.endsWith(".json") && !f.endsWith(HF_QUANT_SUFFIX) && f !== "index.json").map((f) => f.replace(/\.json$/, "")).sort();
}

/** The shipped config a name resolves to, as { stem, id } (the IR id is the canonical id, or the stem). */
export function resolveShipped(idOrStem: string): { stem: string; id: string } | undefined {
  const table = aliases();
  const canon = canonicalModelId(idOrStem);
  if (table[canon]) return { stem: table[canon], id: canon };
  const stem = listModels().find((m) => m.toLowerCase() === idOrStem.toLowerCase().replace("/", "_"));
  return stem ? { stem, id: stem } : undefined;
}

/** True when a name loads without the Hub: a path to a config.json, or a shipped config (id, alias, stem). */
export function isLocalModel(idOrPath: string): boolean {
  return idOrPath.trim().endsWith(".json") || resolveShipped(idOrPath) !== undefined;
}

/** A config file and, when present, its ModelOpt hf_quant_config.json. */
interface ConfigFiles {
  id: string;
  file: string;
  raw: unknown;
  hfQuant?: Record<string, unknown>;
}

const readJson = (file: string): unknown => {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new InputError(`model config ${file}: not valid JSON (${(e as Error).message})`);
  }
};
const readIfExists = (file: string) => (fs.existsSync(file) ? (readJson(file) as Record<string, unknown>) : undefined);

function locate(idOrPath: string): ConfigFiles {
  if (idOrPath.endsWith(".json")) {
    const file = path.resolve(idOrPath);
    if (!fs.existsSync(file)) throw new InputError(`model config not found: ${idOrPath} (give a path to a Hugging Face config.json)`);
    return { id: path.basename(path.dirname(file)) + "/" + path.basename(file, ".json"), file, raw: readJson(file), hfQuant: readIfExists(path.join(path.dirname(file), "hf_quant_config.json")) };
  }
  const shipped = resolveShipped(idOrPath);
  if (shipped) {
    const file = path.join(MODELS_DIR, `${shipped.stem}.json`);
    return { id: shipped.id, file, raw: readJson(file), hfQuant: readIfExists(path.join(MODELS_DIR, shipped.stem + HF_QUANT_SUFFIX)) };
  }
  const hub = cachedHubConfig(idOrPath);
  if (hub) return { id: idOrPath.trim(), file: hub.configFile, raw: hub.config, hfQuant: hub.hfQuant };
  const hubHint = parseHubId(idOrPath) ? ` "${idOrPath}" is not cached from the Hugging Face Hub either (CLI commands fetch it; in code call fetchModelConfig first).` : "";
  throw new InputError(
    `unknown model "${idOrPath}": use a Hugging Face id such as ${catalog().slice(0, 4).map((e) => e.id).join(", ")} (mantile models lists ${listModels().length} shipped in data/models), ` +
      `a Hub id org/name[@revision], or a path to a config.json.${hubHint}`,
  );
}

const cache = new Map<string, ModelIR>();

/** Load a model by HF id, alias, file stem in data/models, cached Hub id, or a path to a config.json. */
export function loadModel(idOrPath: string, opts: ParseOptions = {}): ModelIR {
  const cacheKey = `${idOrPath}|${opts.allowUnknownFields ? 1 : 0}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const found = locate(idOrPath);
  const source = path.relative(path.join(DATA_DIR, ".."), found.file);
  const arch = parseHfConfig(found.raw, source, { ...opts, hfQuantConfig: opts.hfQuantConfig ?? found.hfQuant });
  const ir = buildIR(found.id, arch, source, arch.ignored);
  cache.set(cacheKey, ir);
  return ir;
}
