/**
 * What the reconciliation notebooks and reports compute, defined once: held-out rows from a profile's
 * out-of-fold CSV, the accuracy summary of compared rows, the held-out means of a calibration's
 * cross-validation, and how percentages are shown. Quantiles and medians come from lib/core/stats.
 */
import type { CalibrationFile } from "../calibration/profile";
import { summariseMetric, type ComparedRow, type MetricKey } from "./compare";

export { median, quantileOf } from "../core/stats";

export const METRIC_KEYS: MetricKey[] = ["throughput", "ttft", "tpot", "e2e"];

/** Rows of `<profile>.out-of-fold.csv` (actual_X / oof_X columns) as compared rows, labelled with the profile. */
export function heldOutRows(csvRows: Record<string, string>[], profile: string): ComparedRow[] {
  return csvRows.map((r) => ({
    row: { ...r, profile },
    errors: Object.fromEntries(
      METRIC_KEYS.map((m) => {
        const a = Number(r[`actual_${m}`]);
        const p = Number(r[`oof_${m}`]);
        return [m, { actual: a, predicted: p, abs: p - a, pct: (100 * (p - a)) / a }];
      }),
    ),
  }));
}

/** MAPE (%) of compared rows on one metric. */
export function mapeOf(rows: ComparedRow[], key: MetricKey | string): number {
  return summariseMetric(rows, key as MetricKey).mape;
}

/** The k-fold entry of a profile's cross-validation, if any. */
export function kFoldOf(file: CalibrationFile | undefined): [string, Record<string, number>] | undefined {
  return file ? Object.entries(file.cross_validation).find(([k]) => k.endsWith("-fold")) : undefined;
}

/** Row-weighted mean MAPE of the held-out splits whose name starts with `prefix`. */
export function heldOutMean(file: CalibrationFile, prefix: string, metric: string): number {
  const splits = Object.entries(file.cross_validation).filter(([k]) => k.startsWith(prefix));
  const n = splits.reduce((s, [, v]) => s + v.rows, 0);
  return n ? splits.reduce((s, [, v]) => s + v[`${metric}_mape`] * v.rows, 0) / n : NaN;
}

/** A percentage to one decimal ("–" when not finite). */
export const pct = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(1)}%` : "–");
/** A number to one decimal for tables ("–" when missing). */
export const r1 = (x?: number): number | string => (x === undefined || !Number.isFinite(x) ? "–" : Number(x.toFixed(1)));
