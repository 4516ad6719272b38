/** `mantile calibrate`: fit a profile for one hardware × engine (or all rows), with cross-validation. */
import { defaultEfficiency } from "../calibration/efficiency";
import { CALIBRATION_PARAMETERS, DEFAULT_FIT, type ParamName } from "../calibration/parameters";
import type { CalibrationFile } from "../calibration/profile";
import { readCsv } from "../core/csv";
import { InputError, parseOrThrow } from "../core/validate";
import { getEngine } from "../engine/profile";
import { getHardware } from "../hardware/registry";
import type { KernelTableChoice } from "../step/kernel-source";
import { convertRow } from "./convert";
import { fit, FIT_METRICS, kFolds, mapeOf, predictWith, type FitMetric, type FitRow, type Prediction } from "./fit";
import { aggregateRuns } from "./inferencemax";
import { actualNumber, ConfigRow } from "./standard";
import { expertDtypeOf } from "../run/resolve";

export interface CalibrateOptions {
  data: string;
  /** "b200/vllm", "h100/vllm", … or "global" (all rows). */
  profile: string;
  params?: ParamName[];
  folds?: number;
  maxEvals?: number;
  cvEvals?: number;
  useKernelTables?: KernelTableChoice;
  /** Limit to the first N configurations (quick checks). */
  limit?: number;
  /** Held-out checks: k-fold only; k-fold plus the ISL/OSL and concurrency splits; or whole models and whole GPUs held out. */
  cv?: "kfold" | "all" | "groups";
  onProgress?: (stage: string, evals: number, loss: number) => void;
}

export interface CalibrateResult {
  file: CalibrationFile;
  rows: FitRow[];
  outOfFold: Prediction[];
}

/** Where a fit starts: the library defaults of the fitted parameters (efficiency defaults, the engine profile's times). */
export function startValues(params: ParamName[], engineId: string | null): Partial<Record<ParamName, number>> {
  const eff = defaultEfficiency();
  const eng = getEngine(engineId ?? "vllm");
  const out: Partial<Record<ParamName, number>> = {};
  for (const p of params) {
    const k = CALIBRATION_PARAMETERS[p].kind;
    out[p] = k === "efficiency" ? eff[p as keyof typeof eff].value : (eng as unknown as Record<string, { value: number }>)[p].value;
  }
  return out;
}

/** Rows of one or more standard CSVs (comma-separated paths), repeated runs averaged per file. */
function readFitData(data: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const file of data.split(",").map((x) => x.trim()).filter(Boolean)) {
    const { rows: raw } = readCsv(file);
    if (raw.length === 0) throw new InputError(`--data ${file} has no rows`);
    out.push(...("runs" in raw[0] ? raw : aggregateRuns(raw)));
  }
  return out;
}

/**
 * The rows a profile is fitted on: HARDWARE/ENGINE (that pair), any/ENGINE (every GPU the engine ran on:
 * an engine profile whose host times are shared), or global (all rows).
 */
export function loadFitRows(data: string, profile: string): { rows: FitRow[]; hardware: string | null; engine: string | null; filter: string; rawRows: number } {
  const agg = readFitData(data);
  let hardware: string | null = null;
  let engine: string | null = null;
  let filter = "all rows";
  if (profile !== "global") {
    const [h, e] = profile.split("/");
    if (!h || !e) throw new InputError(`--profile must be HARDWARE/ENGINE (e.g. b200/vllm), any/ENGINE or global (got "${profile}")`);
    hardware = h === "any" ? null : getHardware(h).id;
    engine = getEngine(e).id;
    filter = hardware ? `hardware ${hardware}, engine ${engine}` : `engine ${engine}, any hardware`;
  }
  const rows: FitRow[] = [];
  for (const r of agg) {
    const config = parseOrThrow(ConfigRow, r, "row");
    const req = convertRow(config);
    if (hardware && req.hardware.id !== hardware) continue;
    if (engine && req.engine.id !== engine) continue;
    const measured = (c: string) => {
      const v = actualNumber(r, c);
      return v !== undefined && v > 0 ? v : undefined;
    };
    const actual: FitRow["actual"] = {};
    const m = { throughput: measured("throughput_tokens_per_sec_per_gpu"), ttft: measured("mean_time_to_first_token_sec"), tpot: measured("mean_time_per_output_token_sec"), e2e: measured("mean_end_to_end_latency_sec") };
    for (const [k, v] of Object.entries(m)) if (v !== undefined) actual[k as keyof typeof m] = v;
    if (Object.keys(actual).length === 0) continue;
    const load = req.workload.kind === "closed" ? (config.concurrency <= 32 ? "conc ≤ 32" : "conc > 32") : req.workload.kind;
    rows.push({
      config,
      actual,
      labels: { "isl/osl": `${config.input_seq_len}/${config.output_seq_len}`, concurrency: load, hardware: req.hardware.id, engine: req.engine.id, model: req.model.id, experts: expertDtypeOf(req.model, req) ?? "dense" },
    });
  }
  if (rows.length === 0) throw new InputError(`no rows of ${data} match profile ${profile}`);
  return { rows, hardware, engine, filter, rawRows: agg.length };
}

