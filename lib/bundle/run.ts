/**
 * A pinned run: every input of one prediction held as plain data — model IR, hardware profile, engine
 * profile, efficiency defaults, calibration values, user overrides, plans, workload, seed — resolved by
 * the same resolveRun as every prediction, from these copies instead of the registries in data/
 * (`pinnedSources`). `predictPinned(pinRow(row, opts))` therefore gives the numbers of
 * lib/reconcile/predict.ts `predictConfig(row, opts)` bit for bit.
 */
import * as fs from "fs";
import * as path from "path";
import type { Efficiency } from "../calibration/efficiency";
import type { ParamValues } from "../calibration/parameters";
import type { Calibration } from "../calibration/profile";
import type { Assumption } from "../core/explain";
import { PROJECT_ROOT } from "../core/paths";
import type { EngineSetting, EngineProfile } from "../engine/profile";
import type { HardwareProfile } from "../hardware/schema";
import type { ModelIR } from "../model/ir";
import type { ParallelPlan } from "../parallel/plan";
import { convertRow } from "../reconcile/convert";
import type { PredictOptions } from "../reconcile/predict";
import type { ConfigRow } from "../reconcile/standard";
import { predictRun, type RunPrediction } from "../run/predict";
import type { ResolvedRun, RunRequest } from "../run/request";
import { resolveRun, type Sources } from "../run/resolve";
import type { Workload } from "../serving/workload";

export type { ParamValues } from "../calibration/parameters";
export { checkParameters as checkOverrides } from "../calibration/parameters";
export type { PoolMemory, RunPrediction } from "../run/predict";

export interface PoolPin {
  plan: ParallelPlan;
  workers: number;
}

export interface PinnedCalibration {
  /** Profile name (data/calibration/<name>.json, a transfer, or a profile file). */
  name: string;
  /** Where and how it was fitted (Calibration.describe()). */
  description: string;
  /** The parameter values that are applied. */
  values: ParamValues;
}

/** Everything one prediction depends on, as data. */
/** A resolved run frozen into a file: user overrides, GPUs counted, speculative decoding, seed, kernel-table choice and run cap as resolved. */
export interface PinnedRun extends Pick<ResolvedRun, "overrides" | "gpusCounted" | "speculative" | "seed" | "useKernelTables" | "maxRun"> {
  label: string;
  /** The standard-CSV configuration row the run was pinned from (strings), when there is one. */
  configRow?: Record<string, string>;
  model: ModelIR;
  /** The Hugging Face config.json the IR was built from (path relative to the project, content). */
  modelConfig?: { source: string; content: unknown };
  hardware: HardwareProfile;
  /** Engine profile before calibration and overrides. */
  engine: EngineProfile;
  /** Efficiency factors before calibration and overrides (data/efficiency/defaults.json at pin time). */
  efficiency: Efficiency;
  calibration: PinnedCalibration | null;
  aggregated?: PoolPin;
  disaggregated?: { prefill: PoolPin; decode: PoolPin };
  workload: Workload;
  /** Mapping assumptions recorded when the run was requested (lib/reconcile/convert.ts). */
  assumptions: Assumption[];
  /** Engine settings the request stated (row columns, flags). */
  engineSettings?: Partial<Record<EngineSetting, number>>;
}

export interface PinOptions extends PredictOptions {
  /** Calibration parameters to override (bounded by the calibration policy). */
  overrides?: ParamValues;
  label?: string;
}

/** The config.json a model IR was built from, found through its provenance (data/models/… or a user path). */
function modelConfigOf(ir: ModelIR): PinnedRun["modelConfig"] {
  const src = Object.values(ir.provenance).find((p) => p.kind === "config")?.source;
  const m = src?.match(/^(.*?\.json): /);
  if (!m) return undefined;
  const file = path.resolve(PROJECT_ROOT, m[1]);
  if (!fs.existsSync(file)) return undefined;
  return { source: m[1], content: JSON.parse(fs.readFileSync(file, "utf8")) };
}

