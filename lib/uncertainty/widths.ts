/**
 * Widths: for each class of basis and each metric, quantiles of ln(actual / predicted) measured on
 * predictions that did not see their rows (out-of-fold and held-out residuals). `estimateWidths`
 * measures them from residual records; `widthFor` finds the width of a basis, falling back to the
 * next coarser class when a class has too few residuals (data/uncertainty/settings.json). The widths
 * the predictions use are data/uncertainty/widths.json, written by `npm run generalisation`.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { percentile } from "../core/stats";
import { InputError, parseOrThrow } from "../core/validate";
import { classKey, type BasisClass, type FitCoverage } from "./basis";
import { UNCERTAINTY_DIR, uncertaintySettings, type Dimension, type UncertaintySettings } from "./settings";

/** The metrics with an interval, and their predicted CSV columns. */
export const INTERVAL_METRICS = [
  { key: "throughput", column: "predicted_throughput_per_gpu", unit: "tokens/s/GPU", label: "throughput/GPU" },
  { key: "output_throughput", column: "predicted_output_throughput_per_gpu", unit: "tokens/s/GPU", label: "output throughput/GPU" },
  { key: "ttft", column: "predicted_ttft_sec", unit: "s", label: "TTFT" },
  { key: "tpot", column: "predicted_tpot_sec", unit: "s", label: "TPOT" },
  { key: "e2e", column: "predicted_e2e_latency_sec", unit: "s", label: "E2E" },
] as const;
export type IntervalMetric = (typeof INTERVAL_METRICS)[number]["key"];
export const METRIC_KEYS: IntervalMetric[] = INTERVAL_METRICS.map((m) => m.key);

/** One measured error: a row predicted by a calibration that did not see it. */
export interface ResidualRecord {
  /** Identity of the configuration row (the same row measured in several splits shares it). */
  row: string;
  /** The row's group under each split (model, engine, gpu, vendor), for nested evaluation. */
  groups: Record<string, string>;
  /** Which held-out check produced it (e.g. "5-fold", "leave-one-gpu-out"). */
  split: string;
  basis: BasisClass;
  metric: IntervalMetric;
  predicted: number;
  actual: number;
}

export const logRatio = (r: Pick<ResidualRecord, "actual" | "predicted">): number => Math.log(r.actual / r.predicted);

const MetricWidth = z
  .object({
    n: z.number().int().min(0),
    /** Residuals per split they came from. */
    splits: z.record(z.number().int()),
    /** Quantiles of ln(actual / predicted) on the settings' quantile grid; absent below min_samples. */
    q: z.array(z.number()).optional(),
  })
  .strict();
export type MetricWidth = z.infer<typeof MetricWidth>;

const Coverage = z.object({ fingerprint: z.string(), models: z.array(z.string()), families: z.array(z.string()), loads: z.array(z.string()), configurations: z.number().int() }).strict();

export const WidthsFile = z
  .object({
    schema: z.literal("mantile.widths/v1"),
    _about: z.string(),
    created: z.string(),
    /** Where the residuals came from (files, commit), and what the splits are. */
    sources: z.record(z.string()),
    quantile_grid: z.array(z.number()),
    min_samples: z.number().int(),
    /** What each committed calibration profile was fitted on (models, families, load modes), by profile name. */
    coverage: z.record(Coverage),
    /** Class key → metric → width. */
    classes: z.record(z.record(MetricWidth)),
  })
  .strict();
export type WidthsFile = z.infer<typeof WidthsFile>;
export type Classes = WidthsFile["classes"];

export const WIDTHS_FILE = path.join(UNCERTAINTY_DIR, "widths.json");

