/**
 * Widths: for each class of basis and each metric, quantiles of ln(actual / predicted) measured on
 * predictions that did not see their rows (out-of-fold and held-out residuals). `residualClasses`
 * groups residual records by exact class (what data/uncertainty/widths.json stores, written by
 * `npm run generalisation`); `widthFor` pools the residuals of a basis's class — falling back to a
 * coarser pool of residuals at least as far from their fit when the class has too few
 * (data/uncertainty/settings.json), and to the widest measured class when no pool is at least as far —
 * and gives their quantiles.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { percentile } from "../core/stats";
import { InputError, parseOrThrow } from "../core/validate";
import { atLeastAsFar, classKey, levelKey, type BasisClass, type FitCoverage } from "./basis";
import { DIMENSIONS, UNCERTAINTY_DIR, uncertaintySettings, type Dimension, type UncertaintySettings } from "./settings";

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

const Residuals = z
  .object({
    n: z.number().int().min(0),
    /** Residuals per split they came from. */
    splits: z.record(z.number().int()),
    /** ln(actual / predicted), sorted. */
    x: z.array(z.number()),
  })
  .strict();
export type Residuals = z.infer<typeof Residuals>;

const BasisValues = z.object(Object.fromEntries(DIMENSIONS.map((d) => [d, z.string()])) as Record<Dimension, z.ZodString>).strict();
const ResidualClass = z.object({ basis: BasisValues, metrics: z.record(Residuals) }).strict();
export type ResidualClass = z.infer<typeof ResidualClass>;
/** The measured residuals, one entry per exact class of basis. */
export type Classes = ResidualClass[];

const Coverage = z.object({ fingerprint: z.string(), models: z.array(z.string()), families: z.array(z.string()), loads: z.array(z.string()), configurations: z.number().int() }).strict();

export const WidthsFile = z
  .object({
    schema: z.literal("mantile.widths/v2"),
    _about: z.string(),
    created: z.string(),
    /** Where the residuals came from (files, commit), and what the splits are. */
    sources: z.record(z.string()),
    /** What each committed calibration profile was fitted on (models, families, load modes), by profile name. */
    coverage: z.record(Coverage),
    /** The held-out residuals of each exact class of basis, per metric. */
    classes: z.array(ResidualClass),
  })
  .strict();
export type WidthsFile = z.infer<typeof WidthsFile>;

export const WIDTHS_FILE = path.join(UNCERTAINTY_DIR, "widths.json");

const round = (x: number) => Number(x.toFixed(5));

/** Residual records grouped by exact class of basis and metric (what widths.json stores). */
export function residualClasses(records: ResidualRecord[]): Classes {
  const byKey = new Map<string, ResidualClass>();
  for (const r of records) {
    const x = logRatio(r);
    if (!Number.isFinite(x)) continue;
    const key = classKey(r.basis, DIMENSIONS);
    if (!byKey.has(key)) byKey.set(key, { basis: Object.fromEntries(DIMENSIONS.map((d) => [d, r.basis[d]])) as BasisClass, metrics: {} });
    const c = byKey.get(key)!;
    const e = (c.metrics[r.metric] ??= { n: 0, splits: {}, x: [] });
    e.n++;
    e.splits[r.split] = (e.splits[r.split] ?? 0) + 1;
    e.x.push(round(x));
  }
  const out = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
  for (const c of out) for (const e of Object.values(c.metrics)) e.x.sort((a, b) => a - b);
  return out;
}

/** The width a basis gets for a metric: the residuals of its finest class with enough of them. */
export interface WidthUsed {
  metric: IntervalMetric;
  /** The pool the residuals came from (kept distances exactly, the others at least as far), and its fallback level (0 = the basis's own class). */
  key: string;
  level: number;
  /** The pools tried first that had fewer than min_samples residuals (with their counts). */
  thin: { key: string; n: number }[];
  n: number;
  splits: Record<string, number>;
  /** Whether the residuals were pooled with their mirror images (settings.symmetric). */
  symmetric: boolean;
  grid: number[];
  /** Quantiles of ln(actual / predicted) on the grid. */
  q: number[];
}

