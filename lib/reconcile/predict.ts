import type { EngineProfile } from "../serving/engine";
import { attentionWindows } from "../model/build";
import type { KernelTableChoice } from "../step/estimate";
/** Predict benchmark metrics for standard-CSV rows: convert → simulate → metrics, one row at a time. */
import { InputError, parseOrThrow } from "../core/validate";
import { decodeBatch } from "../cost/batch";
import { ParallelPlan } from "../parallel/plan";
import { simulate, type SimulationResult } from "../serving/simulate";
import { steadyState, type SteadyState } from "../serving/steady-state";
import { meanLength, type LengthDist } from "../serving/workload";
import { buildStepModel } from "../step/estimate";
import { defaultEfficiency, type Efficiency } from "../step/efficiency";
import { resolveCalibration, type Calibration } from "./calibration";
import { convertRow, type Assumption, type PredictionRequest } from "./convert";
import { ConfigRow, PREDICTED_COLUMNS } from "./standard";

/** The headline numbers of one prediction, as every caller (CSV rows, bundles, run comparison) reports them. */
export interface HeadlineMetrics {
  throughputPerGpu: number;
  outputThroughputPerGpu: number;
  ttft: number;
  p99Ttft: number;
  tpot: number;
  e2e: number;
  bottleneck: string;
}

export interface RowPrediction extends HeadlineMetrics {
  calibration: string;
  assumptions: Assumption[];
  sim: SimulationResult;
  request: PredictionRequest;
}

export interface PredictOptions {
  /** Calibration to apply: "auto" (profile for the row's hardware × engine, else the global one), "none", or a profile. */
  calibration?: "auto" | "none" | Calibration;
  useKernelTables?: KernelTableChoice;
  seed?: number;
  maxRun?: number;
}

/** What one prediction simulates: a converted request with its efficiency factors applied. */
export interface SimulationInputs {
  model: PredictionRequest["model"];
  hardware: PredictionRequest["hardware"];
  efficiency: Efficiency;
  workload: PredictionRequest["workload"];
  aggregated?: PredictionRequest["aggregated"];
  disaggregated?: PredictionRequest["disaggregated"];
  gpusCounted: number;
  speculative?: PredictionRequest["speculative"];
  seed?: number;
  useKernelTables?: KernelTableChoice;
  maxRun?: number;
}

/** The typical decode step a prediction names the bottleneck of: mean running batch per worker at the mean context. */
export function typicalDecodeStep(pool: { workers: number; engine: EngineProfile }, concurrency: number, meanInput: number, meanOutput: number): { batch: number; context: number } {
  return {
    batch: Math.max(1, Math.round(Math.min(concurrency / pool.workers, pool.engine.max_num_seqs.value as number))),
    context: Math.round(meanInput + meanOutput / 2),
  };
}

/**
 * Simulate and name the bottleneck of the typical decode step (mean running batch at the mean context).
 * The one path every prediction takes (CSV rows, bundles, audits), so they agree bit for bit.
 */
export function simulateWithBottleneck(x: SimulationInputs): { sim: SimulationResult; bottleneck: string; decodePool: NonNullable<PredictionRequest["aggregated"]>; batch: number; context: number } {
  const sim = simulate({
    model: x.model, hardware: x.hardware, efficiency: x.efficiency, workload: x.workload,
    aggregated: x.aggregated, disaggregated: x.disaggregated, gpusCounted: x.gpusCounted, speculative: x.speculative,
    seed: x.seed ?? 1, useKernelTables: x.useKernelTables ?? true, maxRun: x.maxRun,
  });
  const m = sim.metrics;
  const pool = x.aggregated ?? x.disaggregated!.decode;
  const plan = parseOrThrow(ParallelPlan, pool.plan, "plan");
  const windows = attentionWindows(x.model);
  const wl = x.workload as { concurrency?: number };
  const concurrency = wl.concurrency ?? Math.max(1, Math.round(m.requestsPerSec * m.e2e.mean));
  const { batch, context } = typicalDecodeStep(pool, concurrency, m.meanInput, m.meanOutput);
  const bd = buildStepModel(x.model, x.hardware, plan, "decode", pool.engine, x.efficiency, x.useKernelTables ?? true).breakdown(decodeBatch(batch, context, windows));
  return { sim, bottleneck: bd.bottleneck, decodePool: pool, batch, context };
}

