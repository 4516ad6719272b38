/**
 * Run the generalisation checks: out-of-fold residuals of every committed profile, then every fold of
 * every split (SPLITS in generalise.ts) — refits without the held-out group, predictions of its rows
 * with the calibration the production path would pick, each classified by its basis — as residual
 * records. Refits and predictions are cached in `<out>/cache/<fingerprint>/` (append-only JSON lines),
 * keyed by what they depend on; the fingerprint hashes the library and data that predictions depend on,
 * so a re-run resumes where it stopped and a changed model or profile is never served stale.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { calibrationFromFile, CALIBRATION_DIR, listProfiles, type CalibrationFile } from "../calibration/profile";
import { readCsv } from "../core/csv";
import { DATA_DIR, PROJECT_ROOT } from "../core/paths";
import { parseOrThrow } from "../core/validate";
import { classify, profileFingerprint, type BasisContext, type FitCoverage } from "../uncertainty/basis";
import type { IntervalMetric, ResidualRecord } from "../uncertainty/widths";
import { calibrationAmong, calibrationSignature, coverageOf, labelsOf, loadDataRows, planFold, rowKey, SPLITS, trainingRows, type DataRow, type FoldPlan, type TrainedProfile } from "./generalise";
import { runTasks, type Metrics, type PredictTask, type RefitTask, type Task, type TaskResult } from "./generalise-tasks";
import { resolveRow } from "./predict";
import { ConfigRow } from "./standard";

export interface GeneralisationOptions {
  /** Standard CSVs, one row per configuration (aggregated), with measured metrics. */
  datasets: string[];
  /** Output folder (the cache goes to <out>/cache). */
  out: string;
  jobs: number;
  maxEvals: number;
  limit: number;
  log?: (message: string) => void;
}

export interface Fold {
  plan: FoldPlan;
  records: ResidualRecord[];
  /** Rows whose prediction failed (with the reason). */
  errors: { row: string; error: string }[];
}

export interface GeneralisationRun {
  fingerprint: string;
  rows: DataRow[];
  trained: TrainedProfile[];
  /** What each committed profile was fitted on. */
  coverage: Record<string, FitCoverage & { fingerprint: string; configurations: number }>;
  outOfFold: ResidualRecord[];
  folds: Record<string, Fold[]>;
}

/** The modules a refit or a prediction runs: these files and every library file they import (their code decides the numbers). */
const ENTRY_POINTS = ["predict.ts", "calibrate.ts", "fit.ts"].map((f) => path.join(__dirname, f));

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)])).sort();
}

/** Every library file reachable from the entry points through relative imports. */
export function importClosure(entries: string[]): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !fs.existsSync(file)) return;
    seen.add(file);
    for (const m of fs.readFileSync(file, "utf8").matchAll(/(?:from|require\()\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      const target = path.resolve(path.dirname(file), m[1]);
      visit(/\.(ts|js)$/.test(target) ? target : `${target}.ts`);
    }
  };
  entries.forEach(visit);
  return [...seen].sort();
}

/**
 * Hash of what a refit or a prediction depends on: the library files they run (their import closure, but
 * lib/uncertainty), data/ (not data/uncertainty, which this run writes) and the datasets.
 */
export function predictionFingerprint(datasets: string[]): string {
  const h = createHash("sha256");
  // lib/uncertainty only adds intervals after a prediction: its code never changes a predicted number.
  const code = importClosure(ENTRY_POINTS).filter((f) => !f.startsWith(path.join(PROJECT_ROOT, "lib", "uncertainty")));
  const files = [...code, ...filesUnder(DATA_DIR).filter((f) => !f.startsWith(path.join(DATA_DIR, "uncertainty"))), ...datasets.map((d) => path.resolve(PROJECT_ROOT, d))];
  for (const f of files) h.update(path.relative(PROJECT_ROOT, f)).update("\0").update(fs.readFileSync(f)).update("\0");
  return h.digest("hex").slice(0, 16);
}

/** An append-only JSON-lines cache (a torn last line from a crash is ignored). */
class LineCache<T> {
  private readonly map = new Map<string, T>();
  constructor(private readonly file: string) {
    if (!fs.existsSync(file)) return;
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      try {
        const { key, value } = JSON.parse(line);
        this.map.set(key, value);
      } catch {
        /* a torn or empty line */
      }
    }
  }
  get(key: string): T | undefined {
    return this.map.get(key);
  }
  set(key: string, value: T): void {
    this.map.set(key, value);
    fs.appendFileSync(this.file, JSON.stringify({ key, value }) + "\n");
  }
}

