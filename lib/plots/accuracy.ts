import { axis, baseLayout, color, naturalCompare, plotText } from "./style";
import type { AccuracyPoint, Figure, Shape, Trace } from "./types";

/** Signed relative error of a prediction, in percent: (predicted − actual) / actual × 100. */
export function relativeErrorPct(p: { actual: number; predicted: number }): number {
  if (!(p.actual > 0)) throw new Error(`relative error needs actual > 0, got ${p.actual}`);
  return ((p.predicted - p.actual) / p.actual) * 100;
}

export interface AccuracySummary {
  n: number;
  /** Mean absolute percentage error. */
  mapePct: number;
  medianAbsPct: number;
  /** Mean signed error: > 0 means predictions run high. */
  biasPct: number;
  /** Share of points with |error| ≤ band (0..1). */
  withinBand: number;
  band: number;
}

/** Summary statistics of a set of predictions; points with actual ≤ 0 are ignored. */
export function accuracySummary(points: AccuracyPoint[], band = 0.2): AccuracySummary {
  const errs = points.filter((p) => p.actual > 0 && Number.isFinite(p.predicted)).map(relativeErrorPct);
  const abs = errs.map(Math.abs).sort((a, b) => a - b);
  const n = errs.length;
  const mid = n === 0 ? NaN : n % 2 ? abs[(n - 1) / 2] : (abs[n / 2 - 1] + abs[n / 2]) / 2;
  return {
    n,
    mapePct: n ? abs.reduce((s, e) => s + e, 0) / n : NaN,
    medianAbsPct: mid,
    biasPct: n ? errs.reduce((s, e) => s + e, 0) / n : NaN,
    withinBand: n ? abs.filter((e) => e <= band * 100 + 1e-9).length / n : NaN,
    band,
  };
}

/** Group key of a point: `by` names a tag (or "group"/"label"), or is a function. */
export type GroupBy = string | ((p: AccuracyPoint) => string | number | undefined);

export function groupKey(p: AccuracyPoint, by: GroupBy | undefined): string {
  let k: string | number | undefined;
  if (by === undefined || by === "group") k = p.group;
  else if (typeof by === "function") k = by(p);
  else if (by === "label") k = p.label;
  else k = p.tags?.[by];
  return k === undefined || k === "" ? "(none)" : String(k);
}

