/**
 * Figures for reconciling predictions with benchmarks: accuracy points from compared rows, error
 * boxes of several metrics side by side, and the step timeline of one simulated run.
 * Pure functions on plain data (no import of lib/reconcile or lib/serving): `{ data, layout }` out.
 */
import { relativeErrorPct, groupKey, type GroupBy } from "./accuracy";
import { axis, baseLayout, color, naturalCompare, plotText } from "./style";
import type { AccuracyPoint, Figure, Shape, Trace } from "./types";

// ---------------------------------------------------------------------------------------------
// Compared rows → accuracy points

/** What `compareRows` (lib/reconcile/compare.ts) returns per row, structurally. */
export interface ComparedLike {
  row: Record<string, string>;
  errors: Partial<Record<string, { actual: number; predicted: number }>>;
}

export interface ComparedPointsOptions {
  /** Hover label of a row; default "gpu framework ISL/OSL TP conc". */
  label?: (row: Record<string, string>) => string;
  /** Colour group of a row; default its framework. */
  group?: (row: Record<string, string>) => string;
  /** Categories for box plots (e.g. { tp: …, "isl/osl": … }). */
  tags?: (row: Record<string, string>) => Record<string, string | number>;
  /** Multiply actual and predicted by this (e.g. 1000 for seconds → ms); errors are unchanged. */
  scale?: number;
}

export function defaultRowLabel(r: Record<string, string>): string {
  const par =
    r.disagg === "true"
      ? `P${r.prefill_tp}×${r.prefill_num_workers}/D${r.decode_tp}×${r.decode_num_workers}`
      : `TP${r.tensor_parallel}${r.dp_attention === "true" ? " DPA" : ""}`;
  return `${r.gpu_model} ${r.framework} ${r.input_seq_len}/${r.output_seq_len} ${par} conc ${r.concurrency}`;
}

/** The predicted column of each compared metric (lib/reconcile/compare.ts METRICS), whose _p10/_p90 columns hold its interval. */
const PREDICTED_COLUMN: Record<string, string> = { throughput: "predicted_throughput_per_gpu", output_throughput: "predicted_output_throughput_per_gpu", ttft: "predicted_ttft_sec", tpot: "predicted_tpot_sec", e2e: "predicted_e2e_latency_sec" };

