/**
 * Your results end to end: import (with recorded assumptions) → predict (lib/reconcile/predict.ts) →
 * compare (lib/reconcile/compare.ts) → optionally calibrate with k-fold cross-validation
 * (lib/reconcile/calibrate.ts) and compare again with the fitted profile. Writes into one folder:
 *
 *   benchmark.csv                 the standard CSV the results became
 *   assumptions.md / .json        every mapping choice, with why and the files it applies to
 *   mantile_predictions.csv       mantile predict's output for benchmark.csv
 *   comparison_report.csv         per-row errors (mantile compare's columns)
 *   comparison_summary.txt        MAPE, bias, breakdowns, best/worst (mantile compare's text)
 *   calibration.json, calibration.out-of-fold.csv, calibrated/…   with --calibrate
 */
import * as fs from "fs";
import * as path from "path";
import { readCsv, writeCsv } from "../../core/csv";
import { InputError, parseOrThrow } from "../../core/validate";
import { loadCalibration, type Calibration } from "../../calibration/profile";
import { quantileOf } from "../../core/stats";
import type { KernelTableChoice } from "../../step/kernel-source";
import { calibrate } from "../calibrate";
import { compareRows, REPORT_METRIC_COLUMNS, reportRows, summaryText, type ComparedRow } from "../compare";
import { convertRow } from "../convert";
import { aggregateRuns } from "../inferencemax";
import { OUTPUT_EXTRA } from "../predict";
import { predictFile, type PredictProgress } from "../predict-file";
import { actualNumber, ConfigRow } from "../standard";
import { importResults, writeImport, type Format, type ImportOverrides, type ImportResult } from "./index";

export interface CalibrateRequest {
  /** HARDWARE/ENGINE or "global"; default: the one hardware × engine of the rows, else global. */
  profile?: string;
  folds: number;
  maxEvals?: number;
  cvEvals?: number;
}

export interface ReconcileOptions {
  input: string;
  format: Format | "auto";
  out: string;
  overrides?: ImportOverrides;
  /** Calibration of the first comparison: "auto" (committed profiles), "none", or a profile. */
  calibration?: "auto" | "none" | Calibration;
  useKernelTables?: KernelTableChoice;
  calibrate?: CalibrateRequest;
  onProgress?: (p: PredictProgress) => void;
  log?: (msg: string) => void;
}

export interface Comparison {
  predictions: string;
  report: string;
  summary: string;
  text: string;
  compared: ComparedRow[];
  errors: number;
}

export interface ReconcileOutput {
  dir: string;
  imported: ImportResult;
  csv: string;
  assumptions: string;
  assumptionsJson: string;
  comparison: Comparison;
  calibration?: { file: string; profile: string; comparison: Comparison; crossValidation: Record<string, Record<string, number>> };
}

/** The run-to-run spread of repeated configurations (as scripts/reconcile.ts reports it), or undefined without repeats. */
export function noiseFloor(rows: Record<string, string>[]): string | undefined {
  const repeated = aggregateRuns(rows.filter((r) => actualNumber(r, "throughput_tokens_per_sec_per_gpu") !== undefined)).filter((r) => Number(r.runs) > 1);
  if (repeated.length === 0) return undefined;
  const spreads = repeated.map((r) => Number(r.throughput_spread_pct));
  const q = (p: number) => quantileOf(spreads, p).toFixed(1);
  return `Benchmark noise floor: repeated runs of one configuration differ in throughput by median ${q(0.5)}%, p90 ${q(0.9)}% (max − min over runs / mean, ${repeated.length} configurations with ≥ 2 runs)`;
}

/** Predict `csv` into `dir` and compare, writing the three files mantile predict + mantile compare write. */
export async function predictAndCompare(csv: string, dir: string, title: string, o: Pick<ReconcileOptions, "calibration" | "useKernelTables" | "onProgress">, note = ""): Promise<Comparison> {
  fs.mkdirSync(dir, { recursive: true });
  const predictions = path.join(dir, "mantile_predictions.csv");
  const p = await predictFile(csv, predictions, { calibration: o.calibration ?? "auto", useKernelTables: o.useKernelTables, onProgress: o.onProgress });
  const actuals = readCsv(csv);
  const compared = compareRows(readCsv(predictions).rows);
  const report = path.join(dir, "comparison_report.csv");
  writeCsv(report, [...new Set([...actuals.columns, ...OUTPUT_EXTRA, ...REPORT_METRIC_COLUMNS])], reportRows(compared));
  const text = summaryText(compared, title, noiseFloor(actuals.rows)) + note;
  const summary = path.join(dir, "comparison_summary.txt");
  fs.writeFileSync(summary, text);
  return { predictions, report, summary, text, compared, errors: p.errors };
}

