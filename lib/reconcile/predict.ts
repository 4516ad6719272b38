/** Predict benchmark metrics for standard-CSV rows: convert → resolve → simulate → metrics, one row at a time. */
import type { Calibration } from "../calibration/profile";
import { InputError, parseOrThrow } from "../core/validate";
import { resolveRun } from "../run/resolve";
import { predictSteadyState as steadyStateOf, simulateRun, type DetailedPrediction, type RunPrediction } from "../run/predict";
import type { ResolvedRun } from "../run/request";
import type { SteadyState } from "../serving/steady-state";
import type { KernelTableChoice } from "../step/kernel-source";
import { intervalCells, pointOf, predictionIntervals } from "../uncertainty/interval";
import { convertRow, type PredictionRequest } from "./convert";
import { withLaunchSettings } from "./launch-settings";
import { ConfigRow, PREDICTED_COLUMNS } from "./standard";

export type { HeadlineMetrics } from "../run/predict";

export interface RowPrediction extends RunPrediction {
  metrics: DetailedPrediction["metrics"];
  sim: DetailedPrediction["sim"];
  assumptions: DetailedPrediction["assumptions"];
  request: PredictionRequest;
  run: ResolvedRun;
}

export interface PredictOptions {
  /** Calibration to apply: "auto" (profile for the row's hardware × engine, or a transfer), "none", or a profile. */
  calibration?: "auto" | "none" | Calibration;
  useKernelTables?: KernelTableChoice;
  seed?: number;
  maxRun?: number;
}

/** A row's run: converted (mapping assumptions recorded) and resolved (calibration applied). */
export function resolveRow(row: ConfigRow, opts: PredictOptions = {}): { request: PredictionRequest; run: ResolvedRun } {
  const request = convertRow(row);
  return { request, run: resolveRun({ ...request, calibration: opts.calibration, seed: opts.seed, useKernelTables: opts.useKernelTables, maxRun: opts.maxRun }) };
}

export function predictConfig(row: ConfigRow, opts: PredictOptions = {}): RowPrediction {
  const { request, run } = resolveRow(row, opts);
  const d = simulateRun(run);
  return { ...d.prediction, metrics: d.metrics, sim: d.sim, assumptions: d.assumptions, request, run };
}

/** Predicted columns for one raw CSV row; errors become an error_message, never an exception. */
export function predictCsvRow(raw: Record<string, string>, opts: PredictOptions = {}): Record<string, string> {
  const out: Record<string, string> = Object.fromEntries(PREDICTED_COLUMNS.map((c) => [c, ""]));
  out.calibration_profile = "";
  try {
    // A row naming its InferenceMAX image ran with that harness's launch settings (KV dtype, limits) where it leaves them blank.
    const row = parseOrThrow(ConfigRow, (raw.image ?? "").trim() ? withLaunchSettings(raw) : raw, "row");
    const p = predictConfig(row, opts);
    out.predicted_throughput_per_gpu = String(p.throughputPerGpu);
    out.predicted_output_throughput_per_gpu = String(p.outputThroughputPerGpu);
    out.predicted_ttft_sec = String(p.ttft);
    out.predicted_tpot_sec = String(p.tpot);
    out.predicted_e2e_latency_sec = String(p.e2e);
    out.predicted_bottleneck = p.bottleneck;
    out.calibration_profile = p.calibration;
    // Issue 16: the 80% interval of each metric and the basis its width was measured for (lib/uncertainty).
    Object.assign(out, intervalCells(predictionIntervals(p.run, pointOf(p))));
  } catch (e) {
    const msg = e instanceof InputError ? e.message : `internal error: ${(e as Error).message}`;
    out.error_message = msg.replace(/\s*\n\s*/g, "; ");
  }
  return out;
}

export const OUTPUT_EXTRA = [...PREDICTED_COLUMNS, "calibration_profile"];

/** Fast analytic mode for single-pool closed-loop rows (see lib/serving/steady-state.ts). */
export function predictSteadyState(row: ConfigRow, opts: PredictOptions = {}): SteadyState {
  return steadyStateOf(resolveRow(row, opts).run);
}
