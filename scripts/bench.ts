/**
 * `npm run bench`: the speed targets (kept out of the test suite so tests never depend on machine speed).
 *  - one whole-model estimate (all layers, one phase) < 1 ms
 *  - the median InferenceMAX configuration simulates in ≤ 50 ms; all 676 rows predict in ≤ 30 s
 *  - how simulation cost grows with concurrency and output length; the analytic steady state's speed and distance
 *  - 100,000 rows streamed through `mantile predict`: time, peak memory (target < 500 MB), worker-thread speed-up
 *
 * `npm run bench -- big` runs only the last one.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { csvLine, readCsv } from "../lib/core/csv";
import { simplePlan } from "../lib/parallel/plan";
import { predictConfig, predictSteadyState } from "../lib/reconcile/predict";
import { ConfigRow } from "../lib/reconcile/standard";
import { estimate } from "../lib/run/estimate";
import { quantileOf } from "../lib/core/stats";
import { defaultJobs } from "../lib/reconcile/predict-rows";

const ROOT = path.resolve(__dirname, "..");
const CSV = path.join(ROOT, "reconcile/by_model/openai_GPT-OSS-120B/inferencemax.csv");

function timeIt<T>(fn: () => T, reps = 1): { ms: number; value: T } {
  const t0 = performance.now();
  let value!: T;
  for (let i = 0; i < reps; i++) value = fn();
  return { ms: (performance.now() - t0) / reps, value };
}
const pct = quantileOf;
const line = (s: string) => process.stdout.write(s + "\n");

const onlyBig = process.argv[2] === "big";

if (!onlyBig) {
  // 1. Whole-model estimate.
  const req = { model: "openai/gpt-oss-120b", hardware: "b200", plan: simplePlan({ tp: 2 }), phase: "decode" as const, batch: 64, seqLen: 2048 };
  estimate(req);
  const est = timeIt(() => estimate(req), 500);
  line(`estimate (GPT-OSS-120B, 36 blocks, decode): ${est.ms.toFixed(3)} ms   target < 1 ms   ${est.ms < 1 ? "PASS" : "FAIL"}`);
  const estT = timeIt(() => estimate({ ...req, useKernelTables: true }), 200);
  line(`estimate with kernel-table lookups:         ${estT.ms.toFixed(3)} ms`);

  // 2. Every InferenceMAX row through the full predictor.
  const rows = readCsv(CSV).rows.map((r) => ConfigRow.parse(r));
  predictConfig(rows[0]); // warm caches (tables, models)
  const per: number[] = [];
  const t0 = performance.now();
  for (const r of rows) per.push(timeIt(() => predictConfig(r)).ms);
  const total = (performance.now() - t0) / 1000;
  line(`predict all ${rows.length} rows: ${total.toFixed(1)} s   target ≤ 30 s   ${total <= 30 ? "PASS" : "FAIL"}`);
  line(`per row: median ${pct(per, 0.5).toFixed(1)} ms (target ≤ 50 ms ${pct(per, 0.5) <= 50 ? "PASS" : "FAIL"}), p90 ${pct(per, 0.9).toFixed(1)} ms, max ${Math.max(...per).toFixed(1)} ms`);
  const byHw = new Map<string, number[]>();
  rows.forEach((r, i) => byHw.set(r.gpu_model, [...(byHw.get(r.gpu_model) ?? []), per[i]]));
  for (const [hw, xs] of byHw) line(`  ${hw.padEnd(9)} n=${String(xs.length).padStart(3)}  median ${pct(xs, 0.5).toFixed(1)} ms  total ${(xs.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s`);

  // 3. Cost growth: concurrency and output length (B200 vLLM TP2, 1k input).
  const base = rows.find((r) => r.gpu_model === "b200" && r.tensor_parallel === 2)!;
  line("\nsimulation cost vs concurrency (osl 1024) and vs output length (conc 64):");
  for (const c of [4, 16, 64, 256, 1024]) {
    const r = { ...base, concurrency: c, output_seq_len: 1024 };
    const t = timeIt(() => predictConfig(r));
    line(`  conc ${String(c).padStart(5)}: ${t.ms.toFixed(1).padStart(7)} ms, ${t.value.sim.events} events, ${t.value.sim.steps} engine steps`);
  }
  for (const o of [128, 1024, 8192]) {
    const r = { ...base, concurrency: 64, output_seq_len: o };
    const t = timeIt(() => predictConfig(r));
    line(`  osl  ${String(o).padStart(5)}: ${t.ms.toFixed(1).padStart(7)} ms, ${t.value.sim.events} events, ${t.value.sim.steps} engine steps`);
  }

  // 4. Analytic steady state vs the simulator on all single-pool rows.
  const agg = rows.filter((r) => !r.disagg);
  const d: Record<string, number[]> = { throughput: [], ttft: [], tpot: [], e2e: [] };
  let simMs = 0;
  let ssMs = 0;
  for (const r of agg) {
    const s = timeIt(() => predictConfig(r));
    const a = timeIt(() => predictSteadyState(r));
    simMs += s.ms;
    ssMs += a.ms;
    d.throughput.push(Math.abs(a.value.throughputPerGpu / s.value.throughputPerGpu - 1));
    d.ttft.push(Math.abs(a.value.ttft / s.value.ttft - 1));
    d.tpot.push(Math.abs(a.value.tpot / s.value.tpot - 1));
    d.e2e.push(Math.abs(a.value.e2e / s.value.e2e - 1));
  }
  line(`\nanalytic steady state on ${agg.length} single-pool rows: ${(ssMs / agg.length).toFixed(2)} ms/row vs simulator ${(simMs / agg.length).toFixed(1)} ms/row (${(simMs / ssMs).toFixed(0)}× faster)`);
  for (const [k, v] of Object.entries(d)) line(`  distance from the simulator, ${k.padEnd(10)}: mean ${(100 * v.reduce((a, b) => a + b, 0) / v.length).toFixed(1)}%, p90 ${(100 * pct(v, 0.9)).toFixed(1)}%`);
}

// 5. 100,000 rows streamed through predict, in a child process each (its own peak RSS, threads included).
bigFile();

/**
 * The committed InferenceMAX rows cycled to 100,000 rows, varied so they simulate fast: concurrency 1, 2, 4
 * or 8 (row by row) and output length 32, 64 or 128 (per pass over the file); every configuration, ISL and
 * hardware as committed.
 */
