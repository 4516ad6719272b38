import { axis, baseLayout, color, plotText } from "./style";
import type { Figure, ParetoPoint, Trace } from "./types";

/**
 * The Pareto frontier of `points` when both coordinates are to be maximised: the points that no
 * other point beats or equals on both x and y (with one strictly better). Exact duplicates are
 * kept once. Returned in ascending x (so descending y). Points with a non-finite coordinate are
 * ignored.
 */
export function paretoFrontier<T>(points: readonly T[], getX: (p: T) => number, getY: (p: T) => number): T[] {
  const valid = points.filter((p) => Number.isFinite(getX(p)) && Number.isFinite(getY(p)));
  // Sweep from the largest x down; within equal x, largest y first.
  const sorted = [...valid].sort((a, b) => getX(b) - getX(a) || getY(b) - getY(a));
  const front: T[] = [];
  let bestY = -Infinity;
  for (const p of sorted) {
    if (getY(p) > bestY) {
      front.push(p);
      bestY = getY(p);
    }
  }
  return front.reverse();
}

/** Frontier of throughput per GPU (y) against tokens/s per user (x). */
export function servingFrontier<T extends ParetoPoint>(points: readonly T[]): T[] {
  return paretoFrontier(points, (p) => p.tokPerSecPerUser, (p) => p.tokPerSecPerGpu);
}

export interface ParetoSeries {
  name: string;
  points: ParetoPoint[];
  /** Measured series draw solid, predicted ones dashed. */
  kind?: "measured" | "predicted";
}

export interface ParetoOptions {
  title?: string;
  logX?: boolean;
  logY?: boolean;
  /** Show the dominated points faintly (default true). */
  showAll?: boolean;
}

/**
 * Throughput-interactivity Pareto chart: for each series, every configuration as a faint marker
 * and its frontier as a line. Use `paretoComparison` for the usual measured-vs-predicted pair.
 */
export function paretoPlot(series: ParetoSeries[], opts: ParetoOptions = {}): Figure {
  const data: Trace[] = [];
  series.forEach((s, i) => {
    const c = color(i);
    const dash = s.kind === "predicted" ? "dash" : "solid";
    const symbol = s.kind === "predicted" ? "diamond" : "circle";
    const hover = `%{text}<br>%{x:.4g} tok/s/user<br>%{y:.4g} tok/s/GPU<extra>${plotText(s.name)}</extra>`;
    const valid = s.points.filter((p) => Number.isFinite(p.tokPerSecPerUser) && Number.isFinite(p.tokPerSecPerGpu));
    if (opts.showAll ?? true) {
      data.push({
        type: "scatter",
        mode: "markers",
        name: `${s.name} (all)`,
        legendgroup: s.name,
        showlegend: false,
        x: valid.map((p) => p.tokPerSecPerUser),
        y: valid.map((p) => p.tokPerSecPerGpu),
        text: valid.map((p) => p.label ?? ""),
        hovertemplate: hover,
        marker: { color: c, size: 6, opacity: 0.3, symbol },
      });
    }
    const front = servingFrontier(valid);
    data.push({
      type: "scatter",
      mode: "lines+markers",
      name: `${s.name} frontier`,
      legendgroup: s.name,
      x: front.map((p) => p.tokPerSecPerUser),
      y: front.map((p) => p.tokPerSecPerGpu),
      text: front.map((p) => p.label ?? ""),
      hovertemplate: hover,
      line: { color: c, width: 2, dash },
      marker: { color: c, size: 8, symbol },
    });
  });
  return {
    data,
    layout: baseLayout(opts.title ?? "Throughput vs interactivity", {
      xaxis: axis("output tokens/s per user", opts.logX ? { type: "log" } : {}),
      yaxis: axis("output tokens/s per GPU", opts.logY ? { type: "log" } : {}),
    }),
  };
}

/** Measured and predicted frontiers of the same sweep on one chart. */
export function paretoComparison(
  measured: ParetoPoint[],
  predicted: ParetoPoint[],
  opts: ParetoOptions & { measuredName?: string; predictedName?: string } = {},
): Figure {
  return paretoPlot(
    [
      { name: opts.measuredName ?? "measured", points: measured, kind: "measured" },
      { name: opts.predictedName ?? "predicted", points: predicted, kind: "predicted" },
    ],
    opts,
  );
}