/** The one hardware × engine of the rows that predicted (as convert resolves them), or "global". */
function inferProfile(compared: ComparedRow[]): string {
  const seen = new Set<string>();
  for (const { row } of compared) {
    if (row.error_message) continue;
    const req = convertRow(parseOrThrow(ConfigRow, row, "row"));
    seen.add(`${req.hardware.id}/${req.engine.id}`);
  }
  return seen.size === 1 ? [...seen][0] : "global";
}

const ALL_FOUR = ["throughput_tokens_per_sec_per_gpu", "mean_time_to_first_token_sec", "mean_time_per_output_token_sec", "mean_end_to_end_latency_sec"];

async function runCalibration(o: ReconcileOptions, req: CalibrateRequest, imported: ImportResult, csv: string, first: Comparison, title: string) {
  const usable = first.compared.filter(({ row }) => !row.error_message && ALL_FOUR.every((c) => (actualNumber(row, c) ?? 0) > 0));
  if (usable.length === 0) {
    throw new InputError(
      `--calibrate: a profile is fitted on throughput, TTFT, TPOT and E2E together (lib/reconcile/calibrate.ts), and none of the ${first.compared.length} rows ` +
        "that predicted has all four measured; fix: calibrate on results with latencies (e.g. vllm bench serve, genai-perf), or leave out --calibrate",
    );
  }
  const data = path.join(o.out, "calibration_rows.csv");
  // Predictions keep the input's row order, so row i of the comparison is row i of the import.
  const keep = new Set(usable.map((c) => first.compared.indexOf(c)));
  writeCsv(data, imported.columns, imported.rows.filter((_, i) => keep.has(i)));
  const profile = req.profile ?? inferProfile(first.compared);
  o.log?.(`calibrating ${profile} on ${usable.length} rows (${req.folds}-fold cross-validation)`);
  const res = calibrate({ data, profile, folds: req.folds, maxEvals: req.maxEvals, cvEvals: req.cvEvals, cv: "kfold", useKernelTables: o.useKernelTables });
  const file = path.join(o.out, "calibration.json");
  fs.writeFileSync(file, JSON.stringify(res.file, null, 2) + "\n");
  const cv = res.file.cross_validation as Record<string, Record<string, number>>;
  const note = calibrationNote(res.file.name, res.file.in_sample_mape as Record<string, number>, cv);
  const comparison = await predictAndCompare(csv, path.join(o.out, "calibrated"), `${title} — calibrated in-sample (${res.file.name})`, { ...o, calibration: loadCalibration(file) }, note);
  return { file, profile, comparison, crossValidation: cv, note };
}

/** Text of a fitted profile's errors: in-sample, and on configurations held out of the fit (the honest figures). */
export function calibrationNote(name: string, inSample: Record<string, number>, cv: Record<string, Record<string, number>>): string {
  const line = (m: Record<string, number>) => `throughput ${m.throughput_mape}%, TTFT ${m.ttft_mape}%, TPOT ${m.tpot_mape}%, E2E ${m.e2e_mape}%`;
  const out = ["", `Calibration fitted here (--calibrate): profile ${name}`, `  in-sample MAPE (the fit's own rows):  ${line(inSample)}`];
  for (const [split, m] of Object.entries(cv)) out.push(`  ${split} held out MAPE (n=${m.rows}):  ${line(m)}`);
  return out.join("\n") + "\n";
}

export async function reconcileResults(o: ReconcileOptions): Promise<ReconcileOutput> {
  const imported = importResults(o.input, o.format, o.overrides ?? {});
  const w = writeImport(o.out, imported, o.input);
  o.log?.(`read ${imported.rows.length} row(s) from ${imported.sources.length} file(s) as ${imported.format} → ${w.csv} (assumptions: ${w.assumptionsMd})`);
  const title = `Mantile vs your ${imported.format} results — ${path.basename(path.resolve(o.input))}; ${imported.rows.length} rows`;
  const importNote = `\nRead as ${imported.format} from ${o.input} (${imported.sources.length} file(s)); mapping assumptions: assumptions.md\n`;
  const comparison = await predictAndCompare(w.csv, o.out, title, o, importNote);
  const out: ReconcileOutput = { dir: o.out, imported, csv: w.csv, assumptions: w.assumptionsMd, assumptionsJson: w.assumptionsJson, comparison };
  if (o.calibrate) {
    const c = await runCalibration(o, o.calibrate, imported, w.csv, comparison, title);
    fs.appendFileSync(comparison.summary, c.note);
    comparison.text += c.note;
    out.calibration = { file: c.file, profile: c.profile, comparison: c.comparison, crossValidation: c.crossValidation };
  }
  return out;
}
