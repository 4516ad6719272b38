/**
 * A pinned run: every input of one prediction held as plain data — model IR, hardware profile,
 * engine profile, efficiency defaults, calibration values, user overrides, plan, workload, seed —
 * and the functions that predict from it without touching the registries in data/.
 *
 * `predictPinned(pinRow(row, opts))` gives the same numbers as lib/reconcile/predict.ts
 * `predictConfig(row, opts)` (test/bundle checks bit-identity): the steps below mirror it
 * (calibration → simulate → bottleneck of the typical decode step).
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../core/paths";
import { InputError, parseOrThrow } from "../core/validate";
import type { HardwareProfile } from "../hardware/schema";
import type { ModelIR } from "../model/ir";
import { memoryReport } from "../parallel/memory";
import { ParallelPlan, type ParallelPlanInput } from "../parallel/plan";
import { resolveCalibration, CALIBRATION_PARAMETERS, PARAM_NAMES, type Calibration, type ParamName } from "../reconcile/calibration";
import { convertRow, type Assumption } from "../reconcile/convert";
import type { ConfigRow } from "../reconcile/standard";
import { withEngineOverrides, type EngineNumber, type EngineProfile, memoryPolicyOf } from "../serving/engine";
import type { PoolSpec, SimulationRequest } from "../serving/simulate";
import { simulateWithBottleneck, typicalDecodeStep, type HeadlineMetrics } from "../reconcile/predict";
import { meanLength, Workload, type WorkloadInput } from "../serving/workload";
import { defaultEfficiency, withFactors, type Efficiency, type FactorName } from "../step/efficiency";
import type { KernelTableChoice } from "../step/estimate";

export type ParamValues = Partial<Record<ParamName, number>>;

export interface PoolPin {
  plan: ParallelPlanInput;
  workers: number;
}

export interface PinnedCalibration {
  /** Profile name (data/calibration/<name>.json or a profile file). */
  name: string;
  /** Where and how it was fitted (Calibration.describe()). */
  description: string;
  /** The fitted parameter values that are applied. */
  values: ParamValues;
}

/** Everything one prediction depends on, as data. */
export interface PinnedRun {
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
  /** User overrides of calibration parameters (`--set name=value`), applied after the calibration. */
  overrides: ParamValues;
  aggregated?: PoolPin;
  disaggregated?: { prefill: PoolPin; decode: PoolPin };
  workload: WorkloadInput;
  gpusCounted: number;
  /** Benchmark clients (closed loop); sizes the typical decode batch of the bottleneck. */
  concurrency: number;
  seed: number;
  /** true: the engine profile's table ops; false: roofline only; a list: those op families from tables. */
  useKernelTables: KernelTableChoice;
  maxRun?: number;
  /** Mapping assumptions recorded when the row was converted (lib/reconcile/convert.ts). */
  assumptions: Assumption[];
  /**
   * Fields of the converted request this module does not model itself (e.g. speculative decoding),
   * passed to the simulator unchanged, as plain JSON.
   */
  extra: Record<string, unknown>;
}

/** A pinned run with calibration and overrides applied: what the simulator gets. */
export interface ResolvedRun {
  model: ModelIR;
  hardware: HardwareProfile;
  engine: EngineProfile;
  efficiency: Efficiency;
  aggregated?: PoolSpec;
  disaggregated?: { prefill: PoolSpec; decode: PoolSpec };
  workload: WorkloadInput;
  gpusCounted: number;
  concurrency: number;
  seed: number;
  useKernelTables: KernelTableChoice;
  maxRun?: number;
  extra: Record<string, unknown>;
}

export interface PoolMemory {
  weightsPerGpuGB: number;
  kvPoolPerGpuGB: number;
  /** Tokens of full-attention context one replica's KV pool holds (all attention-DP ranks). */
  kvCapacityTokens: number;
}

export interface RunPrediction extends HeadlineMetrics {
  calibration: string;
  /** Aggregated pool, or the decode pool of a disaggregated run. */
  memory: PoolMemory;
  /** Prefill pool of a disaggregated run. */
  prefillMemory?: PoolMemory;
  meanInput: number;
  meanOutput: number;
  requests: number;
  steps: number;
  preemptions: number;
  durationSec: number;
}