const hash = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 24);

/** Residual records from a committed profile's k-fold out-of-fold predictions (data/calibration/<name>.out-of-fold.csv). */
export function outOfFoldRecords(t: TrainedProfile, byKey: Map<string, DataRow>): ResidualRecord[] {
  const file = path.join(CALIBRATION_DIR, `${t.file.name}.out-of-fold.csv`);
  if (!fs.existsSync(file)) return [];
  const split = Object.keys(t.file.cross_validation).find((k) => /-fold$/.test(k)) ?? "k-fold";
  const ctx: BasisContext = { profiles: [t.file], coverage: (n) => (n === t.file.name ? coverageOf(t.labels) : undefined) };
  const cal = calibrationFromFile(t.file, path.relative(PROJECT_ROOT, file));
  const out: ResidualRecord[] = [];
  for (const raw of readCsv(file).rows) {
    const config = parseOrThrow(ConfigRow, raw, file);
    const basis = classify(resolveRow(config, { calibration: cal }).run, ctx);
    const key = rowKey(config);
    const base = { row: key, groups: labelsOf(config).groups, split, basis: pickClass(basis) };
    const num = (c: string) => Number(raw[c]);
    for (const m of ["throughput", "ttft", "tpot", "e2e"] as const) {
      if (num(`actual_${m}`) > 0 && num(`oof_${m}`) > 0) out.push({ ...base, metric: m, predicted: num(`oof_${m}`), actual: num(`actual_${m}`) });
    }
    // The file holds total throughput; output throughput's out-of-fold error is the same ratio (the share of output tokens
    // is the same in the simulated and the measured run of an aggregated configuration).
    const data = byKey.get(key);
    const out1 = data?.actual.output_throughput;
    if (out1 && num("actual_throughput") > 0 && num("oof_throughput") > 0) out.push({ ...base, metric: "output_throughput", predicted: (num("oof_throughput") * out1) / num("actual_throughput"), actual: out1 });
  }
  return out;
}

const pickClass = (b: ResidualRecord["basis"]): ResidualRecord["basis"] => ({ profile: b.profile, hardware: b.hardware, kernels: b.kernels, model: b.model, engine: b.engine, load: b.load });

