/**
 * Figures of prediction intervals: the reliability diagram (nominal vs observed coverage of the
 * intervals on held-out rows) and the coverage of the 80% interval per split against its target band.
 */
import { axis, baseLayout, color, plotText } from "./style";
import type { Figure, Shape, Trace } from "./types";

/** One curve of a reliability diagram: observed coverage at each nominal level (e.g. one split and metric). */
export interface ReliabilitySeries {
  name: string;
  points: { nominal: number; observed: number }[];
  /** Held-out values scored (shown on hover). */
  n?: number;
}

export interface ReliabilityOptions {
  title?: string;
  /** A band of acceptable observed coverage around a nominal level, e.g. { nominal: 0.8, low: 0.75, high: 0.85 }. */
  target?: { nominal: number; low: number; high: number };
}

/**
 * Nominal (x) against observed (y) central coverage, one line per series, with the diagonal a
 * perfectly calibrated interval follows; points below it are intervals that are too narrow.
 */
export function reliabilityDiagram(series: ReliabilitySeries[], opts: ReliabilityOptions = {}): Figure {
  const data: Trace[] = series.map((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p.observed)).sort((a, b) => a.nominal - b.nominal);
    return {
      type: "scatter",
      mode: "lines+markers",
      name: s.name,
      x: pts.map((p) => 100 * p.nominal),
      y: pts.map((p) => 100 * p.observed),
      hovertemplate: `nominal %{x:.0f}%<br>observed %{y:.1f}%${s.n !== undefined ? `<br>n = ${s.n}` : ""}<extra>${plotText(s.name)}</extra>`,
      marker: { color: color(i), size: 8 },
      line: { color: color(i), width: 1.5 },
    };
  });
  data.push({ type: "scatter", mode: "lines", name: "perfectly calibrated", x: [0, 100], y: [0, 100], line: { color: "#444", width: 1, dash: "dash" }, hoverinfo: "skip" });
  const shapes: Shape[] = [];
  if (opts.target) {
    const t = opts.target;
    shapes.push({ type: "rect", xref: "x", yref: "y", x0: 100 * t.nominal - 1.5, x1: 100 * t.nominal + 1.5, y0: 100 * t.low, y1: 100 * t.high, fillcolor: "#2ca02c", opacity: 0.25, line: { width: 0 }, layer: "below" });
  }
  return {
    data,
    layout: baseLayout(opts.title ?? "Reliability of the prediction intervals", {
      xaxis: axis("nominal coverage (%)", { range: [0, 100], dtick: 10 }),
      yaxis: axis("observed coverage on held-out rows (%)", { range: [0, 100], dtick: 10 }),
      shapes,
    }),
  };
}

/** Observed coverage of the nominal interval per category (split) and metric, grouped bars, with the target band. */
export function coverageBars(categories: string[], series: { metric: string; coverage: number[] }[], opts: { title?: string; nominal?: number; target?: [number, number] } = {}): Figure {
  const data: Trace[] = series.map((s, i) => ({
    type: "bar",
    name: s.metric,
    x: categories,
    y: s.coverage.map((c) => (Number.isFinite(c) ? 100 * c : null)),
    marker: { color: color(i) },
    hovertemplate: `%{x}<br>%{y:.1f}%<extra>${plotText(s.metric)}</extra>`,
  }));
  const shapes: Shape[] = opts.target
    ? [{ type: "rect", xref: "paper", yref: "y", x0: 0, x1: 1, y0: 100 * opts.target[0], y1: 100 * opts.target[1], fillcolor: "#2ca02c", opacity: 0.2, line: { width: 0 }, layer: "below" }]
    : [];
  return {
    data,
    layout: baseLayout(opts.title ?? `Coverage of the ${Math.round(100 * (opts.nominal ?? 0.8))}% interval on held-out rows`, {
      barmode: "group",
      xaxis: axis(undefined, { type: "category" }),
      yaxis: axis("observed coverage (%)", { range: [0, 100] }),
      shapes,
    }),
  };
}