export function predictConfig(row: ConfigRow, opts: PredictOptions = {}): RowPrediction {
  const req = convertRow(row);
  const cal = resolveCalibration(opts.calibration, req.hardware.id, req.engine.id);
  const applied = cal ? cal.apply(req) : { efficiency: undefined, request: req };
  const r = applied.request;
  const eff: Efficiency = applied.efficiency ?? defaultEfficiency();
  const { sim, bottleneck } = simulateWithBottleneck({ ...r, efficiency: eff, seed: opts.seed, useKernelTables: opts.useKernelTables, maxRun: opts.maxRun });
  const m = sim.metrics;
  const assumptions = [...r.assumptions];
  if (cal) assumptions.push({ what: "calibration", value: cal.name, why: cal.describe() });
  else assumptions.push({ what: "calibration", value: "none", why: "defaults from data/efficiency and data/engines" });
  return {
    throughputPerGpu: m.throughputPerGpu, outputThroughputPerGpu: m.outputThroughputPerGpu, ttft: m.ttft.mean, p99Ttft: m.ttft.p99,
    tpot: m.tpot.mean, e2e: m.e2e.mean, bottleneck, calibration: cal?.name ?? "none", assumptions, sim, request: r,
  };
}

/** Predicted columns for one raw CSV row; errors become an error_message, never an exception. */
export function predictCsvRow(raw: Record<string, string>, opts: PredictOptions = {}): Record<string, string> {
  const out: Record<string, string> = Object.fromEntries(PREDICTED_COLUMNS.map((c) => [c, ""]));
  out.calibration_profile = "";
  try {
    const row = parseOrThrow(ConfigRow, raw, "row");
    const p = predictConfig(row, opts);
    out.predicted_throughput_per_gpu = String(p.throughputPerGpu);
    out.predicted_output_throughput_per_gpu = String(p.outputThroughputPerGpu);
    out.predicted_ttft_sec = String(p.ttft);
    out.predicted_tpot_sec = String(p.tpot);
    out.predicted_e2e_latency_sec = String(p.e2e);
    out.predicted_bottleneck = p.bottleneck;
    out.calibration_profile = p.calibration;
  } catch (e) {
    const msg = e instanceof InputError ? e.message : `internal error: ${(e as Error).message}`;
    out.error_message = msg.replace(/\s*\n\s*/g, "; ");
  }
  return out;
}

export const OUTPUT_EXTRA = [...PREDICTED_COLUMNS, "calibration_profile"];

/** Fast analytic mode for single-pool closed-loop rows (see lib/serving/steady-state.ts). */
export function predictSteadyState(row: ConfigRow, opts: PredictOptions = {}): SteadyState {
  const req = convertRow(row);
  if (!req.aggregated) throw new InputError("the analytic steady state covers aggregated (single-pool) rows only");
  const cal = resolveCalibration(opts.calibration, req.hardware.id, req.engine.id);
  const applied = cal ? cal.apply(req) : { efficiency: defaultEfficiency(), request: req };
  const r = applied.request;
  const pool = r.aggregated!;
  const plan = parseOrThrow(ParallelPlan, pool.plan, "plan");
  const tables = opts.useKernelTables ?? true;
  const windows = attentionWindows(r.model);
  const wl = r.workload as { input: LengthDist; output: LengthDist; concurrency: number };
  const dp = plan.decode.attention.dp;
  return steadyState({
    concurrency: wl.concurrency,
    meanInput: meanLength(wl.input),
    meanOutput: meanLength(wl.output),
    mixedModel: buildStepModel(r.model, r.hardware, plan, "prefill", pool.engine, applied.efficiency, tables),
    decodeModel: buildStepModel(r.model, r.hardware, plan, "decode", pool.engine, applied.efficiency, tables),
    tokenBudget: pool.engine.max_num_batched_tokens.value * dp,
    frontDelay: pool.engine.request_overhead_ms.value / 1e3,
    windows,
    gpus: r.gpusCounted,
  });
}
