/** `mantile extract | predict | compare`: the reconciliation commands. */
import * as fs from "fs";
import * as path from "path";
import { readCsv, writeCsv } from "../core/csv";
import { quantileOf } from "../core/stats";
import { InputError } from "../core/validate";
import { compareRows, isPredictionColumn, joinRows, REPORT_METRIC_COLUMNS, reportRows, summaryText } from "../reconcile/compare";
import { aggregateRuns, AGGREGATE_COLUMNS, EXTRACT_COLUMNS, extractRuns } from "../reconcile/inferencemax";
import { loadCalibration } from "../calibration/profile";
import { partialPath, predictFile } from "../reconcile/predict-file";
import { defaultJobs } from "../reconcile/predict-rows";
import { tableChoice } from "./tables";
import { PREDICT_BUNDLE_FLAGS, predictFromBundle, writePredictAudit } from "./export"; // run bundles and audit
import { helpText, intFlag, parseFlags, requireString, type OptionSpec } from "./args";
import { progressBar } from "./progress";
import { prefetchModels } from "../model/hub";
import { isLocalModel } from "../model/registry";
import { csvRecords } from "../core/csv";

const EXTRACT: OptionSpec = {
  runs: { type: "string", help: "directory of InferenceMAX agg_bmk run JSON files" },
  out: { type: "string", help: "standard CSV to write (one row per configuration and run)" },
  help: { type: "boolean", help: "show this help" },
};

export async function extract(argv: string[]): Promise<number> {
  const [source, ...rest] = argv;
  if (source === "--help" || source === undefined) {
    process.stdout.write(`mantile extract inferencemax --runs DIR --out FILE.csv\n${helpText(EXTRACT)}\n`);
    return source ? 0 : 2;
  }
  if (source !== "inferencemax") throw new InputError(`unknown source "${source}": mantile extract inferencemax --runs DIR --out FILE.csv`);
  const f = parseFlags(rest, EXTRACT);
  const runs = requireString(f.runs, "runs");
  const out = requireString(f.out, "out");
  if (!fs.existsSync(runs)) throw new InputError(`--runs: directory not found: ${runs}`);
  const rows = extractRuns(runs);
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeCsv(out, EXTRACT_COLUMNS, rows);
  const stem = out.replace(/\.csv$/, "");
  const agg = aggregateRuns(rows);
  writeCsv(`${stem}_aggregated.csv`, AGGREGATE_COLUMNS, agg);
  const b200 = rows.filter((r) => r.gpu_model === "b200" || r.gpu_model === "b200-trt");
  writeCsv(`${stem}_b200_only.csv`, EXTRACT_COLUMNS, b200);
  writeCsv(`${stem}_b200_only_aggregated.csv`, AGGREGATE_COLUMNS, aggregateRuns(b200));
  process.stderr.write(`extracted ${rows.length} rows (${agg.length} configurations; ${b200.length} B200 rows) → ${out}, ${stem}_aggregated.csv, ${stem}_b200_only.csv\n`);
  return 0;
}

const PREDICT: OptionSpec = {
  input: { type: "string", help: "standard CSV of configurations" },
  output: { type: "string", help: "CSV to write: input columns + predicted columns" },
  resume: { type: "boolean", help: "keep the rows of an interrupted run (OUTPUT.partial) or of OUTPUT that match the input, predict the rest" },
  jobs: { type: "string", help: "threads predicting rows (default: every available core); the output does not depend on it" },
  calibration: { type: "string", help: "auto (per hardware × engine profile in data/calibration), none, or a profile JSON path", default: "auto" },
  "no-tables": { type: "boolean", help: "roofline only (ignore measured kernel tables)" },
  "table-ops": { type: "string", help: "op families timed from measured tables, e.g. gemm,attention,comm,moe (default: the engine profile's kernel_table_ops)" },
  seed: { type: "string", help: "random seed of request lengths", default: "1" },
  help: { type: "boolean", help: "show this help" },
  // --- run bundles and audit (lib/cli/export.ts): --bundle FILE, --json, --audit, --audit-impact ---
  ...PREDICT_BUNDLE_FLAGS,
  // --- end run bundles and audit ---
};

