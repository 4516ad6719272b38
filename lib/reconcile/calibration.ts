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
  moe_compute: { kind: "efficiency", unit: "fraction of dense peak (grouped expert GEMMs)", min: 0.1, max: 0.95 },
  attention_compute: { kind: "efficiency", unit: "fraction of dense peak", min: 0.15, max: 0.9 },
  comm_bandwidth: { kind: "efficiency", unit: "fraction of scale-up bandwidth", min: 0.3, max: 0.95 },
  kernel_gap_graph_us: { kind: "efficiency", unit: "us between CUDA-graph kernels", min: 0, max: 10 },
  step_overhead_ms: { kind: "engine", unit: "ms per step", min: 0.1, max: 10 },
  per_seq_overhead_us: { kind: "engine", unit: "us per running sequence per step", min: 0, max: 60 },
  request_overhead_ms: { kind: "engine", unit: "ms per request", min: 0, max: 200 },
} as const;
export type ParamName = keyof typeof CALIBRATION_PARAMETERS;
export const PARAM_NAMES = Object.keys(CALIBRATION_PARAMETERS) as ParamName[];
/**
 * The six fitted by default: bandwidth, dense and grouped-expert GEMM efficiency (kept apart so a dense
 * model never inherits an MoE model's expert-kernel inefficiency), and the three host times.
 * attention_compute stays at its default: serving benchmarks do not identify it (its fitted uncertainty
 * spans the whole range once attention uses measured tables).
 */
export const DEFAULT_FIT: ParamName[] = ["memory_bandwidth", "gemm_compute", "moe_compute", "step_overhead_ms", "per_seq_overhead_us", "request_overhead_ms"];

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

/** Where calibrate writes, and calibrationFor reads, the profile of a hardware × engine (ids, not aliases). */
export function profilePath(hardwareId: string, engineId: string): string {
  return path.join(CALIBRATION_DIR, `${hardwareId}-${engineId}.json`);
}

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
 * Engines whose host-side behaviour is alike, nearest first: their overhead parameters transfer.
 */
const ENGINE_FAMILY: Record<string, string[]> = {
  vllm: ["vllm", "sglang", "atom"],
  sglang: ["sglang", "vllm", "atom"],
  atom: ["atom", "vllm", "sglang"],
  trtllm: ["trtllm", "dynamo-trt"],
  "dynamo-trt": ["dynamo-trt", "trtllm"],
};

function listProfiles(): CalibrationFile[] {
  if (!fs.existsSync(CALIBRATION_DIR)) return [];
  return fs
    .readdirSync(CALIBRATION_DIR)
    .filter((f) => f.endsWith(".json") && f !== "global.json")
    .sort()
    .map((f) => loadCalibration(path.join(CALIBRATION_DIR, f)).file);
}

/** How far apart two chips are: other vendor first, then log distance of HBM bandwidth and bf16 peak. */
function hardwareDistance(a: string, b: string): number {
  try {
    const x = getHardware(a);
    const y = getHardware(b);
    const d = Math.abs(Math.log(x.memory.bandwidth_tbps.value / y.memory.bandwidth_tbps.value)) + Math.abs(Math.log(x.dense_tflops.bf16.value / y.dense_tflops.bf16.value));
    return (x.vendor === y.vendor ? 0 : 10) + d;
  } catch {
    return 100;
  }
}

function engineDistance(a: string, b: string): number {
  const f = ENGINE_FAMILY[a] ?? [a];
  const i = f.indexOf(b);
  return i >= 0 ? i : 10;
}

/**
 * The calibration a prediction uses: the profile fitted for this hardware × engine; otherwise a transfer
 * through the physics — efficiency factors (fractions of the chip's peaks) from the profile of the
 * nearest hardware, engine overheads (host times) from the profile of the nearest engine; then
 * data/calibration/global.json; then none. A transfer is named "<efficiency from> + <engine from> → hw/engine".
 */
export function calibrationFor(hardware: string, engine: string): Calibration | undefined {
  const key = `${hardware}-${engine}`;
  if (cache.has(key)) return cache.get(key);
  const specific = profilePath(hardware, engine);
  let hit: Calibration | undefined;
  if (fs.existsSync(specific)) hit = loadCalibration(specific);
  else {
    const profiles = listProfiles().filter((p) => p.hardware && p.engine);
    const global = path.join(CALIBRATION_DIR, "global.json");
    if (profiles.length) {
      const byHw = [...profiles].sort((a, b) => hardwareDistance(hardware, a.hardware!) + 0.01 * engineDistance(engine, a.engine!) - (hardwareDistance(hardware, b.hardware!) + 0.01 * engineDistance(engine, b.engine!)))[0];
      const byEngine = [...profiles].sort((a, b) => engineDistance(engine, a.engine!) + 0.01 * hardwareDistance(hardware, a.hardware!) - (engineDistance(engine, b.engine!) + 0.01 * hardwareDistance(hardware, b.hardware!)))[0];
      const values: Partial<Record<ParamName, number>> = {};
      for (const [k, v] of Object.entries(byHw.parameters) as [ParamName, { value: number }][]) if (CALIBRATION_PARAMETERS[k].kind === "efficiency") values[k] = v.value;
      for (const [k, v] of Object.entries(byEngine.parameters) as [ParamName, { value: number }][]) if (CALIBRATION_PARAMETERS[k].kind === "engine") values[k] = v.value;
      const name = byHw.name === byEngine.name ? `${byHw.name} → ${hardware}/${engine}` : `${byHw.name} (efficiency) + ${byEngine.name} (engine) → ${hardware}/${engine}`;
      const why = `transferred: no profile fitted for ${hardware} × ${engine}; efficiency factors from ${byHw.name} (nearest hardware), engine overheads from ${byEngine.name} (nearest engine)`;
      hit = { name, file: byHw, values, apply: (req) => applyParameters(values, req, `calibration ${name}`), describe: () => why };
    } else if (fs.existsSync(global)) hit = loadCalibration(global);
  }
  cache.set(key, hit);
  return hit;
}

/** The calibration an option names: "auto" → calibrationFor(hardware, engine), "none" → none, or the profile given. */
export function resolveCalibration(opt: "auto" | "none" | Calibration | undefined, hardware: string, engine: string): Calibration | undefined {
  if (opt === "none") return undefined;
  if (opt === undefined || opt === "auto") return calibrationFor(hardware, engine);
  return opt;
}

export function clearCalibrationCache(): void {
  cache.clear();
}
