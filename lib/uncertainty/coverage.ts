/**
 * How honest the intervals are on a held-out split: each record's interval comes from widths measured
 * WITHOUT the rows of its held-out group (nested: the width for "another model" when model m is held
 * out is measured on the other models' held-out errors), then coverage (share of measured values
 * inside), median relative width ((p90 − p10) / predicted) and MAPE per metric, and the reliability
 * curve (nominal vs observed central coverage).
 */
import { mape, median } from "../core/stats";
import { uncertaintySettings, type UncertaintySettings } from "./settings";
import { logQuantile, residualClasses, logRatio, METRIC_KEYS, widthFor, type IntervalMetric, type ResidualRecord, type WidthUsed } from "./widths";

export interface MetricEvaluation {
  /** Held-out rows measured. */
  n: number;
  mape: number;
  /** Rows that got an interval (a width measured outside their group). */
  withInterval: number;
  /** Share of those inside the nominal interval (p10–p90); NaN when none. */
  coverage: number;
  medianRelativeWidth: number;
  /** Observed central coverage at each nominal level (settings.reliability). */
  reliability: { nominal: number; observed: number }[];
  /** Residuals per class the widths came from (key → rows). */
  classes: Record<string, number>;
}

export type Evaluation = Record<IntervalMetric, MetricEvaluation>;

/** A held-out record with the width it got (undefined: none measured outside its group). */
export interface Scored {
  record: ResidualRecord;
  width: WidthUsed | undefined;
}

/**
 * Widths for the records of one held-out group, measured on the pool without that group's rows.
 * `by` names the label that was held out (the record's groups[by]); "row" holds out each record's own
 * row only (the in-distribution check: a configuration like the fit, its width from the other
 * configurations' out-of-fold residuals).
 */
export function scoreFold(fold: ResidualRecord[], pool: ResidualRecord[], by: string, group: string, s: UncertaintySettings = uncertaintySettings()): Scored[] {
  if (by === "row") return fold.map((record) => ({ record, width: widthFor(residualClasses(pool.filter((r) => r.row !== record.row)), record.basis, record.metric, s) }));
  const classes = residualClasses(pool.filter((r) => r.groups[by] !== group));
  return fold.map((record) => ({ record, width: widthFor(classes, record.basis, record.metric, s) }));
}

/** Whether ln(actual/predicted) lies in the central `nominal` interval of a width. */
export function covers(w: WidthUsed, x: number, nominal: number): boolean {
  return x >= logQuantile(w, (1 - nominal) / 2) && x <= logQuantile(w, (1 + nominal) / 2);
}

/** Coverage, width and error per metric of scored held-out records. */
export function evaluate(scored: Scored[], s: UncertaintySettings = uncertaintySettings()): Evaluation {
  const out = {} as Evaluation;
  const lo = s.interval.lower.value;
  const hi = s.interval.upper.value;
  for (const metric of METRIC_KEYS) {
    const rows = scored.filter((x) => x.record.metric === metric);
    const withW = rows.filter((x) => x.width);
    const share = (f: (x: Scored) => boolean) => (withW.length ? withW.filter(f).length / withW.length : NaN);
    const classes: Record<string, number> = {};
    for (const x of withW) classes[x.width!.key] = (classes[x.width!.key] ?? 0) + 1;
    out[metric] = {
      n: rows.length,
      mape: rows.length ? mape(rows.map((x) => ({ predicted: x.record.predicted, actual: x.record.actual }))) : NaN,
      withInterval: withW.length,
      coverage: share((x) => covers(x.width!, logRatio(x.record), hi - lo)),
      medianRelativeWidth: withW.length ? median(withW.map((x) => Math.exp(logQuantile(x.width!, hi)) - Math.exp(logQuantile(x.width!, lo)))) : NaN,
      reliability: s.reliability.value.map((nominal) => ({ nominal, observed: share((x) => covers(x.width!, logRatio(x.record), nominal)) })),
      classes,
    };
  }
  return out;
}
