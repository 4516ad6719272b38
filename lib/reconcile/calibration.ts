/**
 * Calibration profiles: a few bounded, physically meaningful parameters per hardware × engine,
 * fitted by `mantile calibrate`, applied by name to every prediction that uses them.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { DATA_DIR } from "../core/paths";
import { getHardware } from "../hardware/registry";
import { InputError, parseOrThrow } from "../core/validate";
import { withEngineOverrides, type EngineNumber } from "../serving/engine";
import { defaultEfficiency, withFactors, type Efficiency, type FactorName } from "../step/efficiency";
import type { PredictionRequest } from "./convert";

/** Parameters calibration may fit: efficiency factors and engine overheads, each with physical bounds. */
export const CALIBRATION_PARAMETERS = {
  memory_bandwidth: { kind: "efficiency", unit: "fraction of HBM bandwidth", min: 0.5, max: 0.95 },
  gemm_compute: { kind: "efficiency", unit: "fraction of dense peak", min: 0.2, max: 0.95 },
  attention_compute: { kind: "efficiency", unit: "fraction of dense peak", min: 0.15, max: 0.9 },
  comm_bandwidth: { kind: "efficiency", unit: "fraction of scale-up bandwidth", min: 0.3, max: 0.95 },
  step_overhead_ms: { kind: "engine", unit: "ms per step", min: 0.1, max: 10 },
  per_seq_overhead_us: { kind: "engine", unit: "us per running sequence per step", min: 0, max: 60 },
  request_overhead_ms: { kind: "engine", unit: "ms per request", min: 0, max: 200 },
} as const;
export type ParamName = keyof typeof CALIBRATION_PARAMETERS;
export const PARAM_NAMES = Object.keys(CALIBRATION_PARAMETERS) as ParamName[];
export const DEFAULT_FIT: ParamName[] = ["memory_bandwidth", "gemm_compute", "attention_compute", "step_overhead_ms", "per_seq_overhead_us", "request_overhead_ms"];

const ErrorTable = z.record(z.string(), z.number());
export const CalibrationFile = z
  .object({
    schema: z.literal("mantile.calibration/v1", { errorMap: () => ({ message: 'schema must be "mantile.calibration/v1"; re-run mantile calibrate to upgrade an older profile' }) }),
    name: z.string(),
    hardware: z.string().nullable(),
    engine: z.string().nullable(),
    created: z.string(),
    data: z.object({ file: z.string(), rows: z.number(), configurations: z.number(), filter: z.string() }),
    objective: z.string(),
    parameters: z.record(
      z.enum(PARAM_NAMES as [ParamName, ...ParamName[]]),
      z.object({ value: z.number(), unit: z.string(), min: z.number(), max: z.number(), sd: z.number().nullable() }),
    ),
    in_sample_mape: ErrorTable,
    cross_validation: z.record(z.string(), ErrorTable),
    notes: z.string().optional(),
  })
  .strict();
export type CalibrationFile = z.infer<typeof CalibrationFile>;

export interface Calibration {
  name: string;
  file: CalibrationFile;
  /** Fitted parameter values by name. */
  values: Partial<Record<ParamName, number>>;
  apply(req: PredictionRequest): { efficiency: Efficiency; request: PredictionRequest };
  describe(): string;
}

/** Parameter values split into efficiency factors and engine fields. */
export function splitParameters(values: Partial<Record<ParamName, number>>): { efficiency: Partial<Record<FactorName, number>>; engine: Partial<Record<EngineNumber, number>> } {
  const efficiency: Partial<Record<FactorName, number>> = {};
  const engine: Partial<Record<EngineNumber, number>> = {};
  for (const [k, v] of Object.entries(values) as [ParamName, number][]) {
    if (CALIBRATION_PARAMETERS[k].kind === "efficiency") efficiency[k as FactorName] = v;
    else engine[k as EngineNumber] = v;
  }
  return { efficiency, engine };
}

export function applyParameters(values: Partial<Record<ParamName, number>>, req: PredictionRequest, source: string): { efficiency: Efficiency; request: PredictionRequest } {
  const { efficiency: eff, engine: eng } = splitParameters(values);
  const efficiency = withFactors(defaultEfficiency(), eff, "calibration", source);
  const withEng = <T extends { engine: PredictionRequest["engine"] }>(p: T): T => ({ ...p, engine: withEngineOverrides(p.engine, eng, source) });
  const request: PredictionRequest = {
    ...req,
    engine: withEngineOverrides(req.engine, eng, source),
    aggregated: req.aggregated ? withEng(req.aggregated) : undefined,
    disaggregated: req.disaggregated ? { prefill: withEng(req.disaggregated.prefill), decode: withEng(req.disaggregated.decode) } : undefined,
  };
  return { efficiency, request };
}

