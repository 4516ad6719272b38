/**
 * Checkpoint quantisation → weight dtype per group (and the KV-cache dtype when the checkpoint states it).
 * Reads `quantization_config` in config.json (HF fp8 / mxfp4 / modelopt / compressed-tensors / awq / gptq) and
 * ModelOpt's separate `hf_quant_config.json`. Excluded modules (modules_to_not_convert, exclude_modules, ignore)
 * are matched against each block's module names, so a group stays at the base dtype when its modules are excluded.
 */
import type { Dtype } from "../core/dtypes";
import { InputError } from "../core/validate";
import type { DtypeGroup } from "./ir";

export interface QuantResult {
  dtypes: Record<DtypeGroup, Dtype>;
  kvDtype?: Dtype;
  /** What was read, for provenance ("" when the checkpoint is not quantised). */
  summary: string;
  /** What was decided beyond the files' words (IR assumptions). */
  notes: string[];
}

/** What each decoder block holds, to match exclusion patterns against real module names. */
export interface BlockModules {
  dense: boolean;
  experts: boolean;
  sharedExperts: boolean;
}

/** Groups a weight-quantisation method rewrites. Embedding, norms, router and LM head are never quantised by these
 *  methods (routers are excluded by every published recipe read here; see each checkpoint's exclusion list). */
const LINEAR_GROUPS: DtypeGroup[] = ["attention", "ffn", "experts"];

/** HF module names of one block per group (Llama-style `mlp` and Llama 4's `feed_forward` naming). */
function moduleNames(b: number, g: DtypeGroup, m: BlockModules): string[] {
  const p = [`model.layers.${b}`, `language_model.model.layers.${b}`];
  if (g === "attention") return p.map((x) => `${x}.self_attn.o_proj`);
  if (g === "experts") return m.experts ? p.flatMap((x) => [`${x}.mlp.experts.0.down_proj`, `${x}.feed_forward.experts.down_proj`]) : [];
  const out: string[] = [];
  if (m.dense) out.push(...p.flatMap((x) => [`${x}.mlp.down_proj`, `${x}.feed_forward.down_proj`]));
  if (m.sharedExperts) out.push(...p.flatMap((x) => [`${x}.mlp.shared_experts.down_proj`, `${x}.feed_forward.shared_expert.down_proj`]));
  return out;
}

/** One exclusion pattern against a module name: `re:` regex (compressed-tensors), `*` glob (ModelOpt), or a dotted name. */
export function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith("re:")) return new RegExp(`^(?:${pattern.slice(3)})`).test(name);
  if (pattern.includes("*")) {
    const re = pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
    return new RegExp(`^${re}(\\..*)?$`).test(name);
  }
  return name === pattern || name.startsWith(`${pattern}.`) || name.endsWith(`.${pattern}`) || name.includes(`.${pattern}.`);
}

const KV_ALGOS: Record<string, Dtype> = { FP8: "fp8", NVFP4: "nvfp4", INT8: "int8" };
const MODELOPT_ALGOS: Record<string, Dtype> = { FP8: "fp8", FP8_BLOCK: "fp8-block", FP8_PB_WO: "fp8-block", NVFP4: "nvfp4", W4A16_AWQ: "int4", W4A8_AWQ: "int4", INT8_SQ: "int8" };

/** compressed-tensors quantisation args → dtype. */
function ctDtype(w: Record<string, unknown>, what: string): Dtype {
  const bits = w.num_bits;
  const type = w.type;
  if (type === "float" && bits === 8) return w.strategy === "block" ? "fp8-block" : "fp8";
  if (type === "float" && bits === 4) return "nvfp4";
  if (type === "int" && bits === 8) return "int8";
  if (type === "int" && bits === 4) return "int4";
  throw new InputError(`${what}: compressed-tensors weights of ${String(type)} ${String(bits)} bits are not a supported dtype (fp8, nvfp4, int8, int4); choose weight dtypes in the plan instead`);
}

function kvOf(v: unknown): Dtype | undefined {
  if (typeof v === "string") return KV_ALGOS[v.toUpperCase()];
  if (v && typeof v === "object") {
    const s = v as Record<string, unknown>;
    if (s.type === "float" && s.num_bits === 8) return "fp8";
    if (s.type === "int" && s.num_bits === 8) return "int8";
  }
  return undefined;
}

interface Method {
  weight: Dtype;
  groups: DtypeGroup[];
  exclude: string[];
  kv?: Dtype;
  label: string;
}

