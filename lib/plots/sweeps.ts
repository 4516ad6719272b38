/**
 * Figure builders for drill-downs and sweeps: a stacked time breakdown, ops placed on a roofline,
 * and throughput–interactivity frontiers with points coloured by a group (e.g. TP), plus the cost
 * of a token along a frontier. Pure functions to `{ data, layout }`, like the rest of lib/plots.
 */
import { intervalBars } from "./accuracy";
import { servingFrontier } from "./pareto";
import { attainableTflops, ridgePoint, type RooflineChip } from "./roofline";
import { axis, baseLayout, color, naturalCompare, plotText } from "./style";
import type { Figure, ParetoPoint, Trace } from "./types";

// ---------------------------------------------------------------------------------------------
// Stacked breakdown

/** One slice of a total: `value` of `part` (e.g. "memory") inside `category` (e.g. "moe"). */
export interface BreakdownItem {
  category: string;
  part: string;
  value: number;
}

export interface StackedBreakdownOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Multiply every value by this before drawing (e.g. 1e3 for seconds → ms). Default 1. */
  scale?: number;
  /** Category order; default first-seen order. Categories not listed follow in first-seen order. */
  categoryOrder?: string[];
  /** Stack order, bottom first; default first-seen order. Parts not listed follow. */
  partOrder?: string[];
  /** Fixed colour per part (e.g. { compute: "#d62728" }); others take the palette. */
  partColors?: Record<string, string>;
  /** Horizontal bars (categories on y). Default false. */
  horizontal?: boolean;
}

function ordered(seen: string[], order: string[] | undefined): string[] {
  const first = (order ?? []).filter((x) => seen.includes(x));
  return [...first, ...seen.filter((x) => !first.includes(x))];
}

/**
 * Stacked bars: one bar per category, one stacked segment per part, each segment the sum of the
 * items with that category and part. Parts with a zero total are left out of the legend.
 */