/** One accuracy point per row that has both values of `metric` (rows without it are skipped), with its interval when the row has one. */
export function comparedPoints(rows: ComparedLike[], metric: string, opts: ComparedPointsOptions = {}): AccuracyPoint[] {
  const scale = opts.scale ?? 1;
  const out: AccuracyPoint[] = [];
  for (const r of rows) {
    const e = r.errors[metric];
    if (!e) continue;
    // The prediction's interval when the row carries one (<predicted column>_p10 / _p90, issue 16).
    const col = PREDICTED_COLUMN[metric];
    const low = col ? Number(r.row[`${col}_p10`] || NaN) * scale : NaN;
    const high = col ? Number(r.row[`${col}_p90`] || NaN) * scale : NaN;
    out.push({
      ...(Number.isFinite(low) && Number.isFinite(high) ? { low, high } : {}),
      actual: e.actual * scale,
      predicted: e.predicted * scale,
      label: (opts.label ?? defaultRowLabel)(r.row),
      group: opts.group ? opts.group(r.row) : r.row.framework,
      ...(opts.tags ? { tags: opts.tags(r.row) } : {}),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Errors of several metrics, boxed per category

export interface MetricPoints {
  /** Metric name: one colour per metric. */
  metric: string;
  points: AccuracyPoint[];
}

export interface MetricBoxOptions {
  title?: string;
  /** Axis title of the categories, default the `by` name. */
  categoryTitle?: string;
  /** Category order; unlisted categories follow in natural order. */
  order?: string[];
  band?: number;
  /**
   * Which points to draw beside each box: "outliers" (default; keeps notebooks small) or "all".
   */
  points?: "outliers" | "all";
}

/**
 * Box plots of signed relative error (%), one box per category and metric (grouped boxes:
 * categories on x, one colour per metric), with lines at 0 and ±band.
 */
export function metricErrorBoxes(series: MetricPoints[], by: GroupBy, opts: MetricBoxOptions = {}): Figure {
  const band = opts.band ?? 0.2;
  const all = series.flatMap((s) => s.points.filter((p) => p.actual > 0 && Number.isFinite(p.predicted)).map((p) => groupKey(p, by)));
  const rank = (k: string) => {
    const i = opts.order ? opts.order.indexOf(k) : -1;
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const categories = [...new Set(all)].sort((a, b) => rank(a) - rank(b) || naturalCompare(a, b));
  const data: Trace[] = series.map((s, i) => {
    const valid = s.points.filter((p) => p.actual > 0 && Number.isFinite(p.predicted));
    return {
      type: "box",
      name: s.metric,
      x: valid.map((p) => groupKey(p, by)),
      y: valid.map((p) => round(relativeErrorPct(p), 3)),
      text: valid.map((p) => p.label ?? ""),
      boxpoints: opts.points === "all" ? "all" : "outliers",
      ...(opts.points === "all" ? { jitter: 0.4, pointpos: 0 } : {}),
      marker: { color: color(i), size: 4, opacity: 0.7 },
      line: { color: color(i), width: 1.5 },
      hovertemplate: `%{text}<br>error %{y:+.1f}%<extra>${plotText(s.metric)}</extra>`,
    };
  });
  const line = { color: "#888", width: 1, dash: "dash" };
  const shapes: Shape[] = [-band * 100, 0, band * 100].map((v) => ({
    type: "line", xref: "paper", yref: "y", x0: 0, x1: 1, y0: v, y1: v, layer: "below",
    line: v === 0 ? { ...line, dash: "solid" } : line,
  }));
  const byName = typeof by === "string" ? by : "category";
  return {
    data,
    layout: baseLayout(opts.title ?? `Prediction error by ${byName}`, {
      boxmode: "group",
      showlegend: series.length > 1,
      xaxis: axis(opts.categoryTitle ?? byName, { type: "category", categoryorder: "array", categoryarray: categories }),
      yaxis: axis("relative error (predicted − measured) / measured, %", { ticksuffix: "%" }),
      shapes,
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Timeline of one simulated run

/** One record of the simulator's timeline (lib/serving/simulate.ts `SimulationResult.timeline`). */
export interface TimelineRecord {
  /** Seconds since the start of the run. */
  t: number;
  /** Sequences in the running batch. */
  running: number;
  /** Sequences decoding one token this step. */
  decodes: number;
  /** Prompt tokens prefilled this step. */
  prefillTokens: number;
  /** KV cache in use, as a fraction of the replica's capacity. */
  kvUsed: number;
  /** Replica name ("both0", "prefill0", "decode1", …). */
  replica?: string;
}

export interface TimelineOptions {
  title?: string;
  /** At most this many points per replica and panel: records are averaged in equal time bins (default 400). */
  maxPoints?: number;
  /** Replicas to draw (default all, in first-seen order). */
  replicas?: string[];
  /** Show the prefill-tokens panel (default true). */
  prefill?: boolean;
}

interface Binned {
  t: number[];
  running: number[];
  decodes: number[];
  /** Prompt tokens prefilled per second of the bin. */
  prefillRate: number[];
  kvUsed: number[];
}

/**
 * Records averaged over at most `bins` equal time bins (empty bins dropped). A record stands for the
 * steps until the next record (the simulator records a run of identical decode steps once), so each
 * record is spread over the bins its duration overlaps: batch and KV use are time-weighted means, and
 * prefill is a rate, prompt tokens ÷ time.
 */
export function binTimeline(records: TimelineRecord[], bins: number): Binned {
  const out: Binned = { t: [], running: [], decodes: [], prefillRate: [], kvUsed: [] };
  const s = [...records].sort((a, b) => a.t - b.t);
  if (s.length === 0) return out;
  const dur = s.map((r, i) => (i + 1 < s.length ? Math.max(0, s[i + 1].t - r.t) : 0));
  const positive = dur.filter((d) => d > 0).sort((a, b) => a - b);
  // The last record has no successor: give it a typical duration so it is not weightless.
  dur[s.length - 1] = positive.length ? positive[Math.floor(positive.length / 2)] : 1;
  const n = Math.max(1, Math.min(Math.floor(bins), s.length));
  const t0 = s[0].t;
  const span = s[s.length - 1].t + dur[s.length - 1] - t0 || 1;
  const acc = Array.from({ length: n }, () => ({ w: 0, t: 0, running: 0, decodes: 0, prefill: 0, kvUsed: 0 }));
  const width = span / n;
  const add = (j: number, w: number, mid: number, r: TimelineRecord, prefill: number) => {
    const b = acc[j];
    b.w += w;
    b.t += w * mid;
    b.running += w * r.running;
    b.decodes += w * r.decodes;
    b.kvUsed += w * r.kvUsed;
    b.prefill += prefill;
  };
  s.forEach((r, i) => {
    const start = r.t, end = r.t + dur[i];
    let j = Math.min(n - 1, Math.floor((start - t0) / width));
    if (!(dur[i] > 0)) return add(j, 1e-12, start, r, r.prefillTokens);
    // Spread the record over every bin its duration overlaps (a long decode run covers several).
    for (; j < n; j++) {
      const lo = t0 + j * width, hi = j === n - 1 ? Infinity : lo + width;
      const overlap = Math.min(end, hi) - Math.max(start, lo);
      if (overlap > 0) add(j, overlap, (Math.min(end, hi) + Math.max(start, lo)) / 2, r, (r.prefillTokens * overlap) / dur[i]);
      if (end <= hi) break;
    }
  });
  for (const b of acc) {
    if (b.w === 0) continue;
    out.t.push(b.t / b.w);
    out.running.push(b.running / b.w);
    out.decodes.push(b.decodes / b.w);
    out.prefillRate.push(b.prefill / b.w);
    out.kvUsed.push(b.kvUsed / b.w);
  }
  return out;
}

const round = (v: number, d: number) => Number(v.toFixed(d));

/**
 * Stacked panels over simulated time: running batch (and sequences decoding), prompt tokens
 * prefilled per second, and KV-cache use (% of capacity); one colour per replica. Records are
 * averaged into at most `maxPoints` time bins (see binTimeline).
 */
export function simulationTimeline(records: TimelineRecord[], opts: TimelineOptions = {}): Figure {
  const names = opts.replicas ?? [...new Set(records.map((r) => r.replica ?? "replica"))];
  const withPrefill = opts.prefill ?? true;
  const maxPoints = opts.maxPoints ?? 400;
  // Panel domains, top to bottom.
  const domains = withPrefill ? [[0.7, 1], [0.37, 0.63], [0, 0.3]] : [[0.53, 1], [0, 0.45]];
  const [batchAxis, prefillAxis, kvAxis] = withPrefill ? ["y", "y2", "y3"] : ["y", "", "y2"];
  const data: Trace[] = [];
  names.forEach((name, i) => {
    const b = binTimeline(records.filter((r) => (r.replica ?? "replica") === name), maxPoints);
    const t = b.t.map((v) => round(v, 3));
    const c = color(i);
    const many = names.length > 1;
    data.push({
      type: "scatter", mode: "lines", name: many ? `${name}: running` : "running sequences", legendgroup: name,
      x: t, y: b.running.map((v) => round(v, 2)), yaxis: batchAxis, line: { color: c, width: 1.8 },
      hovertemplate: `t %{x:.2f} s<br>running %{y:.1f}<extra>${plotText(name)}</extra>`,
    });
    if (b.decodes.some((v, j) => v !== b.running[j])) {
      data.push({
        type: "scatter", mode: "lines", name: many ? `${name}: decoding` : "decoding this step", legendgroup: name,
        x: t, y: b.decodes.map((v) => round(v, 2)), yaxis: batchAxis, line: { color: c, width: 1, dash: "dot" },
        hovertemplate: `t %{x:.2f} s<br>decoding %{y:.1f}<extra>${plotText(name)}</extra>`,
      });
    }
    if (withPrefill) {
      data.push({
        type: "scatter", mode: "lines", name: `${name}: prefill tokens`, legendgroup: name, showlegend: false,
        x: t, y: b.prefillRate.map((v) => Math.round(v)), yaxis: prefillAxis, line: { color: c, width: 1.2 },
        hovertemplate: `t %{x:.2f} s<br>prefill %{y:.3s} tokens/s<extra>${plotText(name)}</extra>`,
      });
    }
    data.push({
      type: "scatter", mode: "lines", name: `${name}: KV used`, legendgroup: name, showlegend: false,
      x: t, y: b.kvUsed.map((v) => round(100 * v, 3)), yaxis: kvAxis, line: { color: c, width: 1.8 },
      fill: "tozeroy", fillcolor: `${c}22`,
      hovertemplate: `t %{x:.2f} s<br>KV %{y:.2f}% of capacity<extra>${plotText(name)}</extra>`,
    });
  });
  const yKey = (a: string) => (a === "y" ? "yaxis" : `yaxis${a.slice(1)}`);
  const panels: Record<string, unknown> = {
    [yKey(batchAxis)]: axis("running seqs", { domain: domains[0], rangemode: "tozero" }),
    [yKey(kvAxis)]: axis("KV used, % of pool", { domain: domains[withPrefill ? 2 : 1], rangemode: "tozero", ticksuffix: "%" }),
  };
  if (withPrefill) panels[yKey(prefillAxis)] = axis("prefill, tok/s", { domain: domains[1], rangemode: "tozero" });
  return {
    data,
    layout: baseLayout(opts.title ?? "Simulated run over time", {
      height: withPrefill ? 620 : 520,
      showlegend: true,
      legend: { orientation: "h", x: 0, y: -0.12 },
      xaxis: axis("simulated time, s", { anchor: kvAxis }),
      ...panels,
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Fitted parameters inside their bounds

/** One fitted parameter: its value, approximate standard error, bounds and (optionally) the default it started from. */
export interface FittedParameter {
  name: string;
  value: number;
  sd?: number | null;
  min: number;
  max: number;
  unit?: string;
  default?: number;
}

export interface ParameterSet {
  /** Profile name: one colour per set. */
  name: string;
  parameters: FittedParameter[];
}

export interface ParameterPositionOptions {
  title?: string;
  /** Parameter order on the axis; default first-seen order. */
  order?: string[];
}

/**
 * Where each fitted parameter sits between its bounds (0% = min, 100% = max), one marker per profile
 * with ±1 sd error bars, and the default it started from as a hollow marker. Parameters with different
 * units share one axis this way, and values pinned at a bound stand out.
 */
export function parameterPositions(sets: ParameterSet[], opts: ParameterPositionOptions = {}): Figure {
  const names = opts.order ?? [...new Set(sets.flatMap((s) => s.parameters.map((p) => p.name)))];
  const n = sets.length;
  const width = Math.min(0.6, 0.15 * n);
  const offset = (i: number) => (n > 1 ? -width / 2 + (width * i) / (n - 1) : 0);
  const pos = (p: FittedParameter, v: number) => round((100 * (v - p.min)) / (p.max - p.min), 2);
  const fmt = (v: number) => Number(v.toPrecision(3)).toString();
  const data: Trace[] = [];
  sets.forEach((s, i) => {
    const ps = names.map((nm) => s.parameters.find((p) => p.name === nm)).map((p, j) => ({ p, j })).filter((x) => x.p) as { p: FittedParameter; j: number }[];
    const c = color(i);
    data.push({
      type: "scatter",
      mode: "markers",
      name: s.name,
      legendgroup: s.name,
      x: ps.map(({ j }) => round(j + offset(i), 3)),
      y: ps.map(({ p }) => pos(p, p.value)),
      error_y: { type: "data", array: ps.map(({ p }) => (p.sd ? round((100 * p.sd) / (p.max - p.min), 2) : 0)), visible: true, color: c, thickness: 1.5, width: 4 },
      text: ps.map(({ p }) => `${p.name} = ${fmt(p.value)}${p.sd ? ` ± ${fmt(p.sd)}` : ""} ${p.unit ?? ""} (bounds ${fmt(p.min)}–${fmt(p.max)})`),
      hovertemplate: `%{text}<extra>${plotText(s.name)}</extra>`,
      marker: { color: c, size: 10, symbol: "circle", line: { width: 0.5, color: "#333" } },
    });
    const withDefault = ps.filter(({ p }) => p.default !== undefined);
    if (withDefault.length) {
      data.push({
        type: "scatter",
        mode: "markers",
        name: `${s.name}: default`,
        legendgroup: s.name,
        showlegend: i === 0,
        x: withDefault.map(({ j }) => round(j + offset(i), 3)),
        y: withDefault.map(({ p }) => pos(p, p.default!)),
        text: withDefault.map(({ p }) => `${p.name} default ${fmt(p.default!)} ${p.unit ?? ""}`),
        hovertemplate: `%{text}<extra>${plotText(s.name)}</extra>`,
        // Open symbols take their stroke colour from marker.color.
        marker: { color: c, size: 10, symbol: "diamond-open", line: { width: 1.5 } },
      });
    }
  });
  if (data.length > 1 && sets.length > 0) {
    // One legend entry explains the hollow markers; name it for all profiles.
    const firstDefault = data.find((t) => typeof t.name === "string" && t.name.endsWith(": default"));
    if (firstDefault) firstDefault.name = "default (start of the fit)";
  }
  const line = { color: "#bbb", width: 1, dash: "dot" };
  const shapes: Shape[] = [0, 100].map((v) => ({ type: "line", xref: "paper", yref: "y", x0: 0, x1: 1, y0: v, y1: v, line, layer: "below" }));
  return {
    data,
    layout: baseLayout(opts.title ?? "Fitted parameters within their bounds", {
      xaxis: axis(undefined, { tickvals: names.map((_, j) => j), ticktext: names, range: [-0.6, names.length - 0.4], zeroline: false }),
      yaxis: axis("position between bounds (0% = min, 100% = max)", { range: [-8, 108], ticksuffix: "%", zeroline: false }),
      shapes,
    }),
  };
}
