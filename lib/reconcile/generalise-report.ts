/**
 * The generalisation reports and the widths predictions use, from the residual records of a run
 * (generalise-run.ts): every held-out record scored with nested widths (measured without its group's
 * rows), coverage / median relative width / MAPE per split, fold and metric, the reliability curve,
 * and data/uncertainty/widths.json measured on every record.
 */
import * as fs from "fs";
import * as path from "path";
import { readCsv, writeCsv } from "../core/csv";
import { PROJECT_ROOT } from "../core/paths";
import { classKey } from "../uncertainty/basis";
import { evaluate, scoreFold, type Evaluation, type Scored } from "../uncertainty/coverage";
import { DIMENSIONS, uncertaintySettings, type UncertaintySettings } from "../uncertainty/settings";
import { logQuantile, METRIC_KEYS, residualClasses, type ResidualRecord, type WidthsFile } from "../uncertainty/widths";
import { SPLITS } from "./generalise";
import type { GeneralisationRun } from "./generalise-run";

/** The in-distribution check: each profile's k-fold residuals, each row's width from the other rows' residuals. */
export const IN_DISTRIBUTION = { name: "k-fold (like the training data)", by: "row" } as const;

export interface SplitReport {
  split: string;
  about: string;
  overall: Evaluation;
  folds: { group: string; refit: string[]; dropped: string[]; errors: number; evaluation: Evaluation }[];
  scored: Scored[];
}

/** One record per row, calibration and metric: a row predicted identically in two splits counts once in the widths. */
export function dedupe(records: ResidualRecord[]): ResidualRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const k = `${r.row}|${r.metric}|${r.predicted}|${classKey(r.basis, DIMENSIONS)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Every split scored with nested widths: each fold's records against the pool without that fold's group. */
export function splitReports(run: GeneralisationRun, s: UncertaintySettings = uncertaintySettings()): { pool: ResidualRecord[]; reports: SplitReport[] } {
  const pool = dedupe([...run.outOfFold, ...Object.values(run.folds).flatMap((fs) => fs.flatMap((f) => f.records))]);
  const reports: SplitReport[] = [];
  // One fold per profile (its hardware × engine), each record scored with its own row left out of the widths.
  const profileOf = (r: ResidualRecord) => r.basis.profile;
  const oofFolds = [...new Set(run.outOfFold.map(profileOf))].sort().map((g) => ({ group: g, scored: scoreFold(run.outOfFold.filter((r) => profileOf(r) === g), pool, IN_DISTRIBUTION.by, g, s) }));
  reports.push({
    split: IN_DISTRIBUTION.name, about: "each profile's own k-fold out-of-fold predictions (data/calibration/*.out-of-fold.csv); each row's interval from the other rows' residuals (its own left out), i.e. the profile's out-of-fold residuals for a request like its training data",
    overall: evaluate(oofFolds.flatMap((f) => f.scored), s), scored: oofFolds.flatMap((f) => f.scored),
    folds: oofFolds.map((f) => ({ group: f.group, refit: [], dropped: [], errors: 0, evaluation: evaluate(f.scored, s) })),
  });
  for (const split of SPLITS) {
    const folds = (run.folds[split.name] ?? []).map((f) => ({ f, scored: scoreFold(f.records, pool, split.by, f.plan.group, s) }));
    const scored = folds.flatMap((x) => x.scored);
    reports.push({
      split: split.name, about: split.about, overall: evaluate(scored, s), scored,
      folds: folds.map(({ f, scored: sc }) => ({ group: f.plan.group, refit: f.plan.refit.map((r) => r.profile.name), dropped: f.plan.dropped, errors: f.errors.length, evaluation: evaluate(sc, s) })),
    });
  }
  return { pool, reports };
}

/** widths.json: the widths of every class measured on every held-out record, and what each profile was fitted on. */
export function widthsFile(run: GeneralisationRun, pool: ResidualRecord[], sources: Record<string, string>, s: UncertaintySettings = uncertaintySettings()): WidthsFile {
  const coverage: WidthsFile["coverage"] = {};
  for (const [k, c] of Object.entries(run.coverage)) coverage[k] = { fingerprint: c.fingerprint, models: c.models, families: c.families, loads: c.loads, configurations: c.configurations };
  return {
    schema: "mantile.widths/v2",
    _about: "Residuals ln(actual / predicted) per exact class of prediction basis (lib/uncertainty/basis.ts) and metric, measured on predictions that did not see their rows: each profile's k-fold out-of-fold residuals and the held-out folds of the generalisation reports (reconcile/generalisation). A prediction's interval is the p10-p90 of its class's residuals, pooled with coarser classes when thin (data/uncertainty/settings.json min_samples, fallback, symmetric; lib/uncertainty/widths.ts widthFor). `coverage`: what each committed calibration profile was fitted on, by profile content (fingerprint). Written by `npm run generalisation`; do not edit by hand.",
    created: new Date().toISOString().slice(0, 10),
    sources,
    coverage,
    classes: residualClasses(pool),
  };
}

const f1 = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : "n/a");
const f2 = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)}%` : "n/a");