function list(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** ModelOpt (quant_algo, kv_cache_quant_algo, exclude_modules / ignore), in config.json or hf_quant_config.json. */
function modelopt(q: Record<string, unknown>, what: string): Method {
  const algo = String(q.quant_algo ?? "");
  const weight = MODELOPT_ALGOS[algo.toUpperCase()];
  if (!weight) throw new InputError(`${what}: ModelOpt quant_algo "${algo}" is not understood; supported: ${Object.keys(MODELOPT_ALGOS).join(", ")}`);
  const kv = kvOf(q.kv_cache_quant_algo) ?? kvOf(q.kv_cache_scheme);
  return { weight, groups: LINEAR_GROUPS, exclude: [...list(q.exclude_modules), ...list(q.ignore)], kv, label: `ModelOpt ${algo}` };
}

function methodOf(q: Record<string, unknown>, what: string): Method {
  const m = q.quant_method;
  const notConvert = list(q.modules_to_not_convert);
  if (m === "mxfp4") return { weight: "mxfp4", groups: ["experts"], exclude: notConvert, label: "MXFP4 (MoE experts only, as the mxfp4 quantiser converts)" };
  if (m === "fp8") {
    const block = Array.isArray(q.weight_block_size);
    return { weight: block ? "fp8-block" : "fp8", groups: LINEAR_GROUPS, exclude: notConvert, label: block ? "FP8 block-scaled" : "FP8" };
  }
  if (m === "modelopt") return modelopt(q, what);
  if (m === "compressed-tensors") {
    const groups = Object.values((q.config_groups ?? {}) as Record<string, Record<string, unknown>>);
    const w = groups.find((g) => g && g.weights)?.weights as Record<string, unknown> | undefined;
    if (!w) throw new InputError(`${what}: compressed-tensors quantization_config has no config_groups[*].weights`);
    return { weight: ctDtype(w, what), groups: LINEAR_GROUPS, exclude: list(q.ignore), kv: kvOf(q.kv_cache_scheme), label: "compressed-tensors" };
  }
  if (m === "awq" || m === "gptq") {
    const bits = q.bits ?? q.w_bit;
    const weight: Dtype | undefined = bits === 4 ? "int4" : bits === 8 ? "int8" : undefined;
    if (!weight) throw new InputError(`${what}: ${m} with ${String(bits)} bits is not a supported dtype (4 or 8 bits)`);
    return { weight, groups: LINEAR_GROUPS, exclude: notConvert, label: `${m.toUpperCase()} ${bits}-bit` };
  }
  throw new InputError(
    `${what}: quantization_config.quant_method "${String(m)}" is not understood; supported: mxfp4, fp8, modelopt, compressed-tensors, awq, gptq — ` +
      `or remove it and choose weight dtypes in the plan`,
  );
}

/**
 * Weight dtypes per group for a checkpoint: `base` (torch_dtype) everywhere, the quantised dtype on the groups the
 * method rewrites unless their modules are excluded in most blocks. `hfQuant` is the content of hf_quant_config.json.
 */
export function checkpointQuant(
  qc: Record<string, unknown> | undefined,
  hfQuant: Record<string, unknown> | undefined,
  base: Dtype,
  blocks: BlockModules[],
  what: string,
): QuantResult {
  const dtypes: Record<DtypeGroup, Dtype> = { attention: base, ffn: base, experts: base, router: base, embedding: base, lm_head: base, norm: base };
  const notes: string[] = [];
  let method: Method | undefined;
  if (qc) method = methodOf(qc, `${what}: quantization_config`);
  else if (hfQuant) {
    const q = hfQuant.quantization;
    if (!q || typeof q !== "object") throw new InputError(`${what}: hf_quant_config.json has no "quantization" object`);
    method = modelopt(q as Record<string, unknown>, `${what}: hf_quant_config.json`);
  }
  if (!method) return { dtypes, summary: "", notes };
  if (qc && hfQuant) notes.push("quantisation read from config.json quantization_config (hf_quant_config.json also present)");
  for (const g of method.groups) {
    const names = blocks.map((m, b) => moduleNames(b, g, m)).filter((n) => n.length > 0);
    if (names.length === 0) continue;
    const excluded = names.filter((n) => n.some((x) => method!.exclude.some((p) => patternMatches(p, x)))).length;
    if (excluded * 2 > names.length) {
      notes.push(`${g}: excluded from ${method.label} quantisation in ${excluded} of ${names.length} blocks → ${base}`);
      continue;
    }
    dtypes[g] = method.weight;
    if (excluded > 0) notes.push(`${g}: ${excluded} of ${names.length} blocks excluded from ${method.label} quantisation; the IR keeps one dtype per group (${method.weight})`);
  }
  const summary = `${method.label}: ${method.groups.map((g) => `${g} ${dtypes[g]}`).join(", ")}${method.kv ? `; KV cache ${method.kv}` : ""}`;
  return { dtypes, kvDtype: method.kv, summary, notes };
}