function bigInput(n: number, file: string): void {
  const { columns, rows: src } = readCsv(CSV);
  const conc = [1, 2, 4, 8];
  const osl = [32, 64, 128];
  const fd = fs.openSync(file, "w");
  fs.writeSync(fd, csvLine(columns));
  for (let i = 0; i < n; i++) {
    const r: Record<string, string> = { ...src[i % src.length], row_id: String(i + 1), concurrency: String(conc[i % conc.length]), output_seq_len: String(osl[Math.floor(i / src.length) % osl.length]) };
    fs.writeSync(fd, csvLine(columns.map((c) => r[c])));
  }
  fs.closeSync(fd);
}

function predictChild(input: string, output: string, jobs: number): { rows: number; errors: number; seconds: number; maxRssMb: number } {
  const script = `require("tsx/cjs/api").register();
    const t0 = Date.now();
    require("./lib/reconcile/predict-file.ts").predictFile(process.argv[1], process.argv[2], { jobs: Number(process.argv[3]) }).then((r) => {
      process.stdout.write(JSON.stringify({ ...r, seconds: (Date.now() - t0) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
    });`;
  const r = spawnSync(process.execPath, ["-e", script, input, output, String(jobs)], { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`predict child failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function bigFile(): void {
  const N = 100_000;
  const SPEEDUP_ROWS = 10_000;
  const RSS_TARGET_MB = 500;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-bench-"));
  const input = path.join(dir, "in.csv");
  bigInput(N, input);
  const jobs = defaultJobs();
  line(`\n${N.toLocaleString("en-US")} rows (InferenceMAX configurations, concurrency 1-8, output 32-128 tokens), ${(fs.statSync(input).size / 1e6).toFixed(0)} MB CSV, ${jobs} threads:`);
  const big = predictChild(input, path.join(dir, "out.csv"), jobs);
  line(`  ${big.rows} rows in ${big.seconds.toFixed(0)} s (${(big.rows / big.seconds).toFixed(0)} rows/s), ${big.errors} errors, peak RSS ${big.maxRssMb.toFixed(0)} MB   target < ${RSS_TARGET_MB} MB   ${big.maxRssMb < RSS_TARGET_MB ? "PASS" : "FAIL"}`);
  const head = path.join(dir, "head.csv");
  bigInput(SPEEDUP_ROWS, head);
  const one = predictChild(head, path.join(dir, "head-1.csv"), 1);
  const two = predictChild(head, path.join(dir, "head-2.csv"), 2);
  const same = fs.readFileSync(path.join(dir, "head-1.csv")).equals(fs.readFileSync(path.join(dir, "head-2.csv")));
  line(`  first ${SPEEDUP_ROWS.toLocaleString("en-US")} rows: --jobs 1 ${one.seconds.toFixed(1)} s, --jobs 2 ${two.seconds.toFixed(1)} s: speed-up ${(one.seconds / two.seconds).toFixed(2)}x; outputs ${same ? "identical" : "DIFFER"}   ${same ? "PASS" : "FAIL"}`);
  fs.rmSync(dir, { recursive: true, force: true });
}
