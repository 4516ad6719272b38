/**
 * `mantile reconcile`: your benchmark results (standard CSV, InferenceMAX, vllm bench, trtllm-bench,
 * genai-perf / aiperf) → predictions, comparison, optional calibration, and an HTML report rendered from
 * notebooks/00_your_benchmark.ipynb with these parameters. Also `mantile extract trtllm-bench`.
 * The work is lib/reconcile/importers/pipeline.ts and lib/notebook/runner.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { writeCsv } from "../core/csv";
import { PROJECT_ROOT } from "../core/paths";
import { InputError } from "../core/validate";
import { writeReportIndex } from "../notebook/report-index";
import { describeResult, findPython, privateJupyterDir, runNotebook, type NotebookResult } from "../notebook/runner";
import { loadCalibration } from "../calibration/profile";
import { assumptionsMarkdown, FORMATS, IMPORT_COLUMNS, type Format, type ImportOverrides } from "../reconcile/importers/index";
import { importTrtllmBench } from "../reconcile/importers/trtllm-bench";
import { reconcileResults, type ReconcileOutput } from "../reconcile/importers/pipeline";
import { helpText, intFlag, parseFlags, requireString, type OptionSpec } from "./args";
import { progressBar } from "./progress";
import { tableChoice } from "./tables";

export const REPORT_NOTEBOOK = path.join(PROJECT_ROOT, "notebooks", "00_your_benchmark.ipynb");
/** Name of the executed notebook and report in --out (report.ipynb, report.html). */
const REPORT_NAME = "report";
/** Per-notebook execution limit for the report (seconds); the 00 notebook takes well under a minute on small inputs. */
const REPORT_TIMEOUT_SEC = 900;
const DEFAULT_FOLDS = "5";

const SPEC: OptionSpec = {
  input: { type: "string", help: "your results: a file or a folder of them" },
  format: { type: "string", help: `auto, ${FORMATS.join(", ")}`, default: "auto" },
  out: { type: "string", help: "folder to write the standard CSV, assumptions, comparison and report into" },
  model: { type: "string", help: "model (HF id) when the files do not name it, or to override them" },
  gpu: { type: "string", help: "GPU (b200, h100, 'NVIDIA H100 80GB HBM3', …) when the files do not say" },
  framework: { type: "string", help: "engine (vllm, trtllm, sglang, …) when the files do not say" },
  precision: { type: "string", help: "weights precision (fp8, fp4, bf16, …) when the files do not say" },
  tp: { type: "string", help: "tensor parallel size when the files do not say" },
  pp: { type: "string", help: "pipeline stages when the files do not say" },
  ep: { type: "string", help: "expert parallel size when the files do not say" },
  concurrency: { type: "string", help: "client concurrency when the files do not say" },
  "request-rate": { type: "string", help: "open-loop request rate (requests/s, or inf) when the files do not say" },
  "engine-version": { type: "string", help: "engine release the runs used (written to engine_version)" },
  calibration: { type: "string", help: "auto (committed data/calibration profiles), none, or a profile JSON", default: "auto" },
  calibrate: { type: "boolean", help: "also fit a calibration profile on these rows, with k-fold cross-validation" },
  profile: { type: "string", help: "with --calibrate: HARDWARE/ENGINE or global (default: the rows' one hardware × engine, else global)" },
  folds: { type: "string", help: "with --calibrate: k of k-fold cross-validation", default: DEFAULT_FOLDS },
  "max-evals": { type: "string", help: "with --calibrate: loss evaluations of the full fit (default calibrate's)" },
  "cv-evals": { type: "string", help: "with --calibrate: loss evaluations per fold refit (default calibrate's)" },
  "no-tables": { type: "boolean", help: "roofline only (ignore measured kernel tables)" },
  "table-ops": { type: "string", help: "op families timed from measured tables (default: the engine profile's)" },
  "no-report": { type: "boolean", help: "skip the HTML report (CSV and text outputs only)" },
  help: { type: "boolean", help: "show this help" },
};

type Flags = Record<string, string | boolean | string[] | undefined>;

const optInt = (f: Flags, name: string) => (f[name] === undefined ? undefined : intFlag(f[name], name));
const optStr = (f: Flags, name: string) => (typeof f[name] === "string" ? (f[name] as string) : undefined);

function overridesOf(f: Flags): ImportOverrides {
  const rate = optStr(f, "request-rate");
  if (rate !== undefined && rate !== "inf" && !(Number(rate) > 0)) throw new InputError(`--request-rate must be a positive number of requests/s or inf (got "${rate}")`);
  return {
    model: optStr(f, "model"), gpu: optStr(f, "gpu"), framework: optStr(f, "framework"), precision: optStr(f, "precision"),
    tp: optInt(f, "tp"), pp: optInt(f, "pp"), ep: optInt(f, "ep"), concurrency: optInt(f, "concurrency"), requestRate: rate,
    engineVersion: optStr(f, "engine-version"),
  };
}

function formatOf(f: Flags): Format | "auto" {
  const v = String(f.format);
  if (v !== "auto" && !(FORMATS as readonly string[]).includes(v)) throw new InputError(`--format "${v}" is not known; use auto, ${FORMATS.join(", ")}`);
  return v as Format | "auto";
}

