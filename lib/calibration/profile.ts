/**
 * Calibration profiles: a few bounded, physically meaningful parameters per hardware × engine,
 * fitted by `mantile calibrate` (lib/reconcile), read and applied here — below the step model,
 * so every stage that needs calibrated factors takes them from one place.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { DATA_DIR } from "../core/paths";
import { InputError, parseOrThrow } from "../core/validate";
import { withEngineOverrides, type EngineProfile } from "../engine/profile";
import { withFactors, type Efficiency } from "./efficiency";
import { PARAM_NAMES, splitParameters, type ParamName, type ParamValues } from "./parameters";

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
    /**
     * What the fitted rows ran: the MoE expert weight dtypes among them. moe_compute times one kernel
     * family (grouped GEMMs of that weight format: MXFP4 Marlin/TRT-LLM gen kernels are not the FP8 or
     * BF16 ones), so it applies only to runs whose experts have one of these dtypes.
     */
    scope: z.object({ expert_dtypes: z.array(z.string()) }).strict().optional(),
    notes: z.string().optional(),
  })
  .strict();
export type CalibrationFile = z.infer<typeof CalibrationFile>;

/** A calibration a prediction uses: a fitted profile, or a transfer assembled from profiles. */
export interface Calibration {
  name: string;
  /** The profile file (for a transfer: the profile the efficiency factors came from; none for trial values in a fit). */
  file?: CalibrationFile;
  /** Parameter values applied, by name. */
  values: ParamValues;
  /** MoE expert weight dtypes moe_compute was fitted on (undefined: not recorded, applies to all). */
  expertDtypes?: string[];
  describe(): string;
}

/** Efficiency factors and an engine profile with calibration (or override) values applied, each recording its source. */
export function applyParameters(
  values: ParamValues,
  efficiency: Efficiency,
  engine: EngineProfile,
  kind: "calibration" | "override",
  source: string,
): { efficiency: Efficiency; engine: EngineProfile } {
  const split = splitParameters(values);
  return {
    efficiency: Object.keys(split.efficiency).length ? withFactors(efficiency, split.efficiency, kind, source) : efficiency,
    engine: Object.keys(split.engine).length ? withEngineOverrides(engine, split.engine, source) : engine,
  };
}

/** A calibration read from a profile file. */
export type ProfileCalibration = Calibration & { file: CalibrationFile };

export function calibrationFromFile(file: CalibrationFile, source: string): ProfileCalibration {
  const values = Object.fromEntries(Object.entries(file.parameters).map(([k, v]) => [k, v.value])) as ParamValues;
  return {
    name: file.name,
    file,
    values,
    expertDtypes: file.scope?.expert_dtypes,
    describe: () => `${source}: fitted ${file.created} on ${file.data.configurations} configurations of ${file.data.file} (${file.data.filter}); ` + Object.entries(file.parameters).map(([k, v]) => `${k}=${Number(v.value.toPrecision(3))}`).join(", "),
  };
}

export const CALIBRATION_DIR = path.join(DATA_DIR, "calibration");

/** Where calibrate writes, and calibrationFor reads, the profile of a hardware × engine (ids, not aliases). */
export function profilePath(hardwareId: string, engineId: string): string {
  return path.join(CALIBRATION_DIR, `${hardwareId}-${engineId}.json`);
}

export function loadCalibration(file: string): ProfileCalibration {
  if (!fs.existsSync(file)) throw new InputError(`calibration profile not found: ${file}`);
  const raw = JSON.parse(fs.readFileSync(file, "utf8"));
  if (raw && typeof raw.schema === "string" && raw.schema !== "mantile.calibration/v1") {
    throw new InputError(`${file}: calibration schema "${raw.schema}" is not supported by this version (reads mantile.calibration/v1); re-run mantile calibrate`);
  }
  return calibrationFromFile(parseOrThrow(CalibrationFile, raw, `calibration profile ${file}`), path.relative(path.join(DATA_DIR, ".."), file));
}

/** Every fitted profile in data/calibration (global.json aside), sorted by file name. */
export function listProfiles(): CalibrationFile[] {
  if (!fs.existsSync(CALIBRATION_DIR)) return [];
  return fs
    .readdirSync(CALIBRATION_DIR)
    .filter((f) => f.endsWith(".json") && f !== "global.json")
    .sort()
    .map((f) => loadCalibration(path.join(CALIBRATION_DIR, f)).file);
}