export function calibrationFromFile(file: CalibrationFile, source: string): Calibration {
  const values = Object.fromEntries(Object.entries(file.parameters).map(([k, v]) => [k, v.value])) as Partial<Record<ParamName, number>>;
  return {
    name: file.name,
    file,
    values,
    apply: (req) => applyParameters(values, req, `calibration ${file.name} (${source})`),
    describe: () => `${source}: fitted ${file.created} on ${file.data.configurations} configurations of ${file.data.file} (${file.data.filter}); ` + Object.entries(file.parameters).map(([k, v]) => `${k}=${Number(v.value.toPrecision(3))}`).join(", "),
  };
}

export const CALIBRATION_DIR = path.join(DATA_DIR, "calibration");

export function loadCalibration(file: string): Calibration {
  if (!fs.existsSync(file)) throw new InputError(`calibration profile not found: ${file}`);
  const raw = JSON.parse(fs.readFileSync(file, "utf8"));
  if (raw && typeof raw.schema === "string" && raw.schema !== "mantile.calibration/v1") {
    throw new InputError(`${file}: calibration schema "${raw.schema}" is not supported by this version (reads mantile.calibration/v1); re-run mantile calibrate`);
  }
  return calibrationFromFile(parseOrThrow(CalibrationFile, raw, `calibration profile ${file}`), path.relative(path.join(DATA_DIR, ".."), file));
}

const cache = new Map<string, Calibration | undefined>();

/**
 * Engines whose host-side behaviour is alike, nearest first: a profile fitted on one transfers to the
 * others through the physics (its parameters are fractions of peaks and host times, not results).
 */
const ENGINE_FAMILY: Record<string, string[]> = {
  vllm: ["vllm", "sglang", "atom"],
  sglang: ["sglang", "vllm", "atom"],
  atom: ["atom", "vllm", "sglang"],
  trtllm: ["trtllm", "dynamo-trt"],
  "dynamo-trt": ["dynamo-trt", "trtllm"],
};

function vendorOf(hw: string): string | undefined {
  try {
    return getHardware(hw).vendor;
  } catch {
    return undefined;
  }
}

/** The calibration an option names: "auto" → calibrationFor(hardware, engine), "none" → none, or the profile given. */
export function resolveCalibration(opt: "auto" | "none" | Calibration | undefined, hardware: string, engine: string): Calibration | undefined {
  if (opt === "none") return undefined;
  if (opt === undefined || opt === "auto") return calibrationFor(hardware, engine);
  return opt;
}

function listProfiles(): CalibrationFile[] {
  if (!fs.existsSync(CALIBRATION_DIR)) return [];
  return fs
    .readdirSync(CALIBRATION_DIR)
    .filter((f) => f.endsWith(".json") && f !== "global.json")
    .sort()
    .map((f) => loadCalibration(path.join(CALIBRATION_DIR, f)).file);
}

/**
 * The calibration a prediction uses, in order: the profile fitted for this hardware × engine; the same
 * engine family's profile on other hardware (same vendor first); this hardware's profile for another
 * engine; data/calibration/global.json; none. A transferred profile is named "<profile> → <hw>/<engine>".
 */
export function calibrationFor(hardware: string, engine: string): Calibration | undefined {
  const key = `${hardware}-${engine}`;
  if (cache.has(key)) return cache.get(key);
  const specific = path.join(CALIBRATION_DIR, `${key}.json`);
  let hit: Calibration | undefined;
  if (fs.existsSync(specific)) hit = loadCalibration(specific);
  else {
    const profiles = listProfiles();
    const family = ENGINE_FAMILY[engine] ?? [engine];
    const vendor = vendorOf(hardware);
    const rank = (p: CalibrationFile): number => {
      const e = family.indexOf(p.engine ?? "");
      const sameVendor = vendor && p.hardware && vendorOf(p.hardware) === vendor ? 0 : 1;
      if (e >= 0) return e * 2 + sameVendor;
      if (p.hardware === hardware) return 100;
      return Infinity;
    };
    const best = profiles.map((p) => ({ p, r: rank(p) })).filter((x) => Number.isFinite(x.r)).sort((a, b) => a.r - b.r)[0];
    const global = path.join(CALIBRATION_DIR, "global.json");
    if (best) {
      const c = calibrationFromFile(best.p, `data/calibration/${best.p.name}.json`);
      hit = { ...c, name: `${best.p.name} → ${hardware}/${engine}`, describe: () => `transferred (no profile fitted for ${hardware} × ${engine}): ${c.describe()}` };
    } else if (fs.existsSync(global)) hit = loadCalibration(global);
  }
  cache.set(key, hit);
  return hit;
}

export function clearCalibrationCache(): void {
  cache.clear();
}
