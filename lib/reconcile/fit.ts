/**
 * Fitting calibration parameters: minimise the mean squared log error of throughput, TTFT, TPOT
 * and E2E over training configurations (Nelder–Mead inside the parameters' physical bounds),
 * and judge the fit on configurations it did not see (k-fold and split cross-validation).
 */
import { CALIBRATION_PARAMETERS, type ParamName, type ParamValues } from "../calibration/parameters";
import type { Calibration } from "../calibration/profile";
import { measure } from "../metrics/summary";
import { resolveRun } from "../run/resolve";
import { simulate } from "../serving/simulate";
import type { KernelTableChoice } from "../step/kernel-source";
import { convertRow, type PredictionRequest } from "./convert";
import type { ConfigRow } from "./standard";

export interface FitRow {
  config: ConfigRow;
  /** Measured metrics (an offline table has throughput only): the loss and errors use those present. */
  actual: Partial<{ throughput: number; ttft: number; tpot: number; e2e: number }>;
  /** Free-form label used for split cross-validation (e.g. "1024/8192"). */
  labels: Record<string, string>;
}

export type FitMetric = keyof FitRow["actual"];
export const FIT_METRICS: FitMetric[] = ["throughput", "ttft", "tpot", "e2e"];

export interface Prediction {
  throughput: number;
  ttft: number;
  tpot: number;
  e2e: number;
}

const requestCache = new WeakMap<ConfigRow, PredictionRequest>();
function requestOf(c: ConfigRow): PredictionRequest {
  let r = requestCache.get(c);
  if (!r) requestCache.set(c, (r = convertRow(c)));
  return r;
}

/** Parameter values being fitted, as a calibration a run can be resolved with. */
export function trialCalibration(values: ParamValues): Calibration {
  return { name: "calibration fit", values, describe: () => "parameter values under trial in a fit" };
}

export function predictWith(values: ParamValues, row: FitRow, useKernelTables: KernelTableChoice): Prediction {
  const run = resolveRun({ ...requestOf(row.config), calibration: trialCalibration(values), useKernelTables });
  const m = measure(simulate({ ...run, workload: run.workload! }));
  return { throughput: m.throughputPerGpu, ttft: m.ttft.mean, tpot: m.tpot.mean, e2e: m.e2e.mean };
}

export function logLoss(rows: FitRow[], preds: Prediction[]): number {
  let s = 0;
  let n = 0;
  rows.forEach((r, i) => {
    for (const k of FIT_METRICS) {
      const a = r.actual[k];
      if (a === undefined) continue;
      const d = Math.log(preds[i][k] / a);
      s += d * d;
      n++;
    }
  });
  return s / Math.max(1, n);
}

