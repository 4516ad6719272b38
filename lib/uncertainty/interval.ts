/**
 * Prediction intervals: a predicted value times exp(quantile of ln(actual/predicted)) of the class
 * its basis falls in. `predictionIntervals(run, point)` is what every prediction reports (CSV rows,
 * estimate, size, audit, bundles); each bound explains itself (formula, the measured quantile, its
 * class, sample size and splits).
 */
import { listProfiles } from "../calibration/profile";
import { derive, fact, type Explained } from "../core/explain";
import { InputError } from "../core/validate";
import type { HeadlineMetrics } from "../run/predict";
import type { ResolvedRun } from "../run/request";
import { classify, profileFingerprint, type Basis, type BasisContext } from "./basis";
import { uncertaintySettings, type UncertaintySettings } from "./settings";
import { INTERVAL_METRICS, loadWidths, logQuantile, recordedCoverage, widthFor, type Classes, type IntervalMetric, type WidthUsed, type WidthsFile } from "./widths";

export interface MetricInterval {
  metric: IntervalMetric;
  predicted: number;
  low: Explained;
  high: Explained;
  width: WidthUsed;
}

export interface PredictionIntervals {
  basis: Basis;
  /** Per metric; null when the point is not finite or no width is measured for it. */
  metrics: Record<IntervalMetric, MetricInterval | null>;
  /** Nominal central coverage of [low, high] (0.8 for p10–p90). */
  nominal: number;
}

export type PointPrediction = Record<IntervalMetric, number>;

const pct = (q: number) => `p${Math.round(q * 100)}`;

/** Where a width came from, in words (the provenance of its quantiles). */
export function widthSource(w: WidthUsed, file = "data/uncertainty/widths.json"): string {
  const splits = Object.entries(w.splits).map(([k, n]) => `${k} ${n}`).join(", ");
  const fell = w.level > 0 ? `; fell back from ${w.thin.map((t) => `"${t.key}" (n=${t.n})`).join(", ")} (fewer than the minimum)` : "";
  return `${file}: class "${w.key}", ${w.metric}, n=${w.n} held-out residuals (${splits})${fell}`;
}

/** The bound of a point prediction at quantile q of its width: predicted × exp(q-quantile of ln(actual/predicted)). */
export function boundAt(predicted: number, unit: string, w: WidthUsed, q: number, file?: string): Explained {
  const lq = logQuantile(w, q);
  const name = `${pct(q)}_ln_ratio`;
  return derive(predicted * Math.exp(lq), unit, `predicted × exp(${name})`, {
    predicted: fact(predicted, unit, "derived", "the simulated prediction"),
    [name]: fact(lq, "ln(actual/predicted)", "measurement", widthSource(w, file)),
  });
}

/** Intervals of a point prediction with a given basis and widths. */
export function intervalsFor(basis: Basis, point: PointPrediction, classes: Classes, s: UncertaintySettings = uncertaintySettings(), file?: string): PredictionIntervals {
  const lo = s.interval.lower.value;
  const hi = s.interval.upper.value;
  const metrics = {} as PredictionIntervals["metrics"];
  for (const m of INTERVAL_METRICS) {
    const v = point[m.key];
    const w = widthFor(classes, basis, m.key, s);
    metrics[m.key] = Number.isFinite(v) && v > 0 && w ? { metric: m.key, predicted: v, low: boundAt(v, m.unit, w, lo, file), high: boundAt(v, m.unit, w, hi, file), width: w } : null;
  }
  return { basis, metrics, nominal: hi - lo };
}

/** The profiles in data/calibration and what each was fitted on (recorded in widths.json for that very profile). */
export function productionContext(widths: WidthsFile | null = loadWidths()): BasisContext {
  const profiles = listProfiles().filter((p) => p.hardware && p.engine);
  const prints = new Map(profiles.map((p) => [p.name, profileFingerprint(p)]));
  return { profiles, coverage: (name) => recordedCoverage(widths, name, prints.get(name) ?? "") };
}