/** Quantiles of ln(actual/predicted) per class (every fallback level) and metric. */
export function estimateWidths(records: ResidualRecord[], s: UncertaintySettings = uncertaintySettings()): Classes {
  const acc = new Map<string, Map<IntervalMetric, { x: number[]; splits: Record<string, number> }>>();
  for (const r of records) {
    const x = logRatio(r);
    if (!Number.isFinite(x)) continue;
    for (const level of s.fallback.value) {
      const key = classKey(r.basis, level);
      if (!acc.has(key)) acc.set(key, new Map());
      const m = acc.get(key)!;
      if (!m.has(r.metric)) m.set(r.metric, { x: [], splits: {} });
      const e = m.get(r.metric)!;
      e.x.push(x);
      e.splits[r.split] = (e.splits[r.split] ?? 0) + 1;
    }
  }
  const out: Classes = {};
  for (const key of [...acc.keys()].sort()) {
    out[key] = {};
    for (const [metric, e] of [...acc.get(key)!.entries()].sort()) {
      const sorted = [...e.x].sort((a, b) => a - b);
      const w: MetricWidth = { n: sorted.length, splits: e.splits };
      if (sorted.length >= s.min_samples.value) w.q = s.quantile_grid.value.map((q) => round(percentile(sorted, q)));
      out[key][metric] = w;
    }
  }
  return out;
}

const round = (x: number) => Number(x.toFixed(5));

/** The width a basis gets for a metric: its finest class with enough residuals. */
export interface WidthUsed {
  metric: IntervalMetric;
  /** The class whose residuals give the width, and the fallback level (0 = the basis's own class). */
  key: string;
  level: number;
  /** The classes tried first that had fewer than min_samples residuals (with their counts). */
  thin: { key: string; n: number }[];
  n: number;
  splits: Record<string, number>;
  grid: number[];
  q: number[];
}

export function widthFor(classes: Classes, basis: BasisClass, metric: IntervalMetric, s: UncertaintySettings = uncertaintySettings()): WidthUsed | undefined {
  const thin: WidthUsed["thin"] = [];
  for (const [level, dims] of s.fallback.value.entries()) {
    const key = classKey(basis, dims as Dimension[]);
    const w = classes[key]?.[metric];
    if (w?.q && w.n >= s.min_samples.value) return { metric, key, level, thin, n: w.n, splits: w.splits, grid: s.quantile_grid.value, q: w.q };
    if (!thin.some((t) => t.key === key)) thin.push({ key, n: w?.n ?? 0 });
  }
  return undefined;
}

/** The q-quantile of ln(actual/predicted) of a width, linear between grid points (q within the grid). */
export function logQuantile(w: Pick<WidthUsed, "grid" | "q">, q: number): number {
  const g = w.grid;
  if (!(q >= g[0] - 1e-12 && q <= g[g.length - 1] + 1e-12)) throw new InputError(`quantile ${q} is outside the measured widths (${g[0]}–${g[g.length - 1]}, data/uncertainty/settings.json quantile_grid)`);
  let i = 0;
  while (i < g.length - 2 && q > g[i + 1]) i++;
  const t = Math.min(1, Math.max(0, (q - g[i]) / (g[i + 1] - g[i])));
  return w.q[i] + t * (w.q[i + 1] - w.q[i]);
}

let cached: WidthsFile | null | undefined;

/** data/uncertainty/widths.json, or null when it has not been written yet. */
export function loadWidths(file = WIDTHS_FILE): WidthsFile | null {
  if (file === WIDTHS_FILE && cached !== undefined) return cached;
  const w = fs.existsSync(file) ? parseOrThrow(WidthsFile, JSON.parse(fs.readFileSync(file, "utf8")), path.relative(path.join(UNCERTAINTY_DIR, "..", ".."), file)) : null;
  if (file === WIDTHS_FILE) cached = w;
  return w;
}

export function clearWidthsCache(): void {
  cached = undefined;
}

/** The coverage table entry of a profile, when recorded for this very profile content. */
export function recordedCoverage(w: WidthsFile | null, name: string, fingerprint: string): FitCoverage | undefined {
  const c = w?.coverage[name];
  return c && c.fingerprint === fingerprint ? c : undefined;
}
