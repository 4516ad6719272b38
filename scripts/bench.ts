/**
 * `npm run bench`: the speed targets (kept out of the test suite so tests never depend on machine speed).
 *  - one whole-model estimate (all layers, one phase) < 1 ms
 *  - the median InferenceMAX configuration simulates in ≤ 50 ms; all 676 rows predict in ≤ 30 s
 *  - how simulation cost grows with concurrency and output length; the analytic steady state's speed and distance
 */
import * as path from "path";
import { readCsv } from "../lib/core/csv";
import { simplePlan } from "../lib/parallel/plan";
import { predictConfig, predictSteadyState } from "../lib/reconcile/predict";
import { ConfigRow } from "../lib/reconcile/standard";
import { estimate } from "../lib/run/estimate";
import { quantileOf } from "../lib/core/stats";

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