let context: BasisContext | undefined;

/** The basis and intervals of a resolved run's prediction, from data/calibration and data/uncertainty/widths.json. */
export function predictionIntervals(run: ResolvedRun, point: PointPrediction): PredictionIntervals {
  const widths = loadWidths();
  if (!context) context = productionContext(widths);
  return intervalsFor(classify(run, context), point, widths?.classes ?? []);
}

/** The pessimistic bound of a metric at a one-sided confidence (e.g. TTFT that holds with probability 0.9). */
export function pessimisticFactor(w: WidthUsed, confidence: number, higherIsWorse: boolean): number {
  return Math.exp(logQuantile(w, higherIsWorse ? confidence : 1 - confidence));
}

/** How much worse than predicted a metric may be at a one-sided confidence, for a run's basis. */
export interface ConfidenceMargin {
  confidence: number;
  metric: IntervalMetric;
  /** pessimistic / predicted: exp(q) of ln(actual/predicted) at the confidence (latencies) or at 1 − confidence (throughputs). */
  factor: Explained;
  basis: Basis;
  width: WidthUsed;
  /** Where the width came from (class, sample, splits). */
  source: string;
}

const HIGHER_IS_WORSE: Record<IntervalMetric, boolean> = { throughput: false, output_throughput: false, ttft: true, tpot: true, e2e: true };

/** The margin of a metric at a confidence (e.g. 0.9: TTFT at most predicted × factor in 90% of measured cases of this basis). */
export function confidenceMargin(run: ResolvedRun, metric: IntervalMetric, confidence: number, load?: string): ConfidenceMargin {
  const s = uncertaintySettings();
  const grid = s.quantile_grid.value;
  if (!(confidence >= 0.5 && confidence <= grid[grid.length - 1])) throw new InputError(`confidence must be between 0.5 and ${grid[grid.length - 1]} (the measured widths hold quantiles ${grid[0]}–${grid[grid.length - 1]}); got ${confidence}`);
  const widths = loadWidths();
  if (!context) context = productionContext(widths);
  const basis = classify(run, context, load);
  const width = widthFor(widths?.classes ?? [], basis, metric, s);
  if (!width) throw new InputError(`no measured width for ${metric} (data/uncertainty/widths.json is missing or has no ${metric} residuals): run npm run generalisation`);
  const q = HIGHER_IS_WORSE[metric] ? confidence : 1 - confidence;
  const lq = logQuantile(width, q);
  const name = `${pct(q)}_ln_ratio`;
  const source = widthSource(width);
  const factor = derive(Math.exp(lq), "×", `exp(${name})`, { [name]: fact(lq, "ln(actual/predicted)", "measurement", source) });
  return { confidence, metric, factor, basis, width, source };
}

/** The point prediction of the interval metrics from a run's headline numbers. */
export function pointOf(p: HeadlineMetrics): PointPrediction {
  return { throughput: p.throughputPerGpu, output_throughput: p.outputThroughputPerGpu, ttft: p.ttft, tpot: p.tpot, e2e: p.e2e };
}

/** The CSV columns of the intervals (<predicted column>_p10 / _p90 per metric) and the basis. */
export const INTERVAL_COLUMNS = [...INTERVAL_METRICS.flatMap((m) => [`${m.column}_p10`, `${m.column}_p90`]), "prediction_basis"];

/** The interval cells of one prediction (empty where the point is not finite or no width is measured). */
export function intervalCells(x: PredictionIntervals): Record<string, string> {
  const out: Record<string, string> = { prediction_basis: x.basis.phrase };
  for (const m of INTERVAL_METRICS) {
    const i = x.metrics[m.key];
    out[`${m.column}_p10`] = i ? String(i.low.value) : "";
    out[`${m.column}_p90`] = i ? String(i.high.value) : "";
  }
  return out;
}
