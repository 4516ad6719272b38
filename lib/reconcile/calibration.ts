/**
 * Calibration profiles: a few bounded, physically meaningful parameters per hardware × engine,
 * fitted by `mantile calibrate`, applied by name to every prediction that uses them.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { DATA_DIR } from "../core/paths";
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
  apply(req: PredictionRequest): { efficiency: Efficiency; request: PredictionRequest };
  describe(): string;
}

export function applyParameters(values: Partial<Record<ParamName, number>>, req: PredictionRequest, source: string): { efficiency: Efficiency; request: PredictionRequest } {
  const eff: Partial<Record<FactorName, number>> = {};
  const eng: Partial<Record<EngineNumber, number>> = {};
  for (const [k, v] of Object.entries(values) as [ParamName, number][]) {
    if (CALIBRATION_PARAMETERS[k].kind === "efficiency") eff[k as FactorName] = v;
    else eng[k as EngineNumber] = v;
  }
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

/** The profile for a hardware × engine (data/calibration/<hw>-<engine>.json), else the cross-hardware one (global.json), else none. */
export function calibrationFor(hardware: string, engine: string): Calibration | undefined {
  const key = `${hardware}-${engine}`;
  if (cache.has(key)) return cache.get(key);
  const specific = path.join(CALIBRATION_DIR, `${key}.json`);
  const global = path.join(CALIBRATION_DIR, "global.json");
  const hit = fs.existsSync(specific) ? loadCalibration(specific) : fs.existsSync(global) ? loadCalibration(global) : undefined;
  cache.set(key, hit);
  return hit;
}

export function clearCalibrationCache(): void {
  cache.clear();
}
