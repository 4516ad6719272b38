/**
 * The audit's view of a prediction's uncertainty: the 80% interval of each metric with the class of
 * basis its width was measured for, and which distance from the fit (assumption) contributes most to
 * the width (lib/uncertainty/attribution.ts).
 */
import type { RunPrediction } from "../run/predict";
import type { ResolvedRun } from "../run/request";
import { widthAttribution, type DistanceContribution } from "../uncertainty/attribution";
import { pointOf, predictionIntervals, widthSource } from "../uncertainty/interval";
import { loadWidths, INTERVAL_METRICS } from "../uncertainty/widths";

export interface AuditInterval {
  /** The prediction_basis phrase. */
  basis: string;
  /** Nominal central coverage of [low, high]. */
  nominal: number;
  metrics: { metric: string; predicted: number; low: number; high: number; widthClass: string; n: number; source: string }[];
  /** Each distance from the fit and the width it accounts for, largest first. */
  contributions: DistanceContribution[];
  /** The assumption that contributes most to the width, in words (null when the request is like the fit). */
  largest: string | null;
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

export function auditInterval(r: ResolvedRun, base: RunPrediction): AuditInterval {
  const x = predictionIntervals(r, pointOf(base));
  const metrics: AuditInterval["metrics"] = [];
  for (const m of INTERVAL_METRICS) {
    const i = x.metrics[m.key];
    if (i) metrics.push({ metric: m.label, predicted: i.predicted, low: i.low.value, high: i.high.value, widthClass: i.width.key, n: i.width.n, source: widthSource(i.width) });
  }
  const contributions = widthAttribution(x.basis, loadWidths()?.classes ?? []);
  const top = contributions.find((c) => Number.isFinite(c.share));
  const total = top?.width.throughput;
  const largest = top
    ? `${top.assumption} (${top.dimension} = ${top.value}): ${pct(top.share)} of the prediction's relative width (p90 − p10)/predicted, averaged over the metrics${Number.isFinite(total!) ? `; the throughput interval is ${pct(total!)} wide` : ""} (shares of every distance: ${contributions.map((c) => `${c.dimension} ${pct(c.share)}`).join(", ")})`
    : null;
  return { basis: x.basis.phrase, nominal: x.nominal, metrics, contributions, largest };
}
