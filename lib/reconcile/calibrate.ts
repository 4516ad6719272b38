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
  /** Which held-out checks to run: k-fold only, or k-fold plus the ISL/OSL and concurrency splits. */
  cv?: "kfold" | "all";
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

export function loadFitRows(data: string, profile: string): { rows: FitRow[]; hardware: string | null; engine: string | null; filter: string; rawRows: number } {
  const { rows: raw } = readCsv(data);
  if (raw.length === 0) throw new InputError(`--data ${data} has no rows`);
  const agg = "runs" in raw[0] ? raw : aggregateRuns(raw);
  let hardware: string | null = null;
  let engine: string | null = null;
  let filter = "all rows";
  if (profile !== "global") {
    const [h, e] = profile.split("/");
    if (!h || !e) throw new InputError(`--profile must be HARDWARE/ENGINE (e.g. b200/vllm) or global (got "${profile}")`);
    hardware = getHardware(h).id;
    engine = getEngine(e).id;
    filter = `hardware ${hardware}, engine ${engine}`;
  }
  const rows: FitRow[] = [];
  for (const r of agg) {
    const config = parseOrThrow(ConfigRow, r, "row");
    const req = convertRow(config);
    if (hardware && req.hardware.id !== hardware) continue;
    if (engine && req.engine.id !== engine) continue;
    const actual = {
      throughput: actualNumber(r, "throughput_tokens_per_sec_per_gpu"),
      ttft: actualNumber(r, "mean_time_to_first_token_sec"),
      tpot: actualNumber(r, "mean_time_per_output_token_sec"),
      e2e: actualNumber(r, "mean_end_to_end_latency_sec"),
    };
    if (Object.values(actual).some((v) => v === undefined || !(v > 0))) continue;
    rows.push({
      config,
      actual: actual as FitRow["actual"],
      labels: { "isl/osl": `${config.input_seq_len}/${config.output_seq_len}`, concurrency: config.concurrency <= 32 ? "conc ≤ 32" : "conc > 32", hardware: req.hardware.id, engine: req.engine.id },
    });
  }
  if (rows.length === 0) throw new InputError(`no rows of ${data} match profile ${profile}`);
  return { rows, hardware, engine, filter, rawRows: raw.length };
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
  const k = Math.min(opts.folds ?? 5, rows.length);
  const outOfFold: Prediction[] = new Array(rows.length);
  const index = new Map(rows.map((r, i) => [r, i]));
  kFolds(rows, k).forEach((test, f) => {
    const train = rows.filter((r) => !test.includes(r));
    const v = train.length ? cvFit(train, `fold ${f + 1}/${k}`) : full.values;
    for (const r of test) outOfFold[index.get(r)!] = predictWith(v, r, tables);
  });
  const cross: Record<string, Record<string, number>> = {};
  const put = (name: string, m: Record<FitMetric, number>, n: number) => (cross[name] = { ...Object.fromEntries(FIT_METRICS.map((x) => [`${x}_mape`, round(m[x])])), rows: n });
  put(`${k}-fold`, mapeOf(rows, outOfFold), rows.length);
  for (const label of opts.cv === "kfold" ? [] : ["isl/osl", "concurrency"]) {
    const groups = [...new Set(rows.map((r) => r.labels[label]))];
    if (groups.length < 2) continue;
    for (const g of groups) {
      const test = rows.filter((r) => r.labels[label] === g);
      const train = rows.filter((r) => r.labels[label] !== g);
      const v = cvFit(train, `hold out ${g}`);
      put(`hold out ${label} ${g}`, mapeOf(test, test.map((r) => predictWith(v, r, tables))), test.length);
    }
  }
  const file: CalibrationFile = {
    schema: "mantile.calibration/v1",
    name: opts.profile === "global" ? "global" : `${loaded.hardware}-${loaded.engine}`,
    hardware: loaded.hardware,
    engine: loaded.engine,
    created: new Date().toISOString().slice(0, 10),
    data: { file: opts.data, rows: loaded.rawRows, configurations: rows.length, filter: loaded.filter },
    objective: "mean over configurations and metrics (throughput, TTFT, TPOT, E2E) of (ln predicted − ln actual)²; repeated runs averaged first",
    parameters: Object.fromEntries(
      params.map((p) => [p, { value: round(full.values[p], 4), unit: CALIBRATION_PARAMETERS[p].unit, min: CALIBRATION_PARAMETERS[p].min, max: CALIBRATION_PARAMETERS[p].max, sd: full.sd[p] === null || full.sd[p] === undefined ? null : round(full.sd[p]!, 4) }]),
    ) as CalibrationFile["parameters"],
    in_sample_mape: { ...Object.fromEntries(FIT_METRICS.map((x) => [`${x}_mape`, round(inSample[x])])), loss: round(full.loss, 5) },
    cross_validation: cross,
    notes: `kernel tables: ${tables === true ? "engine profile's kernel_table_ops" : tables === false ? "off (roofline only)" : tables.join(", ")}; ${full.evals} loss evaluations in the full fit; CV refits start from the defaults`,
  };
  return { file, rows, outOfFold };
}

const round = (x: number, d = 2) => Number(x.toFixed(d));
