import { axis, baseLayout, color, plotText } from "./style";
import type { Figure, Trace } from "./types";

export interface BarSeries {
  name: string;
  /** One value per category; null leaves a gap (e.g. a dtype a chip does not support). */
  values: (number | null)[];
}

export interface BarChartOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  barmode?: "group" | "stack";
  logY?: boolean;
  /** Print each bar's value on it, with this many significant digits (default off). */
  labels?: number;
  horizontal?: boolean;
}

/** Grouped (or stacked) bars: one bar per category per series. */
export function barChart(categories: string[], series: BarSeries[], opts: BarChartOptions = {}): Figure {
  for (const s of series) {
    if (s.values.length !== categories.length) {
      throw new Error(`bar series "${s.name}" has ${s.values.length} values for ${categories.length} categories`);
    }
  }
  const h = opts.horizontal === true;
  const data: Trace[] = series.map((s, i) => ({
    type: "bar",
    name: s.name,
    orientation: h ? "h" : "v",
    x: h ? s.values : categories,
    y: h ? categories : s.values,
    marker: { color: color(i) },
    ...(opts.labels
      ? {
          text: s.values.map((v) => (v === null ? "" : Number(v.toPrecision(opts.labels)).toString())),
          textposition: "outside",
        }
      : {}),
    hovertemplate: h ? `%{y}: %{x:.4g}<extra>${plotText(s.name)}</extra>` : `%{x}: %{y:.4g}<extra>${plotText(s.name)}</extra>`,
  }));
  const valueAxis = axis(opts.yTitle, opts.logY ? { type: "log" } : {});
  const catAxis = axis(opts.xTitle, { type: "category" });
  return {
    data,
    layout: baseLayout(opts.title, {
      barmode: opts.barmode ?? "group",
      showlegend: series.length > 1,
      xaxis: h ? valueAxis : catAxis,
      yaxis: h ? catAxis : valueAxis,
    }),
  };
}

export interface LineSeries {
  name: string;
  x: number[];
  y: number[];
  /** Default "lines+markers". */
  mode?: "lines" | "markers" | "lines+markers";
  dash?: "solid" | "dash" | "dot" | "dashdot";
  /** Hover labels, one per point. */
  text?: string[];
}

export interface LineChartOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  logX?: boolean;
  logY?: boolean;
}

/** Lines (or markers) sharing x/y axes. */
export function lineChart(series: LineSeries[], opts: LineChartOptions = {}): Figure {
  for (const s of series) {
    if (s.x.length !== s.y.length) throw new Error(`line series "${s.name}" has ${s.x.length} x and ${s.y.length} y`);
  }
  const data: Trace[] = series.map((s, i) => ({
    type: "scatter",
    mode: s.mode ?? "lines+markers",
    name: s.name,
    x: s.x,
    y: s.y,
    ...(s.text ? { text: s.text } : {}),
    line: { color: color(i), width: 2, dash: s.dash ?? "solid" },
    marker: { color: color(i), size: 6 },
  }));
  return {
    data,
    layout: baseLayout(opts.title, {
      showlegend: series.length > 1,
      xaxis: axis(opts.xTitle, opts.logX ? { type: "log" } : {}),
      yaxis: axis(opts.yTitle, opts.logY ? { type: "log" } : {}),
    }),
  };
}