/** The headline table: per split and metric, rows, MAPE, coverage of the 80% interval and its median relative width. */
export function summaryMarkdown(reports: SplitReport[], s: UncertaintySettings = uncertaintySettings()): string {
  const [lo, hi] = s.coverage_target.value;
  const head = `| split | ${METRIC_KEYS.map((m) => `${m} n · MAPE · cov80 · width`).join(" | ")} |`;
  const sep = `| --- | ${METRIC_KEYS.map(() => "---").join(" | ")} |`;
  const cell = (e: Evaluation[keyof Evaluation]) => {
    if (!e.n) return "–";
    const ok = e.coverage >= lo && e.coverage <= hi ? "" : Number.isFinite(e.coverage) ? " ✗" : "";
    return `${e.n} · ${f2(e.mape)} · ${f1(e.coverage)}${ok} · ${f1(e.medianRelativeWidth)}`;
  };
  return [head, sep, ...reports.map((r) => `| ${r.split} | ${METRIC_KEYS.map((m) => cell(r.overall[m])).join(" | ")} |`)].join("\n");
}

/** Per-fold table of one split. */
export function foldMarkdown(r: SplitReport): string {
  const lines = [`| held out | calibration | ${METRIC_KEYS.join(" | ")} |`, `| --- | --- | ${METRIC_KEYS.map(() => "---").join(" | ")} |`];
  for (const f of r.folds) {
    const cal = [f.refit.length ? `refit ${f.refit.join(", ")}` : "", f.dropped.length ? `dropped ${f.dropped.join(", ")}` : ""].filter(Boolean).join("; ") || "unchanged";
    lines.push(`| ${f.group} | ${cal}${f.errors ? ` (${f.errors} rows failed)` : ""} | ${METRIC_KEYS.map((m) => {
      const e = f.evaluation[m];
      return e.n ? `${e.n} · ${f2(e.mape)} · ${f1(e.coverage)} · ${f1(e.medianRelativeWidth)}` : "–";
    }).join(" | ")} |`);
  }
  return lines.join("\n");
}

