/** One definition of each statistic the project reports (quantiles as numpy's default, MAPE, medians). */

/** Quantile of sorted values, linear interpolation between closest ranks (numpy's default), as benchmark clients compute it. */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Quantile of unsorted values (sorts a copy), linear interpolation as above. */
export function quantileOf(values: number[], q: number): number {
  return percentile([...values].sort((a, b) => a - b), q);
}

export function median(values: number[]): number {
  return quantileOf(values, 0.5);
}

export function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

/** Mean absolute percentage error of predicted vs actual pairs (pairs with a non-finite or zero actual are skipped). */
export function mape(pairs: { predicted: number; actual: number }[]): number {
  const ok = pairs.filter((p) => Number.isFinite(p.predicted) && Number.isFinite(p.actual) && p.actual !== 0);
  return mean(ok.map((p) => (100 * Math.abs(p.predicted - p.actual)) / Math.abs(p.actual)));
}

export interface Distribution {
  mean: number;
  median: number;
  p90: number;
  p99: number;
}

export function distribution(values: number[]): Distribution {
  const s = [...values].sort((a, b) => a - b);
  const m = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { mean: m, median: percentile(s, 0.5), p90: percentile(s, 0.9), p99: percentile(s, 0.99) };
}

/** Percentiles of values with integer weights, without expanding them. */
export function weightedDistribution(values: number[], weights: number[]): Distribution {
  const idx = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const total = weights.reduce((a, b) => a + b, 0);
  let m = 0;
  for (let i = 0; i < values.length; i++) m += values[i] * weights[i];
  m /= Math.max(total, 1);
  const at = (q: number) => {
    const target = q * total;
    let acc = 0;
    for (const i of idx) {
      acc += weights[i];
      if (acc >= target) return values[i];
    }
    return values[idx[idx.length - 1]];
  };
  return { mean: m, median: at(0.5), p90: at(0.9), p99: at(0.99) };
}