/** Every fold of every split, with refits and predictions cached; returns the residual records. */
export async function runGeneralisation(o: GeneralisationOptions): Promise<GeneralisationRun> {
  const log = o.log ?? (() => undefined);
  const fingerprint = predictionFingerprint(o.datasets);
  const cacheRoot = path.join(o.out, "cache");
  const cacheDir = path.join(cacheRoot, fingerprint);
  if (fs.existsSync(cacheRoot)) for (const d of fs.readdirSync(cacheRoot)) if (d !== fingerprint) fs.rmSync(path.join(cacheRoot, d), { recursive: true, force: true });
  fs.mkdirSync(cacheDir, { recursive: true });
  const refits = new LineCache<CalibrationFile>(path.join(cacheDir, "refits.jsonl"));
  const predictions = new LineCache<{ metrics: Metrics | null; error?: string }>(path.join(cacheDir, "predictions.jsonl"));

  const rows = loadDataRows(o.datasets);
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const trained = listProfiles().filter((p) => p.hardware && p.engine).map(trainingRows);
  const coverage: GeneralisationRun["coverage"] = {};
  for (const t of trained) coverage[t.file.name] = { fingerprint: profileFingerprint(t.file), ...coverageOf(t.labels), configurations: t.rows.length };
  const outOfFold = trained.flatMap((t) => outOfFoldRecords(t, byKey));
  log(`${rows.length} rows, ${trained.length} profiles (${trained.map((t) => t.file.name).join(", ")}), ${outOfFold.length} out-of-fold residuals; cache ${path.relative(PROJECT_ROOT, cacheDir)}`);

  // 1. Plans and refits.
  const plans = SPLITS.map((s) => ({ split: s, plans: [...new Set(rows.map((r) => r.groups[s.by]))].sort().map((g) => planFold(s.name, s.by, g, trained)) }));
  const refitKey = (r: { profile: CalibrationFile; by: string; group: string }) => hash(`${profileFingerprint(r.profile)}|${r.by}|${r.group}|${o.maxEvals}|${o.limit}`);
  const refitTasks: RefitTask[] = [];
  for (const { plans: ps } of plans) for (const p of ps) for (const r of p.refit) if (!refits.get(refitKey(r)) && !refitTasks.some((t) => refitKey(t) === refitKey(r))) refitTasks.push({ kind: "refit", profile: r.profile, by: r.by, group: r.group, maxEvals: o.maxEvals, limit: o.limit });
  if (refitTasks.length) log(`refitting ${refitTasks.length} profile(s) without their held-out group (${o.maxEvals} evaluations each, ≤ ${o.limit} configurations)`);
  await runTasks(refitTasks, o.jobs, (i, r) => {
    if (r.kind === "refit") refits.set(refitKey(refitTasks[i]), r.profile);
    log(`  refit ${i + 1}/${refitTasks.length}: ${refitTasks[i].profile.name} without ${refitTasks[i].by} ${refitTasks[i].group}`);
  });

  // 2. Each fold's profiles, each held-out row's calibration; predictions not cached yet.
  const foldRows = plans.flatMap(({ split, plans: ps }) => ps.map((plan) => {
    const profiles = [...plan.kept, ...plan.refit.map((r) => refits.get(refitKey(r))!)];
    const items = rows.filter((r) => r.groups[split.by] === plan.group).map((row) => {
      const { hardware, engine } = idsOf(row);
      const cal = calibrationAmong(profiles, hardware, engine, `${plan.split} fold ${plan.group}`);
      return { row, cal, key: hash(`${row.key}|${calibrationSignature(cal)}`) };
    });
    return { split, plan, profiles, items };
  }));
  const tasks: { key: string; task: PredictTask }[] = [];
  const queued = new Set<string>();
  for (const f of foldRows) for (const it of f.items) {
    if (predictions.get(it.key) || queued.has(it.key)) continue;
    queued.add(it.key);
    tasks.push({ key: it.key, task: { kind: "predict", raw: it.row.raw, calibration: it.cal ? { name: it.cal.name, values: it.cal.values, description: it.cal.describe() } : null } });
  }
  log(`predicting ${tasks.length} held-out rows (${queued.size ? "" : "all "}cached otherwise) on ${o.jobs} thread(s)`);
  let done = 0;
  await runTasks(tasks.map((t) => t.task as Task), o.jobs, (i, r: TaskResult) => {
    if (r.kind === "predict") predictions.set(tasks[i].key, { metrics: r.metrics, error: r.error });
    if (++done % 100 === 0) log(`  ${done}/${tasks.length} predicted`);
  });

  // 3. Records: each held-out row's residuals, classified by its basis among its fold's profiles.
  const folds: Record<string, Fold[]> = {};
  for (const f of foldRows) {
    const ctx: BasisContext = { profiles: f.profiles, coverage: (n) => f.plan.coverage.get(n) };
    const fold: Fold = { plan: f.plan, records: [], errors: [] };
    for (const it of f.items) {
      const p = predictions.get(it.key)!;
      if (!p.metrics) {
        fold.errors.push({ row: it.row.key, error: p.error ?? "no prediction" });
        continue;
      }
      const basis = pickClass(classify(resolveRow(it.row.config, { calibration: it.cal ?? "none" }).run, ctx));
      for (const [m, actual] of Object.entries(it.row.actual) as [IntervalMetric, number][]) {
        const predicted = p.metrics[m];
        if (predicted !== null && predicted > 0) fold.records.push({ row: it.row.key, groups: it.row.groups, split: f.split.name, basis, metric: m, predicted, actual });
      }
    }
    (folds[f.split.name] ??= []).push(fold);
  }
  return { fingerprint, rows, trained, coverage, outOfFold, folds };
}

const idCache = new Map<string, { hardware: string; engine: string }>();

/** The hardware and engine profile ids of a row (as the production path resolves them). */
function idsOf(row: DataRow): { hardware: string; engine: string } {
  let hit = idCache.get(row.key);
  if (!hit) {
    const r = resolveRow(row.config, { calibration: "none" }).run;
    idCache.set(row.key, (hit = { hardware: r.hardware.id, engine: r.baseEngine.id }));
  }
  return hit;
}