export function calibrate(opts: CalibrateOptions): CalibrateResult {
  const loaded = loadFitRows(opts.data, opts.profile);
  const rows = opts.limit ? loaded.rows.slice(0, opts.limit) : loaded.rows;
  const params = opts.params ?? DEFAULT_FIT;
  if (params.length > 6) throw new InputError(`at most 6 parameters per profile (got ${params.length})`);
  const start = startValues(params, loaded.engine);
  const tables = opts.useKernelTables ?? true;
  const full = fit(rows, { params, start, maxEvals: opts.maxEvals ?? 120, useKernelTables: tables, onEval: (e, l) => opts.onProgress?.("full fit", e, l) });
  const inSample = mapeOf(rows, rows.map((r) => predictWith(full.values, r, tables)));

  // Held-out error: refit without each fold from the same defaults (never from the full fit, which saw the fold), predict the fold.
  const cvFit = (train: FitRow[], stage: string) => fit(train, { params, start, maxEvals: opts.cvEvals ?? 60, useKernelTables: tables, onEval: (e, l) => opts.onProgress?.(stage, e, l) }).values;
  const outOfFold: Prediction[] = new Array(rows.length);
  const index = new Map(rows.map((r, i) => [r, i]));
  const cross: Record<string, Record<string, number>> = {};
  // Metrics no held-out row measured (an offline table has throughput only) are left out of the table.
  const put = (name: string, m: Record<FitMetric, number>, n: number) =>
    (cross[name] = { ...Object.fromEntries(FIT_METRICS.filter((x) => Number.isFinite(m[x])).map((x) => [`${x}_mape`, round(m[x])])), rows: n });
  /** Refit without each group of `label`, predict the group; the first label's predictions are the out-of-fold ones. */
  const holdOut = (labels: string[], fillOutOfFold: boolean) => {
    labels.forEach((label, li) => {
      const groups = [...new Set(rows.map((r) => r.labels[label]))];
      if (groups.length < 2) return;
      for (const g of groups) {
        const test = rows.filter((r) => r.labels[label] === g);
        const train = rows.filter((r) => r.labels[label] !== g);
        const v = cvFit(train, `hold out ${label} ${g}`);
        const preds = test.map((r) => predictWith(v, r, tables));
        if (fillOutOfFold && li === 0) test.forEach((r, i) => (outOfFold[index.get(r)!] = preds[i]));
        put(`hold out ${label} ${g}`, mapeOf(test, preds), test.length);
      }
    });
  };
  if (opts.cv === "groups") {
    // Generalisation: whole models and whole GPUs held out; the out-of-fold predictions are the held-out-model ones.
    holdOut(["model", "hardware"], true);
    for (let i = 0; i < rows.length; i++) if (!outOfFold[i]) outOfFold[i] = predictWith(full.values, rows[i], tables);
    put("leave-one-model-out", mapeOf(rows, outOfFold), rows.length);
  } else {
    const k = Math.min(opts.folds ?? 5, rows.length);
    kFolds(rows, k).forEach((test, f) => {
      const train = rows.filter((r) => !test.includes(r));
      const v = train.length ? cvFit(train, `fold ${f + 1}/${k}`) : full.values;
      for (const r of test) outOfFold[index.get(r)!] = predictWith(v, r, tables);
    });
    put(`${k}-fold`, mapeOf(rows, outOfFold), rows.length);
    if (opts.cv !== "kfold") holdOut(["isl/osl", "concurrency"], false);
  }
  const file: CalibrationFile = {
    schema: "mantile.calibration/v1",
    name: opts.profile === "global" ? "global" : `${loaded.hardware ?? "any"}-${loaded.engine}`,
    hardware: loaded.hardware,
    engine: loaded.engine,
    created: new Date().toISOString().slice(0, 10),
    data: { file: opts.data, rows: loaded.rawRows, configurations: rows.length, filter: loaded.filter },
    objective: "mean over configurations and metrics (throughput, TTFT, TPOT, E2E) of (ln predicted − ln actual)²; repeated runs averaged first",
    parameters: Object.fromEntries(
      params.map((p) => [p, { value: round(full.values[p], 4), unit: CALIBRATION_PARAMETERS[p].unit, min: CALIBRATION_PARAMETERS[p].min, max: CALIBRATION_PARAMETERS[p].max, sd: full.sd[p] === null || full.sd[p] === undefined ? null : round(full.sd[p]!, 4) }]),
    ) as CalibrationFile["parameters"],
    in_sample_mape: { ...Object.fromEntries(FIT_METRICS.filter((x) => Number.isFinite(inSample[x])).map((x) => [`${x}_mape`, round(inSample[x])])), loss: round(full.loss, 5) },
    cross_validation: cross,
    scope: { expert_dtypes: [...new Set(rows.map((r) => r.labels.experts).filter((d) => d !== "dense"))].sort() },
    notes: `kernel tables: ${tables === true ? "engine profile's kernel_table_ops" : tables === false ? "off (roofline only)" : tables.join(", ")}; ${full.evals} loss evaluations in the full fit; CV refits start from the defaults`,
  };
  return { file, rows, outOfFold };
}

const round = (x: number, d = 2) => Number(x.toFixed(d));
