/** Predict benchmark metrics for standard-CSV rows: convert → resolve → simulate → metrics, one row at a time. */
import * as fs from "fs";
import type { Calibration } from "../calibration/profile";
import { csvLine, readCsv } from "../core/csv";
import { InputError, parseOrThrow } from "../core/validate";
import { resolveRun } from "../run/resolve";
import { predictSteadyState as steadyStateOf, simulateRun, type DetailedPrediction, type RunPrediction } from "../run/predict";
import type { ResolvedRun } from "../run/request";
import type { SteadyState } from "../serving/steady-state";
import type { KernelTableChoice } from "../step/kernel-source";
import { convertRow, type PredictionRequest } from "./convert";
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

export interface PredictFileOptions extends PredictOptions {
  resume?: boolean;
  /** Rows between checkpoints (the output file is flushed that often). */
  checkpointEvery?: number;
  onProgress?: (done: number, total: number, errors: number) => void;
}

export const OUTPUT_EXTRA = [...PREDICTED_COLUMNS, "calibration_profile"];

/**
 * Read the input CSV, predict each row, write every input column unchanged plus the predicted ones.
 * Rows are appended as they finish (so an interrupted run loses at most the rows since the last flush);
 * with `resume`, rows already in the output (matched by position and input values) are kept.
 */
export function predictFile(input: string, output: string, opts: PredictFileOptions = {}): { rows: number; predicted: number; errors: number; skipped: number } {
  if (!fs.existsSync(input)) throw new InputError(`input CSV not found: ${input}`);
  const { columns, rows } = readCsv(input);
  if (columns.length === 0) throw new InputError(`input CSV ${input} is empty`);
  const outColumns = [...columns, ...OUTPUT_EXTRA.filter((c) => !columns.includes(c))];
  let done: Record<string, string>[] = [];
  if (opts.resume && fs.existsSync(output)) {
    const prev = readCsv(output);
    const same = prev.columns.length === outColumns.length && prev.columns.every((c, i) => c === outColumns[i]);
    if (!same) throw new InputError(`--resume: ${output} has different columns than this input would produce; remove it or write elsewhere`);
    done = prev.rows.filter((r, i) => i < rows.length && columns.every((c) => r[c] === rows[i][c]));
    if (done.length < prev.rows.length) throw new InputError(`--resume: ${output} does not match the input rows (row ${done.length + 1} differs); remove it or write elsewhere`);
  }
  const fd = fs.openSync(output, done.length ? "a" : "w");
  if (!done.length) fs.writeSync(fd, csvLine(outColumns));
  let errors = done.filter((r) => r.error_message).length;
  const every = Math.max(1, opts.checkpointEvery ?? 10);
  let buffer = "";
  for (let i = done.length; i < rows.length; i++) {
    const pred = predictCsvRow(rows[i], opts);
    if (pred.error_message) errors++;
    buffer += csvLine(outColumns.map((c) => (c in rows[i] && !OUTPUT_EXTRA.includes(c) ? rows[i][c] : pred[c] ?? rows[i][c] ?? "")));
    if ((i + 1) % every === 0 || i === rows.length - 1) {
      fs.writeSync(fd, buffer);
      fs.fsyncSync(fd);
      buffer = "";
    }
    opts.onProgress?.(i + 1, rows.length, errors);
  }
  fs.closeSync(fd);
  return { rows: rows.length, predicted: rows.length - done.length, errors, skipped: done.length };
}

/** Fast analytic mode for single-pool closed-loop rows (see lib/serving/steady-state.ts). */
export function predictSteadyState(row: ConfigRow, opts: PredictOptions = {}): SteadyState {
  return steadyStateOf(resolveRow(row, opts).run);
}
