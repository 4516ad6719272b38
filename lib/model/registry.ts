import * as fs from "fs";
import * as path from "path";
import { DATA_DIR } from "../core/paths";
import { InputError } from "../core/validate";
import { buildIR } from "./build";
import { parseHfConfig, type ParseOptions } from "./hf-config";
import type { ModelIR } from "./ir";

const MODELS_DIR = path.join(DATA_DIR, "models");

/**
 * Model ids as benchmark data spells them → config file in data/models.
 * Instruct / dated checkpoints share their base model's architecture.
 */
const ALIASES: Record<string, string> = {
  "openai/gpt-oss-120b": "openai_gpt-oss-120b",
  "openai/gpt-oss-20b": "openai_gpt-oss-20b",
  gptoss: "openai_gpt-oss-120b",
  "gpt-oss-120b": "openai_gpt-oss-120b",
  "gpt-oss-20b": "openai_gpt-oss-20b",
  "meta-llama/llama-3.1-8b": "meta-llama_Llama-3.1-8B",
  "meta-llama/llama-3.1-8b-instruct": "meta-llama_Llama-3.1-8B",
  "meta-llama/llama-3.1-70b": "meta-llama_Llama-3.1-70B",
  "meta-llama/llama-3.1-70b-instruct": "meta-llama_Llama-3.1-70B",
  "meta-llama/llama-3.1-405b": "meta-llama_Llama-3.1-405B",
  "meta-llama/llama-3.1-405b-instruct": "meta-llama_Llama-3.1-405B",
  // Llama 3.3 70B has the Llama 3.1 70B architecture (same config apart from tokens and rope details).
  "meta-llama/llama-3.3-70b-instruct": "meta-llama_Llama-3.1-70B",
  "deepseek-ai/deepseek-r1": "deepseek-ai_DeepSeek-R1",
  "deepseek-ai/deepseek-r1-0528": "deepseek-ai_DeepSeek-R1",
  "deepseek-ai/deepseek-v3": "deepseek-ai_DeepSeek-V3",
  "deepseek-ai/deepseek-v3-0324": "deepseek-ai_DeepSeek-V3",
  "qwen/qwen3-235b-a22b": "Qwen_Qwen3-235B-A22B",
  "qwen/qwen3-235b-a22b-instruct-2507": "Qwen_Qwen3-235B-A22B",
  "qwen/qwen3-30b-a3b": "Qwen_Qwen3-30B-A3B",
  "mistralai/mixtral-8x7b-v0.1": "mistralai_Mixtral-8x7B-v0.1",
  "mistralai/mixtral-8x7b-instruct-v0.1": "mistralai_Mixtral-8x7B-v0.1",
};

/**
 * Architecture families recognised inside other spellings of a checkpoint name (quantised re-uploads such
 * as nvidia/DeepSeek-R1-0528-FP4, instruct/dated variants, local paths). Same architecture, same config;
 * the weight format comes from the benchmark's precision column, not from the name.
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
];

/** Normalise a model name from benchmark data: local paths like /mnt/.../gpt-oss-120b keep their last part. */
export function canonicalModelId(name: string): string {
  const n = name.trim();
  const key = n.toLowerCase();
  if (ALIASES[key]) return key;
  const base = key.split("/").pop() ?? key;
  for (const k of Object.keys(ALIASES)) if (k.split("/").pop() === base) return k;
  for (const [re, id] of FAMILY_PATTERNS) if (re.test(base)) return id;
  return key;
}

export function listModels(): string[] {
  return fs.readdirSync(MODELS_DIR).filter((f) => f.endsWith(".json")).map((f) => f.replace(/\.json$/, "")).sort();
}

const cache = new Map<string, ModelIR>();

/** Load a model by HF id, alias, file stem in data/models, or a path to a config.json. */
export function loadModel(idOrPath: string, opts: ParseOptions = {}): ModelIR {
  const cacheKey = `${idOrPath}|${opts.allowUnknownFields ? 1 : 0}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  let file: string;
  let id: string;
  if (idOrPath.endsWith(".json")) {
    file = path.resolve(idOrPath);
    if (!fs.existsSync(file)) throw new InputError(`model config not found: ${idOrPath} (give a path to a Hugging Face config.json)`);
    id = path.basename(path.dirname(file)) + "/" + path.basename(file, ".json");
  } else {
    const canon = canonicalModelId(idOrPath);
    const stem = ALIASES[canon] ?? listModels().find((m) => m.toLowerCase() === idOrPath.toLowerCase().replace("/", "_"));
    if (!stem) {
      throw new InputError(
        `unknown model "${idOrPath}": use a Hugging Face id such as ${Object.keys(ALIASES).slice(0, 4).join(", ")}, ` +
          `a file in data/models (${listModels().join(", ")}), or a path to a config.json`,
      );
    }
    file = path.join(MODELS_DIR, `${stem}.json`);
    id = ALIASES[canon] ? canon : stem;
  }
  const source = path.relative(path.join(DATA_DIR, ".."), file);
  const raw = JSON.parse(fs.readFileSync(file, "utf8"));
  const arch = parseHfConfig(raw, source, opts);
  const ir = buildIR(id, arch, source, arch.ignored);
  cache.set(cacheKey, ir);
  return ir;
}
