/**
 * `npm run reconcile:b200` / `npm run reconcile:all`: extract the InferenceMAX runs, predict every
 * row with the committed calibration profiles, compare, and write the reports under
 * reconcile/by_model/openai_GPT-OSS-120B/<scope>/. Deterministic: re-running reproduces the files.
 */
import * as fs from "fs";
import * as path from "path";
import { readCsv, writeCsv } from "../lib/core/csv";
import { SHARED_DIR } from "../lib/core/paths";
import { compareRows, REPORT_METRIC_COLUMNS, reportRows, summaryText } from "../lib/reconcile/compare";
import { aggregateRuns, AGGREGATE_COLUMNS, EXTRACT_COLUMNS, extractRuns } from "../lib/reconcile/inferencemax";
import { OUTPUT_EXTRA } from "../lib/reconcile/predict";
import { predictFile } from "../lib/reconcile/predict-file";
import { progressBar } from "../lib/cli/progress";
import { quantileOf } from "../lib/core/stats";

const scope = process.argv[2] ?? "b200";
if (!["b200", "all"].includes(scope)) throw new Error(`usage: tsx scripts/reconcile.ts b200|all (got ${scope})`);
const ROOT = path.resolve(__dirname, "..");
const DIR = path.join(ROOT, "reconcile/by_model/openai_GPT-OSS-120B");
const runs = path.join(SHARED_DIR, "datasets/inferencemax/runs");

// 1. Extract (only when ../shared is present; otherwise use the committed CSVs).
if (fs.existsSync(runs)) {
  const rows = extractRuns(runs);
  writeCsv(path.join(DIR, "inferencemax.csv"), EXTRACT_COLUMNS, rows);
  writeCsv(path.join(DIR, "inferencemax_aggregated.csv"), AGGREGATE_COLUMNS, aggregateRuns(rows));
  const b200 = rows.filter((r) => r.gpu_model === "b200" || r.gpu_model === "b200-trt");
  writeCsv(path.join(DIR, "inferencemax_b200_only.csv"), EXTRACT_COLUMNS, b200);
  writeCsv(path.join(DIR, "inferencemax_b200_only_aggregated.csv"), AGGREGATE_COLUMNS, aggregateRuns(b200));
}

async function main(): Promise<void> {
  // 2. Predict every run row (repeated runs share a prediction; the spread is the benchmark's noise).
  const input = path.join(DIR, scope === "b200" ? "inferencemax_b200_only.csv" : "inferencemax.csv");
  const outDir = path.join(DIR, scope);
  fs.mkdirSync(outDir, { recursive: true });
  const predictions = path.join(outDir, "mantile_predictions.csv");
  const t0 = Date.now();
  const res = await predictFile(input, predictions, { onProgress: progressBar(`predict ${scope}`) });
  const seconds = (Date.now() - t0) / 1000;

  // 3. Compare against the aggregated actuals per configuration and per run.
  const actuals = readCsv(input);
  const preds = readCsv(predictions);
  const compared = compareRows(preds.rows);
  const columns = [...actuals.columns, ...OUTPUT_EXTRA, ...REPORT_METRIC_COLUMNS];
  writeCsv(path.join(outDir, "comparison_report.csv"), [...new Set(columns)], reportRows(compared));
  const agg = aggregateRuns(actuals.rows.filter((r) => r.throughput_tokens_per_sec_per_gpu));
  const spreads = agg.filter((r) => Number(r.runs) > 1).map((r) => Number(r.throughput_spread_pct));
  const q = (p: number) => quantileOf(spreads, p);
  const noise = `Benchmark noise floor: repeated runs of one configuration differ in throughput by median ${q(0.5).toFixed(1)}%, p90 ${q(0.9).toFixed(1)}% (max − min over runs / mean, ${spreads.length} configurations with ≥ 2 runs)`;
  // No timings in the committed file, so re-running reproduces it byte for byte (the time goes to stderr).
  const title = `Mantile vs InferenceMAX — GPT-OSS-120B (FP4), ${scope === "b200" ? "B200 (vLLM and TensorRT-LLM)" : "all hardware"}; ${res.rows} rows predicted`;
  process.stderr.write(`${res.rows} rows predicted in ${seconds.toFixed(1)} s\n`);
  const text = summaryText(compared, title, noise) + calibrationNote();
  fs.writeFileSync(path.join(outDir, "comparison_summary.txt"), text);
  process.stdout.write(text);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});

/** The calibration profiles used, with their held-out (cross-validated) errors: the honest accuracy figures. */
function calibrationNote(): string {
  const dir = path.join(ROOT, "data/calibration");
  if (!fs.existsSync(dir)) return "\nCalibration: none (defaults from data/efficiency and data/engines)\n";
  const out = ["", "Calibration profiles used (errors on configurations NOT used for fitting, from mantile calibrate):"];
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".json")).sort()) {
    const c = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
    out.push(`  ${c.name}: ${Object.entries(c.parameters).map(([k, v]) => `${k}=${Number((v as { value: number }).value.toPrecision(3))}`).join(", ")}`);
    for (const [split, m] of Object.entries(c.cross_validation as Record<string, Record<string, number>>)) {
      out.push(`    ${split.padEnd(34)} MAPE throughput ${m.throughput_mape}%, TTFT ${m.ttft_mape}%, TPOT ${m.tpot_mape}%, E2E ${m.e2e_mape}% (n=${m.rows})`);
    }
  }
  return out.join("\n") + "\n";
}