/** Write summary.csv, reliability.csv, records.csv and README.md to `out`. */
export function writeReports(out: string, reports: SplitReport[], header: string, s: UncertaintySettings = uncertaintySettings()): void {
  fs.mkdirSync(out, { recursive: true });
  const lo = s.interval.lower.value;
  const hi = s.interval.upper.value;
  const summary = reports.flatMap((r) => [{ group: "all", evaluation: r.overall }, ...r.folds].flatMap((f) => METRIC_KEYS.map((m) => {
    const e = f.evaluation[m];
    return { split: r.split, held_out: f.group, metric: m, n: e.n, mape_pct: round(e.mape), with_interval: e.withInterval, coverage_80: round(e.coverage), median_relative_width_80: round(e.medianRelativeWidth), ...Object.fromEntries(e.reliability.map((x) => [`coverage_${Math.round(x.nominal * 100)}`, round(x.observed)])) };
  })));
  const relCols = s.reliability.value.map((x) => `coverage_${Math.round(x * 100)}`);
  writeCsv(path.join(out, "summary.csv"), ["split", "held_out", "metric", "n", "mape_pct", "with_interval", "coverage_80", "median_relative_width_80", ...relCols.filter((c) => c !== "coverage_80")], summary.filter((x) => x.n > 0));
  writeCsv(path.join(out, "reliability.csv"), ["split", "metric", "nominal", "observed", "n"], reports.flatMap((r) => METRIC_KEYS.flatMap((m) => r.overall[m].reliability.map((x) => ({ split: r.split, metric: m, nominal: x.nominal, observed: round(x.observed), n: r.overall[m].withInterval })))).filter((x) => x.n > 0));
  const records = reports.flatMap((r) => r.scored.map(({ record: x, width: w }) => ({
    split: r.split, model: x.groups.model, engine: x.groups.engine, gpu: x.groups.gpu, vendor: x.groups.vendor, metric: x.metric,
    basis: classKey(x.basis, DIMENSIONS), predicted: sig(x.predicted), actual: sig(x.actual),
    p10: w ? sig(x.predicted * Math.exp(logQuantile(w, lo))) : "", p90: w ? sig(x.predicted * Math.exp(logQuantile(w, hi))) : "", width_class: w?.key ?? "",
  })));
  writeCsv(path.join(out, "records.csv"), ["split", "model", "engine", "gpu", "vendor", "metric", "basis", "predicted", "actual", "p10", "p90", "width_class"], records);
  const body = [header, "", "## Summary (each cell: held-out rows · MAPE · coverage of the 80% interval · median relative width (p90 − p10) / predicted; ✗ outside the 75–85% target)", "", summaryMarkdown(reports, s), ""];
  for (const r of reports) body.push(`## ${r.split}`, "", r.about, "", foldMarkdown(r), "");
  fs.writeFileSync(path.join(out, "README.md"), body.join("\n"));
}

const round = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(4)) : "");
/** Six significant digits: the records file stays readable and small. */
const sig = (x: number) => Number(x.toPrecision(6));

export const relativeToRoot = (p: string): string => path.relative(PROJECT_ROOT, path.resolve(p));

/** The committed generalisation reports (reconcile/generalisation): per split, fold and metric, as `writeReports` wrote them. */
export interface GeneralisationTables {
  summary: { split: string; held_out: string; metric: string; n: number; mape_pct: number; coverage_80: number; median_relative_width_80: number }[];
  reliability: { split: string; metric: string; nominal: number; observed: number; n: number }[];
}

export const GENERALISATION_DIR = path.join(PROJECT_ROOT, "reconcile", "generalisation");

export function readGeneralisation(dir = GENERALISATION_DIR): GeneralisationTables {
  const num = (v: string) => (v === "" ? NaN : Number(v));
  const summary = readCsv(path.join(dir, "summary.csv")).rows.map((r) => ({ split: r.split, held_out: r.held_out, metric: r.metric, n: num(r.n), mape_pct: num(r.mape_pct), coverage_80: num(r.coverage_80), median_relative_width_80: num(r.median_relative_width_80) }));
  const reliability = readCsv(path.join(dir, "reliability.csv")).rows.map((r) => ({ split: r.split, metric: r.metric, nominal: num(r.nominal), observed: num(r.observed), n: num(r.n) }));
  return { summary, reliability };
}

/** One reliability curve per split for a metric (the shape lib/plots reliabilityDiagram draws). */
export function reliabilitySeries(t: GeneralisationTables, metric: string): { name: string; points: { nominal: number; observed: number }[]; n: number }[] {
  const splits = [...new Set(t.reliability.filter((r) => r.metric === metric).map((r) => r.split))];
  return splits.map((split) => {
    const rows = t.reliability.filter((r) => r.metric === metric && r.split === split);
    return { name: split, points: rows.map((r) => ({ nominal: r.nominal, observed: r.observed })), n: rows[0]?.n ?? 0 };
  });
}
