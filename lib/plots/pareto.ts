import { paretoFrontier } from "../core/pareto";
import { axis, baseLayout, color, plotText } from "./style";
import type { Figure, ParetoPoint, Trace } from "./types";

export { paretoFrontier };

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