/** MAPE (%) per metric over the rows that measured it (NaN for a metric no row measured). */
export function mapeOf(rows: FitRow[], preds: Prediction[]): Record<FitMetric, number> {
  const out = {} as Record<FitMetric, number>;
  for (const k of FIT_METRICS) {
    let s = 0;
    let n = 0;
    rows.forEach((r, i) => {
      const a = r.actual[k];
      if (a === undefined) return;
      s += Math.abs(preds[i][k] / a - 1);
      n++;
    });
    out[k] = n ? (100 * s) / n : NaN;
  }
  return out;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const logit = (p: number) => Math.log(p / (1 - p));

/** Nelder–Mead minimisation of f over R^n. */
export function nelderMead(f: (x: number[]) => number, x0: number[], step: number, maxEvals: number): { x: number[]; fx: number; evals: number } {
  const n = x0.length;
  let simplex = [x0, ...x0.map((_, i) => x0.map((v, j) => (i === j ? v + step : v)))];
  let values = simplex.map(f);
  let evals = n + 1;
  while (evals < maxEvals) {
    const order = values.map((v, i) => i).sort((a, b) => values[a] - values[b]);
    simplex = order.map((i) => simplex[i]);
    values = order.map((i) => values[i]);
    if (Math.abs(values[n] - values[0]) < 1e-7) break;
    const centroid = x0.map((_, j) => simplex.slice(0, n).reduce((s, p) => s + p[j], 0) / n);
    const along = (t: number) => centroid.map((c, j) => c + t * (simplex[n][j] - c));
    const xr = along(-1);
    const fr = f(xr);
    evals++;
    if (fr < values[0]) {
      const xe = along(-2);
      const fe = f(xe);
      evals++;
      if (fe < fr) [simplex[n], values[n]] = [xe, fe];
      else [simplex[n], values[n]] = [xr, fr];
    } else if (fr < values[n - 1]) {
      [simplex[n], values[n]] = [xr, fr];
    } else {
      const xc = fr < values[n] ? along(-0.5) : along(0.5);
      const fc = f(xc);
      evals++;
      if (fc < Math.min(fr, values[n])) [simplex[n], values[n]] = [xc, fc];
      else {
        for (let i = 1; i <= n; i++) {
          simplex[i] = simplex[i].map((v, j) => simplex[0][j] + 0.5 * (v - simplex[0][j]));
          values[i] = f(simplex[i]);
          evals++;
        }
      }
    }
  }
  const best = values.indexOf(Math.min(...values));
  return { x: simplex[best], fx: values[best], evals };
}

export interface FitResult {
  values: Record<ParamName, number>;
  loss: number;
  evals: number;
  /** Approximate standard error per parameter from the loss curvature (Gauss–Newton). */
  sd: Partial<Record<ParamName, number | null>>;
}

export interface FitOptions {
  params: ParamName[];
  start: Partial<Record<ParamName, number>>;
  maxEvals?: number;
  useKernelTables?: KernelTableChoice;
  onEval?: (evals: number, loss: number) => void;
}

export function fit(rows: FitRow[], opts: FitOptions): FitResult {
  const b = opts.params.map((p) => CALIBRATION_PARAMETERS[p]);
  const toValues = (z: number[]): Record<ParamName, number> => {
    const v = { ...opts.start } as Record<ParamName, number>;
    opts.params.forEach((p, i) => (v[p] = b[i].min + (b[i].max - b[i].min) * sigmoid(z[i])));
    return v;
  };
  const tables = opts.useKernelTables ?? true;
  let evals = 0;
  const loss = (z: number[]) => {
    const v = toValues(z);
    const l = logLoss(rows, rows.map((r) => predictWith(v, r, tables)));
    opts.onEval?.(++evals, l);
    return l;
  };
  const z0 = opts.params.map((p, i) => {
    const v = opts.start[p] ?? (b[i].min + b[i].max) / 2;
    const at = (v - b[i].min) / (b[i].max - b[i].min);
    // A start on a bound (moe_overlap's default 1 = the ideal roofline) begins mid-range: through the sigmoid a simplex step barely moves off a bound.
    const frac = at <= 0 || at >= 1 ? 0.5 : Math.min(0.98, Math.max(0.02, at));
    return logit(frac);
  });
  const r = nelderMead(loss, z0, 0.6, opts.maxEvals ?? 150);
  const values = toValues(r.x);
  // Curvature of the loss along each parameter (in its own units) → standard error.
  const sd: FitResult["sd"] = {};
  const nRes = rows.reduce((s, r) => s + FIT_METRICS.filter((k) => r.actual[k] !== undefined).length, 0);
  for (const [i, p] of opts.params.entries()) {
    const h = (b[i].max - b[i].min) * 0.02;
    const at = (dv: number) => {
      const v = { ...values, [p]: Math.min(b[i].max, Math.max(b[i].min, values[p] + dv)) };
      return logLoss(rows, rows.map((row) => predictWith(v, row, tables)));
    };
    const curv = (at(h) - 2 * r.fx + at(-h)) / (h * h);
    sd[p] = curv > 0 ? Math.sqrt((2 * r.fx) / (nRes * curv)) : null;
  }
  return { values, loss: r.fx, evals: r.evals, sd };
}

/** Deterministic k-fold assignment by configuration index. */
export function kFolds<T>(items: T[], k: number): T[][] {
  const folds: T[][] = Array.from({ length: k }, () => []);
  items.forEach((x, i) => folds[(i * 7919) % k].push(x));
  return folds;
}