export async function predict(argv: string[]): Promise<number> {
  const f = parseFlags(argv, PREDICT);
  if (f.help) {
    process.stdout.write(`mantile predict --input FILE.csv --output OUT.csv [--resume] [--jobs N] [--audit]\n       mantile predict --bundle run.json [--json] [--output OUT.csv] [--audit]\n${helpText(PREDICT)}\n`);
    return 0;
  }
  // --- run bundles (lib/cli/export.ts): predict the run pinned in a bundle, not reading data/ for what it holds ---
  if (f.bundle !== undefined) return predictFromBundle(f);
  // --- end run bundles ---
  const input = requireString(f.input, "input");
  const output = requireString(f.output, "output");
  const c = String(f.calibration);
  const calibration = c === "auto" || c === "none" ? c : loadCalibration(c);
  fs.mkdirSync(path.dirname(path.resolve(output)), { recursive: true });
  // Hub ids that are not shipped: fetch their configs once, from one streamed pass over the model column
  // (rows whose model still cannot be resolved get their own row error).
  if (fs.existsSync(input)) await prefetchModels(modelColumn(input), isLocalModel);
  const jobs = intFlag(f.jobs, "jobs", defaultJobs());
  if (jobs < 1) throw new InputError(`--jobs must be at least 1 (got ${jobs})`);
  if (!f.resume && fs.existsSync(partialPath(output))) process.stderr.write(`note: replacing ${partialPath(output)} left by an interrupted run (--resume continues it instead)\n`);
  const r = await predictFile(input, output, { resume: Boolean(f.resume), jobs, calibration, useKernelTables: tableChoice(f), seed: Number(f.seed), onProgress: progressBar("predict") });
  process.stderr.write(`predicted ${r.predicted} rows (${r.skipped} kept from a previous run), ${r.errors} with errors, ${r.jobs} thread${r.jobs === 1 ? "" : "s"} → ${output}\n`);
  // --- audit (lib/cli/export.ts): <output stem>_audit.json with the assumptions of every row ---
  if (f.audit || f["audit-impact"]) writePredictAudit(input, output, f, { calibration, useKernelTables: tableChoice(f), seed: Number(f.seed) });
  // --- end audit ---
  return 0;
}

const COMPARE: OptionSpec = {
  actuals: { type: "string", help: "standard CSV with actual metrics" },
  predictions: { type: "string", help: "output of mantile predict" },
  output: { type: "string", help: "comparison_report.csv to write (comparison_summary.txt goes beside it)" },
  title: { type: "string", help: "title of the summary", default: "Mantile vs benchmark" },
  help: { type: "boolean", help: "show this help" },
};

export async function compare(argv: string[]): Promise<number> {
  const f = parseFlags(argv, COMPARE);
  if (f.help) {
    process.stdout.write(`mantile compare --actuals A.csv --predictions P.csv --output comparison_report.csv\n${helpText(COMPARE)}\n`);
    return 0;
  }
  const a = readCsv(requireString(f.actuals, "actuals"));
  const p = readCsv(requireString(f.predictions, "predictions"));
  const output = requireString(f.output, "output");
  fs.mkdirSync(path.dirname(path.resolve(output)), { recursive: true });
  const joined = joinRows(a.rows, p.rows);
  const compared = compareRows(joined);
  const columns = [...a.columns, ...p.columns.filter(isPredictionColumn).filter((c) => !a.columns.includes(c)), ...REPORT_METRIC_COLUMNS];
  writeCsv(output, [...new Set(columns)], reportRows(compared));
  const spreads = a.rows.map((r) => Number(r.throughput_spread_pct)).filter((x) => Number.isFinite(x));
  const noise = spreads.length ? `Benchmark noise floor: run-to-run throughput spread median ${quantileOf(spreads, 0.5).toFixed(1)}%, p90 ${quantileOf(spreads, 0.9).toFixed(1)}% (max−min over repeated runs / mean)` : undefined;
  const text = summaryText(compared, String(f.title), noise);
  fs.writeFileSync(path.join(path.dirname(output), "comparison_summary.txt"), text);
  process.stdout.write(text);
  return 0;
}

/** The distinct values of a CSV's model column, read as a stream. */
function modelColumn(file: string): string[] {
  const out = new Set<string>();
  let at = -1;
  for (const r of csvRecords(file)) {
    if (at < 0) {
      at = r.fields.indexOf("model");
      if (at < 0) break;
      continue;
    }
    if (r.fields[at]) out.add(r.fields[at]);
  }
  return [...out];
}