/** Where reports are listed: reports/ of the checkout, or $MANTILE_REPORTS_DIR. */
export function reportsIndexDir(): string {
  return process.env.MANTILE_REPORTS_DIR ? path.resolve(process.env.MANTILE_REPORTS_DIR) : path.join(PROJECT_ROOT, "reports");
}

/** Execute the 00 notebook on the reconciled folder: report.ipynb and report.html in it, listed in the reports index. */
export async function renderReport(r: ReconcileOutput, calibration: string, input: string): Promise<NotebookResult> {
  const py = findPython();
  if (!py) throw new InputError("no python3 with Jupyter's nbclient/nbconvert for the HTML report: run `npm start` once (or pip install nbconvert nbclient ipykernel), or pass --no-report");
  const abs = (p: string) => path.resolve(p);
  const params = {
    input: abs(r.csv),
    format: "standard",
    predictions_csv: abs(r.comparison.predictions),
    assumptions_json: abs(r.assumptionsJson),
    calibration,
    fitted_profile: r.calibration ? abs(r.calibration.file) : "",
    source: abs(input),
    title: `Your benchmark: ${path.basename(abs(input))} (${r.imported.format})`,
  };
  const indexDir = reportsIndexDir();
  const res = await runNotebook(REPORT_NOTEBOOK, { outDir: r.dir, reportsDir: r.dir, timeout: REPORT_TIMEOUT_SEC, report: true, params, name: REPORT_NAME, indexDir, maxNotebookBytes: Infinity }, py, privateJupyterDir());
  writeReportIndex(indexDir);
  return res;
}

export async function reconcile(argv: string[]): Promise<number> {
  const f = parseFlags(argv, SPEC);
  if (f.help) {
    process.stdout.write(`mantile reconcile --input RESULTS [--format auto|${FORMATS.join("|")}] --out DIR [--calibrate [--profile HW/ENGINE]]\n${helpText(SPEC)}\n`);
    return 0;
  }
  const input = requireString(f.input, "input");
  const out = requireString(f.out, "out");
  const c = String(f.calibration);
  const calibration = c === "auto" || c === "none" ? c : loadCalibration(c);
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const r = await reconcileResults({
    input, format: formatOf(f), out, overrides: overridesOf(f), calibration, useKernelTables: tableChoice(f), onProgress: progressBar("predict"), log,
    calibrate: f.calibrate ? { profile: optStr(f, "profile"), folds: intFlag(f.folds, "folds"), maxEvals: optInt(f, "max-evals"), cvEvals: optInt(f, "cv-evals") } : undefined,
  });
  process.stdout.write(r.comparison.text);
  log(`wrote ${r.csv}, ${r.assumptions}, ${r.comparison.predictions}, ${r.comparison.report}, ${r.comparison.summary}${r.calibration ? `, ${r.calibration.file}, ${path.dirname(r.calibration.comparison.summary)}/` : ""}`);
  if (f["no-report"]) return 0;
  log("rendering the report (notebooks/00_your_benchmark.ipynb) …");
  const res = await renderReport(r, c === "auto" || c === "none" ? c : path.resolve(c), input);
  log(describeResult(res));
  for (const e of res.errors) log(`  error in cell ${e.index}: ${e.ename}: ${e.evalue.split("\n")[0]}`);
  if (res.failure) log(`  ${res.failure}`);
  if (!res.ok) return 1;
  log(`report: ${res.report} (listed in ${path.join(reportsIndexDir(), "index.html")})`);
  return 0;
}

const EXTRACT: OptionSpec = {
  input: { type: "string", help: "the table CSV (model, gpu, num_gpus, tensor_parallel, precision, kv_cache_dtype, input_seq_len, output_seq_len, output_tokens_per_sec_system) or a --report_json file" },
  out: { type: "string", help: "standard CSV to write (assumptions go beside it, <out>_assumptions.md)" },
  "engine-version": { type: "string", help: "TensorRT-LLM release (default: from the file name, e.g. v0.17_…)" },
  help: { type: "boolean", help: "show this help" },
};

/** `mantile extract trtllm-bench …`; every other source goes to lib/cli/reconcile.ts. */
export async function extract(argv: string[]): Promise<number> {
  if (argv[0] !== "trtllm-bench") {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return (require("./reconcile") as { extract: (a: string[]) => Promise<number> }).extract(argv);
  }
  const f = parseFlags(argv.slice(1), EXTRACT);
  if (f.help) {
    process.stdout.write(`mantile extract trtllm-bench --input FILE.csv --out standard.csv\n${helpText(EXTRACT)}\n`);
    return 0;
  }
  const input = requireString(f.input, "input");
  const out = requireString(f.out, "out");
  const r = importTrtllmBench(input, { engineVersion: optStr(f, "engine-version") });
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeCsv(out, IMPORT_COLUMNS, r.rows);
  const notes = out.replace(/\.csv$/i, "") + "_assumptions.md";
  fs.writeFileSync(notes, assumptionsMarkdown(r, input));
  process.stderr.write(`extracted ${r.rows.length} rows → ${out} (assumptions: ${notes})\n`);
  return 0;
}