export interface PinOptions {
  /** As in predictConfig: "auto" (data/calibration profile of hardware × engine, else global), "none", or a profile. */
  calibration?: "auto" | "none" | Calibration;
  useKernelTables?: KernelTableChoice;
  seed?: number;
  maxRun?: number;
  /** Calibration parameters to override (bounded by CALIBRATION_PARAMETERS). */
  overrides?: ParamValues;
  label?: string;
}

function calibrationValues(cal: Calibration): ParamValues {
  const out: ParamValues = {};
  for (const [k, v] of Object.entries(cal.file.parameters) as [ParamName, { value: number }][]) out[k] = v.value;
  return out;
}

/** Check override names and bounds; an InputError names the parameter and its range. */
export function checkOverrides(o: ParamValues): ParamValues {
  for (const [k, v] of Object.entries(o)) {
    const spec = CALIBRATION_PARAMETERS[k as ParamName];
    if (!spec) throw new InputError(`unknown parameter "${k}": overridable parameters are ${PARAM_NAMES.join(", ")}`);
    if (typeof v !== "number" || !(v >= spec.min && v <= spec.max)) throw new InputError(`${k} = ${v} is outside its physical range [${spec.min}, ${spec.max}] (${spec.unit})`);
  }
  return o;
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

/** Pin a standard-CSV configuration row: convert it (data/ is read here, once) and record every input. */
export function pinRow(row: ConfigRow, opts: PinOptions = {}, raw?: Record<string, string>): PinnedRun {
  const req = convertRow(row);
  // Everything convertRow returns beyond the fields below goes to the simulator as is.
  const { model: _m, hardware: _h, engine: _e, workload: _w, aggregated: _a, disaggregated: _d, gpusCounted: _g, assumptions: _s, ...extra } = req;
  const cal = resolveCalibration(opts.calibration, req.hardware.id, req.engine.id);
  const pool = (p: { plan: ParallelPlanInput; workers: number }): PoolPin => ({ plan: parseOrThrow(ParallelPlan, p.plan, "plan"), workers: p.workers });
  return {
    label: opts.label ?? `${row.model} ${req.hardware.id} ${req.engine.id} ${row.disagg ? `disagg P${row.prefill_tp}×${row.prefill_num_workers}/D${row.decode_tp}×${row.decode_num_workers}` : `TP${row.tensor_parallel}${(row.expert_parallel ?? 1) > 1 ? ` EP${row.expert_parallel}` : ""}${row.dp_attention ? " DPA" : ""}`} conc ${row.concurrency} ${row.input_seq_len}/${row.output_seq_len}`,
    configRow: raw,
    model: req.model,
    modelConfig: modelConfigOf(req.model),
    hardware: req.hardware,
    engine: req.engine,
    efficiency: defaultEfficiency(),
    calibration: cal ? { name: cal.name, description: cal.describe(), values: calibrationValues(cal) } : null,
    overrides: checkOverrides({ ...(opts.overrides ?? {}) }),
    aggregated: req.aggregated ? pool(req.aggregated) : undefined,
    disaggregated: req.disaggregated ? { prefill: pool(req.disaggregated.prefill), decode: pool(req.disaggregated.decode) } : undefined,
    workload: parseOrThrow(Workload, req.workload, "workload"),
    gpusCounted: req.gpusCounted,
    concurrency: row.concurrency,
    seed: opts.seed ?? 1,
    useKernelTables: opts.useKernelTables ?? true,
    maxRun: opts.maxRun,
    assumptions: req.assumptions,
    extra: JSON.parse(JSON.stringify(extra)) as Record<string, unknown>,
  };
}

function split(values: ParamValues): { eff: Partial<Record<FactorName, number>>; eng: Partial<Record<EngineNumber, number>> } {
  const eff: Partial<Record<FactorName, number>> = {};
  const eng: Partial<Record<EngineNumber, number>> = {};
  for (const [k, v] of Object.entries(values) as [ParamName, number][]) {
    if (v === undefined) continue;
    if (CALIBRATION_PARAMETERS[k].kind === "efficiency") eff[k as FactorName] = v;
    else eng[k as EngineNumber] = v;
  }
  return { eff, eng };
}

/** Replace the engine of a resolved run everywhere (top level and pools). */
export function withEngine(r: ResolvedRun, engine: EngineProfile): ResolvedRun {
  return {
    ...r,
    engine,
    aggregated: r.aggregated ? { ...r.aggregated, engine } : undefined,
    disaggregated: r.disaggregated ? { prefill: { ...r.disaggregated.prefill, engine }, decode: { ...r.disaggregated.decode, engine } } : undefined,
  };
}

/** Apply calibration then overrides (as lib/reconcile/calibration.ts applyParameters does, on the pinned defaults). */
export function resolveRun(p: PinnedRun): ResolvedRun {
  let efficiency = p.efficiency;
  let engine = p.engine;
  if (p.calibration) {
    const { eff, eng } = split(p.calibration.values);
    const src = `calibration ${p.calibration.name}`;
    efficiency = withFactors(efficiency, eff, "calibration", src);
    engine = withEngineOverrides(engine, eng, src);
  }
  const o = split(checkOverrides(p.overrides));
  if (Object.keys(o.eff).length) efficiency = withFactors(efficiency, o.eff, "override", "user override (--set)");
  if (Object.keys(o.eng).length) engine = withEngineOverrides(engine, o.eng, "user override (--set)");
  return withEngine(
    {
      model: p.model, hardware: p.hardware, engine, efficiency, workload: p.workload, gpusCounted: p.gpusCounted,
      concurrency: p.concurrency, seed: p.seed, useKernelTables: p.useKernelTables, maxRun: p.maxRun, extra: p.extra,
      aggregated: p.aggregated && { ...p.aggregated, engine }, disaggregated: p.disaggregated && { prefill: { ...p.disaggregated.prefill, engine }, decode: { ...p.disaggregated.decode, engine } },
    },
    engine,
  );
}

export function poolMemory(r: ResolvedRun, pool: PoolSpec, phase: "prefill" | "decode"): PoolMemory {
  const plan = parseOrThrow(ParallelPlan, pool.plan, "plan");
  const e = pool.engine;
  const mem = memoryReport(r.model, r.hardware, plan, plan[phase], memoryPolicyOf(e));
  return { weightsPerGpuGB: mem.weightsPerGpu.value / 1e9, kvPoolPerGpuGB: mem.kvPoolPerGpu.value / 1e9, kvCapacityTokens: mem.kvCapacityTokens.value * plan[phase].attention.dp };
}

/** The typical decode step predictConfig reports the bottleneck of: mean running batch at the mean context. */
export function typicalDecode(r: ResolvedRun, meanInput: number, meanOutput: number): { pool: PoolSpec; batch: number; context: number } {
  const pool = r.aggregated ?? r.disaggregated!.decode;
  return { pool, ...typicalDecodeStep(pool, r.concurrency, meanInput, meanOutput) };
}


/** Mean input / output lengths of the workload (without simulating). */
export function workloadMeans(w: WorkloadInput): { input: number; output: number } {
  const wl = parseOrThrow(Workload, w, "workload");
  if (wl.kind === "trace") return { input: wl.items.reduce((s, x) => s + x.input, 0) / wl.items.length, output: wl.items.reduce((s, x) => s + x.output, 0) / wl.items.length };
  return { input: meanLength(wl.input), output: meanLength(wl.output) };
}

/** Simulate a resolved run and report the headline metrics, bottleneck and memory per GPU. */
export function predictResolved(r: ResolvedRun, calibrationName = "none"): RunPrediction {
  const extra = r.extra as Partial<SimulationRequest>;
  const { sim, decodePool, bottleneck } = simulateWithBottleneck({
    model: r.model, hardware: r.hardware, efficiency: r.efficiency, workload: r.workload,
    aggregated: r.aggregated, disaggregated: r.disaggregated, gpusCounted: r.gpusCounted, speculative: extra.speculative,
    seed: r.seed, useKernelTables: r.useKernelTables, maxRun: r.maxRun,
  });
  const m = sim.metrics;
  return {
    throughputPerGpu: m.throughputPerGpu, outputThroughputPerGpu: m.outputThroughputPerGpu, ttft: m.ttft.mean, p99Ttft: m.ttft.p99,
    tpot: m.tpot.mean, e2e: m.e2e.mean, bottleneck, calibration: calibrationName,
    memory: poolMemory(r, decodePool, "decode"),
    prefillMemory: r.disaggregated ? poolMemory(r, r.disaggregated.prefill, "prefill") : undefined,
    meanInput: m.meanInput, meanOutput: m.meanOutput, requests: m.requests, steps: sim.steps, preemptions: m.preemptions, durationSec: m.durationSec,
  };
}

/** Predict a pinned run (reads nothing from data/ except the measured kernel tables and data/dtypes.json). */
export function predictPinned(p: PinnedRun): RunPrediction {
  return predictResolved(resolveRun(p), p.calibration?.name ?? "none");
}