export function stackedBreakdown(items: BreakdownItem[], opts: StackedBreakdownOptions = {}): Figure {
  const scale = opts.scale ?? 1;
  const catsSeen: string[] = [];
  const partsSeen: string[] = [];
  const sums = new Map<string, number>();
  for (const it of items) {
    if (!Number.isFinite(it.value)) throw new Error(`breakdown item ${it.category}/${it.part} has a non-finite value`);
    if (!catsSeen.includes(it.category)) catsSeen.push(it.category);
    if (!partsSeen.includes(it.part)) partsSeen.push(it.part);
    const k = `${it.category}\u0000${it.part}`;
    sums.set(k, (sums.get(k) ?? 0) + it.value * scale);
  }
  const cats = ordered(catsSeen, opts.categoryOrder);
  const parts = ordered(partsSeen, opts.partOrder);
  const h = opts.horizontal === true;
  const data: Trace[] = [];
  parts.forEach((part, i) => {
    const values = cats.map((c) => sums.get(`${c}\u0000${part}`) ?? 0);
    if (values.every((v) => v === 0)) return;
    data.push({
      type: "bar",
      name: part,
      orientation: h ? "h" : "v",
      x: h ? values : cats,
      y: h ? cats : values,
      marker: { color: opts.partColors?.[part] ?? color(i) },
      hovertemplate: h ? `%{y}: %{x:.4g}<extra>${plotText(part)}</extra>` : `%{x}: %{y:.4g}<extra>${plotText(part)}</extra>`,
    });
  });
  const valueAxis = axis(opts.yTitle);
  const catAxis = axis(opts.xTitle, { type: "category", ...(h ? { autorange: "reversed" } : {}) });
  return {
    data,
    layout: baseLayout(opts.title, {
      barmode: "stack",
      xaxis: h ? valueAxis : catAxis,
      yaxis: h ? catAxis : valueAxis,
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Ops on a roofline

/** One kernel placed on a roofline: its arithmetic intensity and the FLOP rate it attained. */
export interface RooflinePoint {
  name: string;
  /** FLOP per byte moved to or from HBM. */
  intensity: number;
  /** Attained TFLOPS (FLOPs / kernel time). */
  tflops: number;
  /** Colour group, e.g. the phase or the bound. */
  group?: string;
}

export interface OpRooflineOptions {
  title?: string;
  /** Intensity range in FLOP/byte; default spans the points and the ridges with a margin. */
  intensityRange?: [number, number];
  /**
   * Print each point's name next to it (default true: the static SVG has no hover). Points that
   * nearly coincide share one label.
   */
  labels?: boolean;
}

/**
 * Rooflines of one or more compute roofs (e.g. a chip's bf16 and fp8 peaks) with kernels placed
 * on them. A point's distance below its roof is the efficiency the kernel leaves on the table.
 * Points with a non-positive coordinate cannot sit on log axes and are left out (a note says so).
 */
export function opRoofline(roofs: RooflineChip[], points: RooflinePoint[], opts: OpRooflineOptions = {}): Figure {
  const valid = points.filter((p) => p.intensity > 0 && p.tflops > 0 && Number.isFinite(p.intensity) && Number.isFinite(p.tflops));
  const dropped = points.length - valid.length;
  let range = opts.intensityRange;
  if (!range) {
    const xs = [...valid.map((p) => p.intensity), ...roofs.map((r) => ridgePoint(r.peakTflops, r.bandwidthTBps))];
    const lo = xs.length ? Math.min(...xs) : 1;
    const hi = xs.length ? Math.max(...xs) : 10_000;
    range = [Math.pow(10, Math.floor(Math.log10(lo) - 0.3)), Math.pow(10, Math.ceil(Math.log10(hi) + 0.3))];
  }
  const [lo, hi] = range;
  const data: Trace[] = [];
  roofs.forEach((r) => {
    const ridge = ridgePoint(r.peakTflops, r.bandwidthTBps);
    const xs = [lo, ...(ridge > lo && ridge < hi ? [ridge] : []), hi];
    data.push({
      type: "scatter",
      mode: "lines",
      name: r.name,
      x: xs,
      y: xs.map((x) => attainableTflops(r.peakTflops, r.bandwidthTBps, x)),
      line: { color: "#444", width: 1.5, dash: roofs.length > 1 && r !== roofs[0] ? "dot" : "solid" },
      hovertemplate: `%{x:.4g} FLOP/B → %{y:.4g} TFLOPS<extra>${plotText(r.name)}</extra>`,
    });
  });
  // Labels: points within 0.3 decades across and 0.2 decades up or down share one
  // label (on the first of them), so clustered kernels stay readable. A label goes below its point
  // when the point sits close under a roof (the roof line would cross it), and to the left when
  // the point is near the right edge.
  // Clusters are transitive: a point near any earlier point joins that point's label owner.
  const labels = valid.map((p) => p.name);
  const owner = valid.map((_, i) => i);
  const near = (a: RooflinePoint, b: RooflinePoint) =>
    Math.abs(Math.log10(a.intensity / b.intensity)) < 0.3 && Math.abs(Math.log10(a.tflops / b.tflops)) < 0.2;
  for (let i = 0; i < valid.length; i++) {
    const j = valid.slice(0, i).findIndex((q) => near(q, valid[i]));
    if (j >= 0) {
      const o = owner[j];
      owner[i] = o;
      if (!labels[o].split(", ").includes(valid[i].name)) labels[o] += `, ${valid[i].name}`;
      labels[i] = "";
    }
  }
  const span = Math.log10(hi) - Math.log10(lo);
  const underRoof = (p: RooflinePoint) =>
    roofs.some((r) => Math.log10(attainableTflops(r.peakTflops, r.bandwidthTBps, p.intensity) / p.tflops) < 0.2);
  const side = (p: RooflinePoint) =>
    `${underRoof(p) ? "bottom" : "middle"} ${(Math.log10(p.intensity) - Math.log10(lo)) / span > 0.7 ? "left" : "right"}`;
  const groups: string[] = [];
  for (const p of valid) if (!groups.includes(p.group ?? "")) groups.push(p.group ?? "");
  groups.forEach((g, i) => {
    const idx = valid.map((_, k) => k).filter((k) => (valid[k].group ?? "") === g);
    const ps = idx.map((k) => valid[k]);
    data.push({
      type: "scatter",
      mode: opts.labels === false ? "markers" : "markers+text",
      name: g || "ops",
      x: ps.map((p) => p.intensity),
      y: ps.map((p) => p.tflops),
      text: idx.map((k) => labels[k]),
      hovertext: ps.map((p) => p.name),
      textposition: ps.map(side),
      textfont: { size: 10, color: color(i) },
      hovertemplate: `%{hovertext}<br>%{x:.4g} FLOP/B, %{y:.4g} TFLOPS<extra>${plotText(g || "ops")}</extra>`,
      marker: { color: color(i), size: 9, line: { color: "#333", width: 0.5 } },
    });
  });
  return {
    data,
    layout: baseLayout(opts.title ?? "Kernels on the roofline", {
      xaxis: axis("arithmetic intensity, FLOP/byte", { type: "log", range: [Math.log10(lo), Math.log10(hi)] }),
      yaxis: axis("attained TFLOPS", { type: "log" }),
      ...(dropped > 0
        ? {
            annotations: [
              { xref: "paper", yref: "paper", x: 0, y: -0.22, showarrow: false, xanchor: "left", text: `${dropped} op(s) without FLOPs or time not shown`, font: { size: 11, color: "#777" } },
            ],
          }
        : {}),
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Frontiers with groups

/** A configuration on a throughput–interactivity chart, tagged with a group (e.g. "TP2"). */
export interface GroupedParetoPoint extends ParetoPoint {
  group: string;
}

export interface GroupedParetoOptions {
  title?: string;
  logX?: boolean;
  logY?: boolean;
  measuredName?: string;
  predictedName?: string;
  /** Group order (colours follow it); default natural order ("TP2" < "TP8" < "TP16"). */
  groupOrder?: string[];
  /** Join each group's points in x order with a thin line (default true). */
  connectGroups?: boolean;
}

/**
 * Measured and predicted sweeps on one throughput–interactivity chart. Each group (e.g. each TP)
 * has one colour: measured points are filled circles joined by solid lines, predicted points open
 * diamonds joined by dotted lines. The overall frontier of each kind is drawn on top in black:
 * measured solid, predicted dashed. Either list may be empty.
 */
export function paretoByGroup(measured: GroupedParetoPoint[], predicted: GroupedParetoPoint[], opts: GroupedParetoOptions = {}): Figure {
  const ok = (p: ParetoPoint) => Number.isFinite(p.tokPerSecPerUser) && Number.isFinite(p.tokPerSecPerGpu);
  const m = measured.filter(ok);
  const pr = predicted.filter(ok);
  const mName = opts.measuredName ?? "measured";
  const pName = opts.predictedName ?? "predicted";
  const seen = [...new Set([...m, ...pr].map((p) => p.group))].sort(naturalCompare);
  const groups = ordered(seen, opts.groupOrder);
  const connect = opts.connectGroups ?? true;
  const data: Trace[] = [];
  const hover = (kind: string) => `%{text}<br>%{x:.4g} tok/s/user<br>%{y:.4g} tok/s/GPU<extra>${plotText(kind)}</extra>`;
  groups.forEach((g, i) => {
    const c = color(i);
    const sets: [string, GroupedParetoPoint[], boolean][] = [
      [mName, m, true],
      [pName, pr, false],
    ];
    for (const [kind, pts, isMeasured] of sets) {
      const ps = pts.filter((p) => p.group === g).sort((a, b) => a.tokPerSecPerUser - b.tokPerSecPerUser);
      if (ps.length === 0) continue;
      data.push({
        type: "scatter",
        mode: connect ? "lines+markers" : "markers",
        name: `${g} ${kind}`,
        legendgroup: g,
        x: ps.map((p) => p.tokPerSecPerUser),
        y: ps.map((p) => p.tokPerSecPerGpu),
        text: ps.map((p) => p.label ?? g),
        hovertemplate: hover(`${g} ${kind}`),
        line: { color: c, width: 1, dash: isMeasured ? "solid" : "dot" },
        marker: isMeasured
          ? { color: c, size: 8, symbol: "circle" }
          : { color: c, size: 9, symbol: "diamond-open", line: { color: c, width: 2 } },
        ...(ps.some((p) => Number.isFinite(p.gpuLow) && Number.isFinite(p.gpuHigh)) ? { error_y: intervalBars(ps, (p) => p.tokPerSecPerGpu, (p) => p.gpuLow, (p) => p.gpuHigh, c) } : {}),
      });
    }
  });
  const frontiers: [string, GroupedParetoPoint[], string][] = [
    [mName, m, "solid"],
    [pName, pr, "dash"],
  ];
  for (const [kind, pts, dash] of frontiers) {
    const front = servingFrontier(pts);
    if (front.length === 0) continue;
    data.push({
      type: "scatter",
      mode: "lines",
      name: `${kind} frontier`,
      x: front.map((p) => p.tokPerSecPerUser),
      y: front.map((p) => p.tokPerSecPerGpu),
      text: front.map((p) => p.label ?? p.group),
      hovertemplate: hover(`${kind} frontier`),
      line: { color: "#222", width: 2.5, dash },
    });
  }
  return {
    data,
    layout: baseLayout(opts.title ?? "Throughput vs interactivity", {
      xaxis: axis("output tokens/s per user", opts.logX ? { type: "log" } : {}),
      yaxis: axis("output tokens/s per GPU", opts.logY ? { type: "log" } : {}),
    }),
  };
}

/**
 * Cost of a million output tokens: price per GPU-hour × GPUs / (output tokens/s × 3600) × 1e6.
 * With throughput per GPU the GPU count cancels: price per GPU-hour / (tokens/s/GPU × 3600) × 1e6.
 */
export function costPerMillionTokens(usdPerGpuHour: number, outputTokPerSecPerGpu: number): number {
  if (!(usdPerGpuHour >= 0) || !(outputTokPerSecPerGpu > 0)) {
    throw new Error(`cost per token needs a price ≥ 0 and a positive throughput (got ${usdPerGpuHour} USD/h, ${outputTokPerSecPerGpu} tok/s/GPU)`);
  }
  return (usdPerGpuHour / (outputTokPerSecPerGpu * 3600)) * 1e6;
}

// ---------------------------------------------------------------------------------------------
// Ranking by the pessimistic end of an interval

/** A configuration's predicted figure of merit with its interval (e.g. throughput/GPU and its p10–p90). */
export interface RankedConfig {
  label: string;
  value: number;
  low?: number;
  high?: number;
}

/**
 * Configurations best first, by their point prediction or by the pessimistic end of their interval —
 * the low end when higher is better (throughput), the high end when lower is better (latency). A
 * configuration without an interval ranks by its point prediction either way.
 */
export function rankConfigs<T extends RankedConfig>(items: T[], opts: { higherIsBetter: boolean; by: "point" | "pessimistic" }): (T & { score: number })[] {
  const score = (x: T) => (opts.by === "pessimistic" ? (opts.higherIsBetter ? x.low : x.high) ?? x.value : x.value);
  return items
    .map((x) => ({ ...x, score: score(x) }))
    .sort((a, b) => (opts.higherIsBetter ? b.score - a.score : a.score - b.score) || naturalCompare(a.label, b.label));
}
