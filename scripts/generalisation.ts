/**
 * `npm run generalisation [-- --jobs N]`: the generalisation reports and the widths of every
 * prediction interval, from the current code, calibration profiles and benchmark rows, in one command.
 *
 *   1. k-fold out-of-fold residuals of every profile in data/calibration;
 *   2. leave-one-model-out, -engine-out, -GPU-out and -vendor-out: each group's rows predicted with
 *      calibration that never saw them (profiles refitted without the group, or dropped and the
 *      transfer used), refits and predictions cached in reconcile/generalisation/cache (re-running resumes);
 *   3. coverage of the 80% interval, its median relative width and MAPE per split, each interval from
 *      widths measured without its group (nested) → reconcile/generalisation/{README.md, summary.csv,
 *      reliability.csv, records.csv};
 *   4. the widths predictions use, measured on every held-out residual → data/uncertainty/widths.json.
 */
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import { PROJECT_ROOT } from "../lib/core/paths";
import { runGeneralisation } from "../lib/reconcile/generalise-run";
import { relativeToRoot, splitReports, summaryMarkdown, widthsFile, writeReports } from "../lib/reconcile/generalise-report";
import { SPLITS } from "../lib/reconcile/generalise";
import { uncertaintySettings } from "../lib/uncertainty/settings";
import { WIDTHS_FILE } from "../lib/uncertainty/widths";

/** The benchmark rows: one row per configuration (InferenceMAX runs averaged), with measured metrics. */
const DATASETS = ["reconcile/by_model/openai_GPT-OSS-120B/inferencemax_aggregated.csv", "reconcile/by_model/trtllm-v0.17/v0.17_offline.csv"];
const OUT = path.join(PROJECT_ROOT, "reconcile", "generalisation");

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function commit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  } catch {
    return "unknown";
  }
}

async function main(): Promise<void> {
  const s = uncertaintySettings();
  const jobs = Number(flag("jobs") ?? s.refit.workers.value);
  const t0 = Date.now();
  const log = (m: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${m}\n`);
  const datasets = DATASETS.map((d) => path.join(PROJECT_ROOT, d));
  const run = await runGeneralisation({ datasets, out: OUT, jobs, maxEvals: s.refit.max_evals.value, limit: s.refit.limit.value, log });
  const { pool, reports } = splitReports(run, s);
  const sources: Record<string, string> = {
    datasets: DATASETS.join(", "),
    profiles: run.trained.map((t) => `data/calibration/${t.file.name}.json (${t.file.created})`).join(", "),
    splits: ["k-fold out-of-fold residuals of each profile (data/calibration/*.out-of-fold.csv)", ...SPLITS.map((x) => `${x.name}: ${x.about}`)].join("; "),
    code: `commit ${commit()}, prediction fingerprint ${run.fingerprint}`,
    residuals: `${pool.length} (one per row, calibration and metric)`,
  };
  fs.mkdirSync(path.dirname(WIDTHS_FILE), { recursive: true });
  fs.writeFileSync(WIDTHS_FILE, JSON.stringify(widthsFile(run, pool, sources, s), null, 1) + "\n");
  const header = [
    "# Generalisation: held-out errors and the honesty of the prediction intervals",
    "",
    "Written by `npm run generalisation` (scripts/generalisation.ts); do not edit by hand. Rows: " + DATASETS.map((d) => `\`${d}\``).join(" and ") + ".",
    `Calibration: ${sources.profiles}. Code: ${sources.code}. Refits without a held-out group: ${s.refit.max_evals.value} loss evaluations from the defaults on ≤ ${s.refit.limit.value} configurations (data/uncertainty/settings.json \`refit\`).`,
    "",
    "Each split predicts every group's rows with calibration that never saw them: a profile whose training rows include the group is refitted without them or, when none remain, dropped — the rows then get the calibration the production path would pick among what is left (their own profile, else the transfer of lib/calibration/transfer.ts). Each interval comes from widths measured without its group's rows (nested), so no interval is scored on the residuals it was measured from. The widths predictions use (`data/uncertainty/widths.json`) are measured on every held-out residual.",
    "`records.csv` has every held-out row with its nested interval; `reliability.csv` the observed coverage of the nominal 50/80/90% intervals.",
  ].join("\n");
  writeReports(OUT, reports, header, s);
  process.stdout.write(summaryMarkdown(reports, s) + "\n");
  log(`wrote ${relativeToRoot(WIDTHS_FILE)} and ${relativeToRoot(OUT)}/{README.md, summary.csv, reliability.csv, records.csv}`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
