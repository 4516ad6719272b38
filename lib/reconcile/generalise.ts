/**
 * Generalisation checks (issue 16): predict each group of benchmark rows — one model, one engine, one
 * GPU, one vendor — with calibration that never saw that group. Each committed profile whose training
 * rows include the group is refitted without them (few evaluations, data/uncertainty/settings.json
 * `refit`) or, when none of its rows remain, dropped; the group's rows then get the calibration the
 * production path would choose among what is left (their own profile, else the transfer).
 * This file plans the folds; generalise-tasks.ts runs refits and predictions, generalise-run.ts
 * orchestrates and caches them.
 */
import type { Calibration, CalibrationFile } from "../calibration/profile";
import { calibrationFromFile } from "../calibration/profile";
import { transferAmong } from "../calibration/transfer";
import { readCsv } from "../core/csv";
import { InputError, parseOrThrow } from "../core/validate";
import type { FitCoverage } from "../uncertainty/basis";
import type { IntervalMetric } from "../uncertainty/widths";
import { loadFitRows } from "./calibrate";
import { convertRow } from "./convert";
import type { FitRow } from "./fit";
import { actualNumber, ConfigRow, INPUT_COLUMNS, LOAD_COLUMNS } from "./standard";

/** The held-out checks: which label of a row is left out. */
export const SPLITS = [
  { name: "leave-one-model-out", by: "model", about: "every row of one model held out (the InferenceMAX model and each model of the v0.17 table)" },
  { name: "leave-one-engine-out", by: "engine", about: "every row of one engine held out (engine versions count as one engine: trtllm-0.17 is TensorRT-LLM)" },
  { name: "leave-one-gpu-out", by: "gpu", about: "every row of one GPU (hardware profile) held out" },
  { name: "leave-one-vendor-out", by: "vendor", about: "every row of one GPU vendor held out" },
] as const;
export type SplitBy = (typeof SPLITS)[number]["by"];
export type RowGroups = Record<SplitBy, string>;

/** Where each actual metric is in the standard CSV. */
export const ACTUAL_OF: Record<IntervalMetric, string> = {
  throughput: "throughput_tokens_per_sec_per_gpu",
  output_throughput: "output_throughput_per_gpu",
  ttft: "mean_time_to_first_token_sec",
  tpot: "mean_time_per_output_token_sec",
  e2e: "mean_end_to_end_latency_sec",
};

/** A benchmark row with its groups and measured metrics. */
export interface DataRow {
  key: string;
  raw: Record<string, string>;
  config: ConfigRow;
  groups: RowGroups;
  family: string;
  load: string;
  actual: Partial<Record<IntervalMetric, number>>;
  dataset: string;
}

/** The identity of a configuration: its parsed input and load columns (so spellings of one value agree). */
export function rowKey(c: ConfigRow): string {
  return JSON.stringify([...INPUT_COLUMNS, ...LOAD_COLUMNS].map((k) => (c as Record<string, unknown>)[k] ?? null));
}

/** An engine without its version suffix (trtllm-0.17 → trtllm): one engine for leave-one-engine-out. */
export const engineGroup = (id: string): string => id.replace(/-\d+(\.\d+)*$/, "");

const labelCache = new Map<string, { groups: RowGroups; family: string; load: string }>();

/** A row's groups (model id, engine, hardware id, vendor), model family and load mode. */
export function labelsOf(c: ConfigRow): { groups: RowGroups; family: string; load: string } {
  const key = rowKey(c);
  const hit = labelCache.get(key);
  if (hit) return hit;
  const r = convertRow(c);
  const out = { groups: { model: r.model.id, engine: engineGroup(r.engine.id), gpu: r.hardware.id, vendor: r.hardware.vendor }, family: r.model.family, load: r.workload.kind };
  labelCache.set(key, out);
  return out;
}

