/**
 * Batch sizing: one sizing search per CSV row (model, gpu, ttft_budget_sec, input_tokens,
 * output_tokens), every input column carried through unchanged, predicted columns appended.
 */
import * as fs from "fs";
import { readCsv, writeCsv, type CsvRow } from "../core/csv";
import { InputError } from "../core/validate";
import { getHardware } from "../hardware/registry";
import { loadModel } from "../model/registry";
import { positive, sizeDeployment, type SizingRequest, type SizingResult } from "./search";

export const REQUIRED_COLUMNS = ["model", "gpu", "ttft_budget_sec", "input_tokens", "output_tokens"] as const;

/** Columns appended to each row (the GPU column is named after the target rate). */
export function outputColumns(targetRps: number): string[] {
  return [
    "predicted_feasible",
    "predicted_requests_per_sec_per_gpu",
    `predicted_gpus_for_${targetRps}_rps`,
    "predicted_replicas",
    "predicted_tp",
    "predicted_precision",
    "predicted_concurrency",
    "predicted_ttft_sec",
    "predicted_best_single_ttft_sec",
    "predicted_batch1_requests_per_sec_per_gpu",
    "predicted_engine",
    "calibration_profile",
    "reason",
  ];
}

export type BatchOptions = Omit<SizingRequest, "model" | "hardware" | "isl" | "osl" | "ttftBudgetSec" | "onCandidate">;

/** Check every row before any simulation; one error lists every bad cell by row and column. */
export function validateRows(columns: string[], rows: CsvRow[], targetRps: number): void {
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length) throw new InputError(`input CSV is missing column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (needs ${REQUIRED_COLUMNS.join(", ")})`);
  const clash = outputColumns(targetRps).filter((c) => columns.includes(c));
  if (clash.length) throw new InputError(`input CSV already has output column${clash.length > 1 ? "s" : ""} ${clash.join(", ")}: give the original chart, not a previous output`);
  const problems: string[] = [];
  rows.forEach((r, i) => {
    const where = `row ${i + 1} (line ${i + 2})`;
    const check = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        if (e instanceof InputError) problems.push(`${where} ${e.message.split("\n")[0]}`);
        else throw e;
      }
    };
    check(() => {
      try {
        loadModel(r.model);
      } catch (e) {
        if (e instanceof InputError) throw new InputError(`model: ${e.message}`);
        throw e;
      }
    });
    check(() => {
      try {
        getHardware(r.gpu);
      } catch (e) {
        if (e instanceof InputError) throw new InputError(`gpu: ${e.message}`);
        throw e;
      }
    });
    check(() => positive(r.ttft_budget_sec, "ttft_budget_sec"));
    check(() => positive(r.input_tokens, "input_tokens", true));
    check(() => positive(r.output_tokens, "output_tokens", true));
  });
  if (problems.length) throw new InputError(`invalid input CSV:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

const sig = (x: number, d = 4): number | "" => (Number.isFinite(x) ? Number(x.toPrecision(d)) : "");

/** Requests/s per GPU at one request at a time (batch 1) under the budget: the best 1 / (E2E · TP). */
export function batch1RpsPerGpu(r: SizingResult): number {
  let best = NaN;
  for (const c of r.candidates) {
    if (!(c.singleTtft <= r.ttftBudgetSec)) continue;
    const v = 1 / (c.singleE2e * c.gpus);
    if (!(v <= best)) best = v;
  }
  return best;
}

/** The predicted columns for one result. */
export function predictedCells(r: SizingResult): Record<string, string | number | boolean> {
  const b = r.best;
  return {
    predicted_feasible: r.feasible,
    predicted_requests_per_sec_per_gpu: b ? sig(r.rpsPerGpu) : "",
    [`predicted_gpus_for_${r.targetRps}_rps`]: b ? r.gpusForTarget : "",
    predicted_replicas: b ? r.replicas : "",
    predicted_tp: b ? b.tp : "",
    predicted_precision: b ? b.precision : "",
    predicted_concurrency: b ? sig(r.concurrency, 3) : "",
    predicted_ttft_sec: b ? sig(r.ttft) : "",
    predicted_best_single_ttft_sec: sig(r.bestSingleTtft),
    predicted_batch1_requests_per_sec_per_gpu: sig(batch1RpsPerGpu(r)),
    predicted_engine: r.engine,
    calibration_profile: r.calibration,
    reason: r.reason,
  };
}

export interface BatchResult {
  columns: string[];
  rows: Record<string, unknown>[];
  results: SizingResult[];
  seconds: number;
}

/** Size every row (identical rows share one search). */
export function sizeRows(
  columns: string[],
  rows: CsvRow[],
  opts: BatchOptions = {},
  onRow?: (done: number, total: number, r: SizingResult, row: CsvRow) => void,
): BatchResult {
  const started = Date.now();
  const targetRps = positive(opts.targetRps ?? 10, "target rps");
  validateRows(columns, rows, targetRps);
  const cache = new Map<string, SizingResult>();
  const out: Record<string, unknown>[] = [];
  const results: SizingResult[] = [];
  rows.forEach((row, i) => {
    const req: SizingRequest = {
      ...opts,
      targetRps,
      model: row.model,
      hardware: row.gpu,
      ttftBudgetSec: Number(row.ttft_budget_sec),
      isl: Number(row.input_tokens),
      osl: Number(row.output_tokens),
    };
    const key = JSON.stringify([row.model, row.gpu, req.ttftBudgetSec, req.isl, req.osl]);
    let r = cache.get(key);
    if (!r) {
      r = sizeDeployment(req);
      cache.set(key, r);
    }
    results.push(r);
    out.push({ ...row, ...predictedCells(r) });
    onRow?.(i + 1, rows.length, r, row);
  });
  return { columns: [...columns, ...outputColumns(targetRps)], rows: out, results, seconds: (Date.now() - started) / 1e3 };
}

export function sizeFile(input: string, output: string, opts: BatchOptions = {}, onRow?: (done: number, total: number, r: SizingResult, row: CsvRow) => void): BatchResult {
  if (!fs.existsSync(input)) throw new InputError(`--input: file not found: ${input}`);
  const { columns, rows } = readCsv(input);
  if (rows.length === 0) throw new InputError(`--input: ${input} has no data rows`);
  const r = sizeRows(columns, rows, opts, onRow);
  writeCsv(output, r.columns, r.rows);
  return r;
}
