import { axis, baseLayout, color, plotText } from "./style";
import type { Figure, Shape, Trace } from "./types";

/**
 * Ridge point of a roofline, in FLOP per byte: the arithmetic intensity at which the memory
 * roof (bandwidth × intensity) meets the compute roof. TFLOPS / (TB/s) = FLOP/byte.
 */
export function ridgePoint(peakTflops: number, bandwidthTBps: number): number {
  if (!(peakTflops > 0) || !(bandwidthTBps > 0)) {
    throw new Error(`ridge point needs positive peak and bandwidth, got ${peakTflops} TFLOPS, ${bandwidthTBps} TB/s`);
  }
  return peakTflops / bandwidthTBps;
}

/** Attainable TFLOPS at `intensity` FLOP/byte: min(peak, bandwidth × intensity). */
export function attainableTflops(peakTflops: number, bandwidthTBps: number, intensity: number): number {
  // Compare with the ridge rather than taking min(): exact peak at and beyond the ridge.
  return intensity >= peakTflops / bandwidthTBps ? peakTflops : bandwidthTBps * intensity;
}

export interface RooflineChip {
  name: string;
  peakTflops: number;
  bandwidthTBps: number;
}

export interface RooflineOptions {
  title?: string;
  /** Intensity range in FLOP/byte, default [1, 10 000]. */
  intensityRange?: [number, number];
  /** Vertical reference lines, e.g. { name: "decode, batch 1", intensity: 1 }. */
  markers?: { name: string; intensity: number }[];
}

/**
 * Rooflines on log–log axes (attainable TFLOPS vs arithmetic intensity), one per chip, each with
 * its ridge point marked. Each roof is exact: three points (range start, ridge, range end).
 */
export function roofline(chips: RooflineChip[], opts: RooflineOptions = {}): Figure {
  const [lo, hi] = opts.intensityRange ?? [1, 10_000];
  const data: Trace[] = [];
  chips.forEach((c, i) => {
    const ridge = ridgePoint(c.peakTflops, c.bandwidthTBps);
    const xs = [lo, ...(ridge > lo && ridge < hi ? [ridge] : []), hi];
    data.push({
      type: "scatter",
      mode: "lines",
      name: c.name,
      legendgroup: c.name,
      x: xs,
      y: xs.map((x) => attainableTflops(c.peakTflops, c.bandwidthTBps, x)),
      line: { color: color(i), width: 2 },
      hovertemplate: `%{x:.4g} FLOP/B → %{y:.4g} TFLOPS<extra>${plotText(c.name)}</extra>`,
    });
    data.push({
      type: "scatter",
      mode: "markers",
      name: `${c.name} ridge`,
      legendgroup: c.name,
      showlegend: false,
      x: [ridge],
      y: [c.peakTflops],
      marker: { color: color(i), size: 10, symbol: "diamond", line: { color: "#333", width: 1 } },
      hovertemplate: `ridge ${ridge.toFixed(0)} FLOP/B at ${c.peakTflops} TFLOPS<extra>${plotText(c.name)}</extra>`,
    });
  });
  const shapes: Shape[] = (opts.markers ?? []).map((m) => ({
    type: "line",
    xref: "x",
    yref: "paper",
    x0: m.intensity,
    x1: m.intensity,
    y0: 0,
    y1: 1,
    line: { color: "#999", width: 1, dash: "dot" },
  }));
  const annotations = (opts.markers ?? []).map((m) => ({
    x: Math.log10(m.intensity),
    xref: "x",
    yref: "paper",
    y: 1,
    yanchor: "bottom",
    text: m.name,
    showarrow: false,
    textangle: -30,
    font: { size: 11, color: "#555" },
  }));
  return {
    data,
    layout: baseLayout(opts.title ?? "Roofline", {
      xaxis: axis("arithmetic intensity, FLOP/byte", { type: "log" }),
      yaxis: axis("attainable TFLOPS", { type: "log" }),
      shapes,
      annotations,
      margin: { l: 70, r: 30, t: opts.markers?.length ? 110 : 60, b: 60 },
    }),
  };
}