/** A resolved run as data: the inputs before calibration plus the calibration and overrides applied to them. */
export function pinResolved(r: ResolvedRun, configRow?: Record<string, string>): PinnedRun {
  const pool = (p: { plan: ParallelPlan; workers: number }): PoolPin => ({ plan: p.plan, workers: p.workers });
  if (!r.workload) throw new Error("pinResolved: a run without a workload cannot be pinned");
  return {
    label: r.label, configRow, model: r.model, modelConfig: modelConfigOf(r.model), hardware: r.hardware, engine: r.baseEngine, efficiency: r.baseEfficiency,
    calibration: r.calibration, overrides: { ...r.overrides },
    aggregated: r.aggregated ? pool(r.aggregated) : undefined,
    disaggregated: r.disaggregated ? { prefill: pool(r.disaggregated.prefill), decode: pool(r.disaggregated.decode) } : undefined,
    workload: r.workload, gpusCounted: r.gpusCounted, speculative: r.speculative, seed: r.seed, useKernelTables: r.useKernelTables, maxRun: r.maxRun,
    assumptions: r.requestAssumptions,
    engineSettings: Object.keys(r.engineSettings).length ? { ...r.engineSettings } : undefined,
  };
}

/** A short label for a benchmark row's run. */
function rowLabel(row: ConfigRow, r: ResolvedRun): string {
  const layout = row.disagg
    ? `disagg P${row.prefill_tp}×${row.prefill_num_workers}/D${row.decode_tp}×${row.decode_num_workers}`
    : `TP${row.tensor_parallel}${(row.expert_parallel ?? 1) > 1 ? ` EP${row.expert_parallel}` : ""}${row.dp_attention ? " DPA" : ""}`;
  return `${row.model} ${r.hardware.id} ${r.engine.id} ${layout} conc ${row.concurrency} ${row.input_seq_len}/${row.output_seq_len}`;
}

/** Pin a standard-CSV configuration row: convert and resolve it (data/ is read here, once) and record every input. */
export function pinRow(row: ConfigRow, opts: PinOptions = {}, raw?: Record<string, string>): PinnedRun {
  const run = resolveRun({ ...convertRow(row), calibration: opts.calibration, overrides: opts.overrides, seed: opts.seed, useKernelTables: opts.useKernelTables, maxRun: opts.maxRun });
  return { ...pinResolved(run, raw), label: opts.label ?? rowLabel(row, run) };
}

/** The pinned copies as the sources resolveRun reads. */
export function pinnedSources(p: PinnedRun): Sources {
  const cal: Calibration | undefined = p.calibration ? { name: p.calibration.name, values: p.calibration.values, describe: () => p.calibration!.description } : undefined;
  return { model: () => p.model, hardware: () => p.hardware, engine: () => p.engine, efficiency: () => p.efficiency, calibration: () => cal };
}

export function pinnedRequest(p: PinnedRun): RunRequest {
  return {
    label: p.label, model: p.model, hardware: p.hardware, engine: p.engine, aggregated: p.aggregated, disaggregated: p.disaggregated,
    workload: p.workload, gpusCounted: p.gpusCounted, speculative: p.speculative, overrides: p.overrides, seed: p.seed,
    useKernelTables: p.useKernelTables, maxRun: p.maxRun, assumptions: p.assumptions, engineSettings: p.engineSettings,
  };
}

/** Resolve a pinned run (calibration and overrides applied) without touching data/. */
export function resolvePinned(p: PinnedRun): ResolvedRun {
  return resolveRun(pinnedRequest(p), pinnedSources(p));
}

/** Predict a pinned run (reads nothing from data/ except the measured kernel tables and data/dtypes.json). */
export function predictPinned(p: PinnedRun): RunPrediction {
  return predictRun(resolvePinned(p));
}
