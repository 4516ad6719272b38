/**
 * The parameters calibration may fit: efficiency factors and engine host times, each with its unit,
 * physical bounds and the reason for them (data/policy/calibration.json).
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { DATA_DIR } from "../core/paths";
import { InputError, parseOrThrow } from "../core/validate";
import type { EngineNumber } from "../engine/profile";
import type { FactorName } from "./efficiency";

/** Every fittable parameter and what it acts on: an efficiency factor or an engine profile field. */
const KINDS = {
  memory_bandwidth: "efficiency",
  gemm_compute: "efficiency",
  moe_compute: "efficiency",
  moe_overlap: "efficiency",
  moe_routing_skew: "efficiency",
  attention_compute: "efficiency",
  comm_bandwidth: "efficiency",
  kernel_gap_graph_us: "efficiency",
  step_overhead_ms: "engine",
  per_seq_overhead_us: "engine",
  request_overhead_ms: "engine",
} as const;
export type ParamName = keyof typeof KINDS;
export const PARAM_NAMES = Object.keys(KINDS) as ParamName[];
export type ParamValues = Partial<Record<ParamName, number>>;

export interface ParameterSpec {
  kind: "efficiency" | "engine";
  unit: string;
  min: number;
  max: number;
  source: string;
}

const Bound = z.object({ unit: z.string(), min: z.number(), max: z.number(), source: z.string() }).strict();
const Distance = z.object({ value: z.number().nonnegative(), unit: z.string(), source: z.string() }).strict();
const PolicyFile = z.object({
  _about: z.string(),
  parameters: z.record(z.string(), Bound),
  default_fit: z.object({ parameters: z.array(z.string()), reason: z.string() }).strict(),
  transfer: z.object({
    engine_families: z.object({ value: z.record(z.string(), z.array(z.string())), source: z.string() }).strict(),
    kernel_families: z.object({ value: z.record(z.string(), z.array(z.string())), source: z.string() }).strict(),
    engine_outside_family: Distance,
    other_vendor: Distance,
    engine_other_vendor: Distance,
    unknown_hardware: Distance,
    tie_break_weight: Distance,
  }).strict(),
}).strict();
export type CalibrationPolicy = z.infer<typeof PolicyFile>;

const POLICY_FILE = path.join(DATA_DIR, "policy", "calibration.json");
const policy = parseOrThrow(PolicyFile, JSON.parse(fs.readFileSync(POLICY_FILE, "utf8")), "data/policy/calibration.json");

function specs(): Record<ParamName, ParameterSpec> {
  const out = {} as Record<ParamName, ParameterSpec>;
  for (const n of PARAM_NAMES) {
    const b = policy.parameters[n];
    if (!b) throw new InputError(`data/policy/calibration.json: parameters.${n} is missing`);
    out[n] = { kind: KINDS[n], unit: b.unit as string, min: b.min as number, max: b.max as number, source: b.source as string };
  }
  for (const k of Object.keys(policy.parameters)) if (!(k in KINDS)) throw new InputError(`data/policy/calibration.json: parameters.${k} is not a fittable parameter (${PARAM_NAMES.join(", ")})`);
  return out;
}

/** Parameters calibration may fit, each with physical bounds and their source. */
export const CALIBRATION_PARAMETERS: Record<ParamName, ParameterSpec> = specs();

/** The six fitted by default (data/policy/calibration.json default_fit, with the reason). */
export const DEFAULT_FIT: ParamName[] = policy.default_fit.parameters.map((p) => {
  if (!(p in KINDS)) throw new InputError(`data/policy/calibration.json: default_fit names unknown parameter "${p}"`);
  return p as ParamName;
});

export const TRANSFER_POLICY = policy.transfer;

/** Parameter values split into efficiency factors and engine fields. */
export function splitParameters(values: ParamValues): { efficiency: Partial<Record<FactorName, number>>; engine: Partial<Record<EngineNumber, number>> } {
  const efficiency: Partial<Record<FactorName, number>> = {};
  const engine: Partial<Record<EngineNumber, number>> = {};
  for (const [k, v] of Object.entries(values) as [ParamName, number][]) {
    if (v === undefined) continue;
    if (KINDS[k] === "efficiency") efficiency[k as FactorName] = v;
    else engine[k as EngineNumber] = v;
  }
  return { efficiency, engine };
}

/** Check override names and bounds; an InputError names the parameter and its range. */
export function checkParameters(o: ParamValues): ParamValues {
  for (const [k, v] of Object.entries(o)) {
    const spec = CALIBRATION_PARAMETERS[k as ParamName];
    if (!spec) throw new InputError(`unknown parameter "${k}": overridable parameters are ${PARAM_NAMES.join(", ")}`);
    if (typeof v !== "number" || !(v >= spec.min && v <= spec.max)) throw new InputError(`${k} = ${v} is outside its physical range [${spec.min}, ${spec.max}] (${spec.unit})`);
  }
  return o;
}