const memo = new WeakMap<Classes, Map<string, WidthUsed | undefined>>();

/**
 * The width of a basis for a metric. At each fallback level the pool holds the residuals whose class
 * matches the basis on the kept distances and is at least as far on the others; the first pool with
 * min_samples residuals gives the quantiles (mirrored when settings.symmetric). When no level has
 * enough, every residual of the metric (the last resort, named in `key`).
 */
export function widthFor(classes: Classes, basis: BasisClass, metric: IntervalMetric, s: UncertaintySettings = uncertaintySettings()): WidthUsed | undefined {
  const mk = `${classKey(basis, DIMENSIONS)}|${metric}`;
  let m = memo.get(classes);
  if (!m) memo.set(classes, (m = new Map()));
  if (m.has(mk)) return m.get(mk);
  const dims = s.dimensions.value;
  const thin: WidthUsed["thin"] = [];
  const pool = (f: (c: ResidualClass) => boolean) => {
    const x: number[] = [];
    const splits: Record<string, number> = {};
    for (const c of classes) {
      const e = c.metrics[metric];
      if (!e || !f(c)) continue;
      x.push(...e.x);
      for (const [k, n] of Object.entries(e.splits)) splits[k] = (splits[k] ?? 0) + n;
    }
    return { x, splits };
  };
  const widthOf = (key: string, level: number, p: { x: number[]; splits: Record<string, number> }): WidthUsed => {
    const xs = (s.symmetric.value ? [...p.x, ...p.x.map((v) => -v)] : [...p.x]).sort((a, b) => a - b);
    return { metric, key, level, thin, n: p.x.length, splits: p.splits, symmetric: s.symmetric.value, grid: s.quantile_grid.value, q: s.quantile_grid.value.map((q) => percentile(xs, q)) };
  };
  let out: WidthUsed | undefined;
  for (const [level, kept] of s.fallback.value.entries()) {
    const key = levelKey(basis, kept, dims);
    // Cast: zod-inferred fields are optional when notebooks compile without strict null checks.
    const p = pool((c) => atLeastAsFar(c.basis as BasisClass, basis, kept, dims));
    if (p.x.length >= s.min_samples.value) {
      out = widthOf(key, level, p);
      break;
    }
    if (!thin.some((t) => t.key === key)) thin.push({ key, n: p.x.length });
  }
  if (!out) {
    // Farther from its fit than any measured pool: the widest measured class (with min_samples residuals) — a
    // request beyond every measured transfer is not given the narrower errors of requests nearer their fit.
    let widest: { key: string; w: WidthUsed; span: number } | undefined;
    for (const c of classes) {
      const e = c.metrics[metric];
      if (!e || e.n < s.min_samples.value) continue;
      const key = classKey(c.basis as BasisClass, DIMENSIONS);
      const w = widthOf(`widest measured class, ${key} (no pool at least as far as this basis has ${s.min_samples.value})`, s.fallback.value.length, pool((x) => x === c));
      const span = logQuantile(w, s.interval.upper.value) - logQuantile(w, s.interval.lower.value);
      if (!widest || span > widest.span) widest = { key, w, span };
    }
    if (widest) out = widest.w;
    else {
      const all = pool(() => true);
      if (all.x.length) out = widthOf(`every ${metric} residual (no class has ${s.min_samples.value})`, s.fallback.value.length, all);
    }
  }
  // No residual of this metric at all: the proxy metric's width (settings.proxy, with its reason).
  const proxy = s.proxy.value[metric] as IntervalMetric | undefined;
  if (!out && proxy && proxy !== metric) {
    const w = widthFor(classes, basis, proxy, s);
    if (w) out = { ...w, metric, key: `${w.key} (${proxy} residuals standing in: no ${metric} residual measured)` };
  }
  m.set(mk, out);
  return out;
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
  return c && c.fingerprint === fingerprint ? (c as FitCoverage) : undefined;
}