function groupPoints(points: AccuracyPoint[], by: GroupBy | undefined, order?: string[]): [string, AccuracyPoint[]][] {
  const groups = new Map<string, AccuracyPoint[]>();
  for (const p of points) {
    const k = groupKey(p, by);
    const g = groups.get(k);
    if (g) g.push(p);
    else groups.set(k, [p]);
  }
  const keys = [...groups.keys()];
  const rank = (k: string) => {
    const i = order ? order.indexOf(k) : -1;
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  keys.sort((a, b) => rank(a) - rank(b) || naturalCompare(a, b));
  return keys.map((k) => [k, groups.get(k)!]);
}

export interface PredictedVsActualOptions {
  title?: string;
  /** Unit of the metric, shown in axis titles ("ms", "tokens/s"). */
  unit?: string;
  /** Metric name for axis titles, default "value". */
  metric?: string;
  /** Half-width of the tolerance band, default 0.2 (±20%). */
  band?: number;
  /** Colour groups; default the points' `group`. */
  colorBy?: GroupBy;
}

/**
 * Predicted (y) against measured (x) on log–log axes, with the y = x line and the
 * (1 − band)·x and (1 + band)·x lines. Points with a non-positive value cannot sit on log axes:
 * they are left out and counted in an annotation.
 */
export function predictedVsActual(points: AccuracyPoint[], opts: PredictedVsActualOptions = {}): Figure {
  const band = opts.band ?? 0.2;
  const metric = opts.metric ?? "value";
  const unit = opts.unit ? ` (${opts.unit})` : "";
  const shown = points.filter((p) => p.actual > 0 && p.predicted > 0 && Number.isFinite(p.actual + p.predicted));
  const dropped = points.length - shown.length;
  const values = shown.flatMap((p) => [p.actual, p.predicted]);
  const lo = values.length ? Math.min(...values) / 1.5 : 0.1;
  const hi = values.length ? Math.max(...values) * 1.5 : 10;
  const xs = [lo, hi];
  const pct = Math.round(band * 100);

  const data: Trace[] = groupPoints(shown, opts.colorBy, undefined).map(([name, g], i) => ({
    type: "scatter",
    mode: "markers",
    name,
    x: g.map((p) => p.actual),
    y: g.map((p) => p.predicted),
    text: g.map((p) => p.label ?? ""),
    customdata: g.map((p) => relativeErrorPct(p)),
    hovertemplate: `%{text}<br>actual %{x:.4g}<br>predicted %{y:.4g}<br>error %{customdata:+.1f}%<extra>${plotText(name)}</extra>`,
    marker: { color: color(i), size: 8, opacity: 0.85, line: { width: 0.5, color: "#333" } },
    ...(g.some(hasInterval) ? { error_y: intervalBars(g, (p) => p.predicted, (p) => p.low, (p) => p.high, color(i)) } : {}),
  }));
  data.push(
    {
      type: "scatter",
      mode: "lines",
      name: "y = x",
      x: xs,
      y: xs.map((x) => x),
      line: { color: "#444", width: 1.5 },
      hoverinfo: "skip",
    },
    {
      type: "scatter",
      mode: "lines",
      name: `+${pct}%`,
      legendgroup: "band",
      x: xs,
      y: xs.map((x) => x * (1 + band)),
      line: { color: "#888", width: 1, dash: "dash" },
      hoverinfo: "skip",
    },
    {
      type: "scatter",
      mode: "lines",
      name: `−${pct}%`,
      legendgroup: "band",
      x: xs,
      y: xs.map((x) => x * (1 - band)),
      line: { color: "#888", width: 1, dash: "dash" },
      hoverinfo: "skip",
    },
  );
  const range = [Math.log10(lo), Math.log10(hi)];
  const s = accuracySummary(shown, band);
  const annotations: Record<string, unknown>[] = [
    {
      xref: "paper",
      yref: "paper",
      x: 0.01,
      y: 0.99,
      xanchor: "left",
      yanchor: "top",
      showarrow: false,
      align: "left",
      text:
        `n = ${s.n}, MAPE ${fmt(s.mapePct)}%, within ±${pct}%: ${fmt(s.withinBand * 100)}%` +
        (shown.some(hasInterval) ? `<br>measured inside the predicted interval: ${fmt(insideInterval(shown) * 100)}% (error bars)` : "") +
        (dropped ? `<br>${dropped} point(s) with a non-positive value not shown` : ""),
      font: { size: 12 },
      bgcolor: "rgba(255,255,255,0.8)",
    },
  ];
  return {
    data,
    layout: baseLayout(opts.title ?? `Predicted vs measured ${metric}`, {
      xaxis: axis(`measured ${metric}${unit}`, { type: "log", range }),
      yaxis: axis(`predicted ${metric}${unit}`, { type: "log", range, scaleanchor: "x", scaleratio: 1 }),
      annotations,
    }),
  };
}

const hasInterval = (p: AccuracyPoint) => Number.isFinite(p.low) && Number.isFinite(p.high);

/** Share of points with an interval whose measured value lies inside it. */
export function insideInterval(points: AccuracyPoint[]): number {
  const w = points.filter(hasInterval);
  return w.length ? w.filter((p) => p.actual >= p.low! && p.actual <= p.high!).length / w.length : NaN;
}

/** Asymmetric plotly error bars from each point's value to its interval (none where a point has no interval). */
export function intervalBars<T>(points: T[], value: (p: T) => number, low: (p: T) => number | undefined, high: (p: T) => number | undefined, c: string): Record<string, unknown> {
  const ok = (x: number | undefined): x is number => Number.isFinite(x);
  return {
    type: "data",
    symmetric: false,
    array: points.map((p) => (ok(high(p)) ? Math.max(0, high(p)! - value(p)) : null)),
    arrayminus: points.map((p) => (ok(low(p)) ? Math.max(0, value(p) - low(p)!) : null)),
    color: c,
    thickness: 1,
    width: 2,
  };
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(1) : "–";
}

function bandShapes(band: number, orientation: "vertical" | "horizontal"): Shape[] {
  const line = { color: "#888", width: 1, dash: "dash" };
  const at = [-band * 100, 0, band * 100];
  return at.map((v) =>
    orientation === "vertical"
      ? { type: "line", xref: "x", yref: "paper", x0: v, x1: v, y0: 0, y1: 1, line: v === 0 ? { ...line, dash: "solid" } : line }
      : { type: "line", xref: "paper", yref: "y", x0: 0, x1: 1, y0: v, y1: v, line: v === 0 ? { ...line, dash: "solid" } : line },
  );
}

export interface ErrorHistogramOptions {
  title?: string;
  metric?: string;
  /** Bin width in percentage points, default 5. */
  binPct?: number;
  band?: number;
  /** Overlay one histogram per group instead of one for all points. */
  by?: GroupBy;
}

/** Histogram of signed relative errors (%), with lines at 0 and ±band. */
export function errorHistogram(points: AccuracyPoint[], opts: ErrorHistogramOptions = {}): Figure {
  const band = opts.band ?? 0.2;
  const size = opts.binPct ?? 5;
  const valid = points.filter((p) => p.actual > 0 && Number.isFinite(p.predicted));
  const groups: [string, AccuracyPoint[]][] = opts.by === undefined ? [["all", valid]] : groupPoints(valid, opts.by);
  const errs = valid.map(relativeErrorPct);
  const start = Math.floor((errs.length ? Math.min(...errs) : -band * 100) / size) * size;
  const data: Trace[] = groups.map(([name, g], i) => ({
    type: "histogram",
    name,
    x: g.map(relativeErrorPct),
    xbins: { start, size },
    marker: { color: color(i), line: { color: "#fff", width: 0.5 } },
    opacity: groups.length > 1 ? 0.6 : 0.9,
    hovertemplate: `%{x}: %{y} point(s)<extra>${plotText(name)}</extra>`,
  }));
  return {
    data,
    layout: baseLayout(opts.title ?? `Prediction error${opts.metric ? ` of ${opts.metric}` : ""}`, {
      barmode: "overlay",
      showlegend: groups.length > 1,
      xaxis: axis("relative error (predicted − measured) / measured, %", { ticksuffix: "%" }),
      yaxis: axis("points"),
      shapes: bandShapes(band, "vertical"),
    }),
  };
}

export interface ErrorBoxOptions {
  title?: string;
  metric?: string;
  band?: number;
  /** Category order; unlisted categories follow in natural order. */
  order?: string[];
  /** Axis title for the categories, default the `by` name. */
  categoryTitle?: string;
}

/** Box plots of signed relative error (%) per category (TP, framework, ISL/OSL, …), all points shown. */
export function errorBoxPlot(points: AccuracyPoint[], by: GroupBy = "group", opts: ErrorBoxOptions = {}): Figure {
  const band = opts.band ?? 0.2;
  const valid = points.filter((p) => p.actual > 0 && Number.isFinite(p.predicted));
  const groups = groupPoints(valid, by, opts.order);
  const data: Trace[] = groups.map(([name, g], i) => ({
    type: "box",
    name,
    y: g.map(relativeErrorPct),
    text: g.map((p) => p.label ?? ""),
    boxpoints: "all",
    jitter: 0.4,
    pointpos: 0,
    marker: { color: color(i), size: 5, opacity: 0.7 },
    line: { color: color(i) },
    hovertemplate: `%{text}<br>error %{y:+.1f}%<extra>${plotText(name)}</extra>`,
  }));
  const byName = typeof by === "string" ? by : "category";
  return {
    data,
    layout: baseLayout(opts.title ?? `Prediction error${opts.metric ? ` of ${opts.metric}` : ""} by ${byName}`, {
      showlegend: false,
      xaxis: axis(opts.categoryTitle ?? byName, { type: "category" }),
      yaxis: axis("relative error, %", { ticksuffix: "%" }),
      shapes: bandShapes(band, "horizontal"),
    }),
  };
}