/** Benchmark rows of standard CSVs (one row per configuration: pass aggregated files) with their labels. */
export function loadDataRows(files: string[]): DataRow[] {
  const out: DataRow[] = [];
  for (const file of files) {
    const { rows } = readCsv(file);
    rows.forEach((raw, i) => {
      const config = parseOrThrow(ConfigRow, raw, `${file} row ${i + 1}`);
      const actual: DataRow["actual"] = {};
      for (const [m, col] of Object.entries(ACTUAL_OF) as [IntervalMetric, string][]) {
        const v = actualNumber(raw, col);
        if (v !== undefined && v > 0) actual[m] = v;
      }
      out.push({ key: rowKey(config), raw, config, ...labelsOf(config), actual, dataset: file });
    });
  }
  return out;
}

/** A committed profile with the rows it was fitted on. */
export interface TrainedProfile {
  file: CalibrationFile;
  rows: FitRow[];
  labels: { groups: RowGroups; family: string; load: string }[];
}

/** The data files a profile names (`data.file`; several joined by "," or " + "). */
export function profileDataFiles(p: CalibrationFile): string[] {
  return p.data.file.split(/\s*,\s*|\s+\+\s+/).filter(Boolean);
}

/** The rows a profile was fitted on: its data files filtered to its hardware × engine, as `mantile calibrate` read them. */
export function trainingRows(p: CalibrationFile): TrainedProfile {
  if (!p.hardware || !p.engine) throw new InputError(`profile ${p.name} names no hardware × engine: held-out refits need one`);
  const rows = profileDataFiles(p).flatMap((f) => loadFitRows(f, `${p.hardware}/${p.engine}`).rows);
  return { file: p, rows, labels: rows.map((r) => labelsOf(r.config)) };
}

/** What a set of rows covers: models, families, load modes. */
export function coverageOf(labels: { groups: RowGroups; family: string; load: string }[]): FitCoverage {
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  return { models: uniq(labels.map((l) => l.groups.model)), families: uniq(labels.map((l) => l.family)), loads: uniq(labels.map((l) => l.load)) };
}

/** One refit: a profile without the rows of a held-out group. */
export interface RefitSpec {
  profile: CalibrationFile;
  by: SplitBy;
  group: string;
  /** Training rows that remain. */
  remaining: number;
}

/** The calibration of one held-out fold: profiles kept as they are, refitted, or dropped. */
export interface FoldPlan {
  split: string;
  by: SplitBy;
  group: string;
  kept: CalibrationFile[];
  refit: RefitSpec[];
  dropped: string[];
  /** What each profile of the fold (kept or refitted) was fitted on. */
  coverage: Map<string, FitCoverage>;
}

export function planFold(split: string, by: SplitBy, group: string, trained: TrainedProfile[]): FoldPlan {
  const plan: FoldPlan = { split, by, group, kept: [], refit: [], dropped: [], coverage: new Map() };
  for (const t of trained) {
    const remaining = t.labels.filter((l) => l.groups[by] !== group);
    if (remaining.length === t.labels.length) plan.kept.push(t.file);
    else if (remaining.length === 0) plan.dropped.push(t.file.name);
    else plan.refit.push({ profile: t.file, by, group, remaining: remaining.length });
    if (remaining.length) plan.coverage.set(t.file.name, coverageOf(remaining));
  }
  return plan;
}

/** The calibration the production path picks among these profiles: the hardware × engine's own, else the transfer, else none. */
export function calibrationAmong(profiles: CalibrationFile[], hardware: string, engine: string, source: string): Calibration | undefined {
  const own = profiles.find((p) => p.hardware === hardware && p.engine === engine);
  return own ? calibrationFromFile(own, source) : transferAmong(profiles, hardware, engine);
}

/** What makes two calibrations predict the same: their parameter values (or none). */
export function calibrationSignature(c: Calibration | undefined): string {
  if (!c) return "none";
  return JSON.stringify(Object.keys(c.values).sort().map((k) => [k, (c.values as Record<string, number>)[k]]));
}
