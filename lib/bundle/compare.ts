/**
 * Compare two pinned runs side by side: headline metrics (absolute and % deltas), memory per GPU,
 * bottleneck, and which inputs differ.
 *
 *   const a = loadRun("runs/tp2.json");                  // a bundle, or "file.csv:N" (1-based data row)
 *   const b = loadRun("reconcile/b200.csv:12");
 *   const c = compareRuns(a, b);                         // data: c.metrics[i] = { metric, a, b, delta, deltaPct, better }
 *   console.log(comparisonTable(c));                     // the same as text (what `mantile runs compare` prints)
 */
import * as fs from "fs";
import { readCsv } from "../core/csv";
import { formatNumber } from "../core/explain";
import { textTable } from "../core/text-table";
import { InputError, parseOrThrow } from "../core/validate";
import { ParallelPlan } from "../parallel/plan";
import { ConfigRow } from "../reconcile/standard";
import { Workload } from "../serving/workload";
import { intervalsRecord, predictBundle, readBundle, sha256Json } from "./bundle";
import type { HeadlineMetrics } from "../run/predict";
import { pinRow, predictPinned, resolvePinned, type PinnedRun, type PinOptions, type PoolMemory, type RunPrediction } from "./run";

/** The metrics a comparison needs (RunPrediction has them all). */
export interface RunMetrics extends HeadlineMetrics {
  memory: PoolMemory;
  prefillMemory?: PoolMemory;
}

export type InputValue = string | number | boolean;

export interface RunRecord {
  label: string;
  /** Where it came from: a bundle path, "file.csv:N", or "api". */
  source: string;
  prediction: RunMetrics;
  /** Flattened inputs (model, hardware, plan, workload, calibration, efficiency, engine numbers, …) for the input diff. */
  inputs: Record<string, InputValue>;
  /** The 80% interval of each metric and its basis (issue 16). */
  intervals?: { basis: string; bounds: Record<string, { low: number; high: number }> };
}

export interface MetricDelta {
  key: string;
  metric: string;
  /** Unit of a, b and delta (seconds, tokens/s/GPU, GB, tokens). */
  unit: string;
  a: number;
  b: number;
  /** b − a. */
  delta: number;
  /** 100 · (b − a) / a; null when a is 0. */
  deltaPct: number | null;
  /** Which run is better on this metric ("same" when equal, null when neither direction is better: memory). */
  better: "a" | "b" | "same" | null;
  /** The 80% intervals of a and b, for metrics that have one. */
  aRange?: { low: number; high: number };
  bRange?: { low: number; high: number };
}

export interface RunComparison {
  a: { label: string; source: string };
  b: { label: string; source: string };
  metrics: MetricDelta[];
  bottleneck: { a: string; b: string; changed: boolean };
  /** Inputs whose values differ (missing on one side = null). */
  inputs: { key: string; a: InputValue | null; b: InputValue | null }[];
  /** The basis of each run's intervals (issue 16). */
  basis?: { a: string; b: string };
}

/** Metrics of a comparison that have an interval, by their interval metric name. */
const INTERVAL_OF: Record<string, string> = { throughputPerGpu: "throughput", outputThroughputPerGpu: "output_throughput", ttft: "ttft", tpot: "tpot", e2e: "e2e" };

const METRICS: { key: string; metric: string; unit: string; higherIsBetter: boolean | null; get: (m: RunMetrics) => number | undefined }[] = [
  { key: "throughputPerGpu", metric: "throughput/GPU", unit: "tokens/s/GPU", higherIsBetter: true, get: (m) => m.throughputPerGpu },
  { key: "outputThroughputPerGpu", metric: "output throughput/GPU", unit: "tokens/s/GPU", higherIsBetter: true, get: (m) => m.outputThroughputPerGpu },
  { key: "ttft", metric: "TTFT mean", unit: "s", higherIsBetter: false, get: (m) => m.ttft },
  { key: "p99Ttft", metric: "TTFT p99", unit: "s", higherIsBetter: false, get: (m) => m.p99Ttft },
  { key: "tpot", metric: "TPOT mean", unit: "s", higherIsBetter: false, get: (m) => m.tpot },
  { key: "e2e", metric: "E2E mean", unit: "s", higherIsBetter: false, get: (m) => m.e2e },
  { key: "memory.weightsPerGpuGB", metric: "weights/GPU", unit: "GB", higherIsBetter: null, get: (m) => m.memory.weightsPerGpuGB },
  { key: "memory.kvPoolPerGpuGB", metric: "KV pool/GPU", unit: "GB", higherIsBetter: null, get: (m) => m.memory.kvPoolPerGpuGB },
  { key: "memory.kvCapacityTokens", metric: "KV capacity/replica", unit: "tokens", higherIsBetter: null, get: (m) => m.memory.kvCapacityTokens },
  { key: "prefillMemory.weightsPerGpuGB", metric: "prefill weights/GPU", unit: "GB", higherIsBetter: null, get: (m) => m.prefillMemory?.weightsPerGpuGB },
  { key: "prefillMemory.kvPoolPerGpuGB", metric: "prefill KV pool/GPU", unit: "GB", higherIsBetter: null, get: (m) => m.prefillMemory?.kvPoolPerGpuGB },
];

/** Deltas of b against a. Pure: works on any two records (e.g. hand-made ones in a notebook). */
export function compareRuns(a: RunRecord, b: RunRecord): RunComparison {
  const metrics: MetricDelta[] = [];
  for (const m of METRICS) {
    const x = m.get(a.prediction);
    const y = m.get(b.prediction);
    if (x === undefined || y === undefined) continue;
    const delta = y - x;
    const better = m.higherIsBetter === null ? null : delta === 0 ? "same" : (delta > 0) === m.higherIsBetter ? "b" : "a";
    const range = (r: RunRecord) => (INTERVAL_OF[m.key] ? r.intervals?.bounds[INTERVAL_OF[m.key]] : undefined);
    metrics.push({ key: m.key, metric: m.metric, unit: m.unit, a: x, b: y, delta, deltaPct: x === 0 ? null : (100 * delta) / x, better, aRange: range(a), bRange: range(b) });
  }
  const keys = [...new Set([...Object.keys(a.inputs), ...Object.keys(b.inputs)])];
  const inputs = keys.filter((k) => a.inputs[k] !== b.inputs[k]).map((k) => ({ key: k, a: a.inputs[k] ?? null, b: b.inputs[k] ?? null }));
  return {
    a: { label: a.label, source: a.source },
    b: { label: b.label, source: b.source },
    metrics,
    bottleneck: { a: a.prediction.bottleneck, b: b.prediction.bottleneck, changed: a.prediction.bottleneck !== b.prediction.bottleneck },
    inputs,
    basis: a.intervals && b.intervals ? { a: a.intervals.basis, b: b.intervals.basis } : undefined,
  };
}

/** The inputs of a pinned run, flattened to comparable scalars. */
export function runInputs(p: PinnedRun): Record<string, InputValue> {
  const r = resolvePinned(p);
  const out: Record<string, InputValue> = {
    model: p.model.id,
    "model.ir_sha256": sha256Json(p.model).slice(0, 12),
    hardware: p.hardware.id,
    engine: p.engine.id,
    "engine.version": p.engine.version,
    gpus_counted: p.gpusCounted,
    concurrency: p.workload.kind === "closed" ? p.workload.concurrency : "",
    seed: p.seed,
    kernel_tables: Array.isArray(p.useKernelTables) ? p.useKernelTables.join(",") : p.useKernelTables,
    calibration: p.calibration?.name ?? "none",
  };
  const pools: [string, { plan: unknown; workers: number }][] = p.aggregated ? [["", p.aggregated]] : [["prefill.", p.disaggregated!.prefill], ["decode.", p.disaggregated!.decode]];
  for (const [pre, pool] of pools) {
    const pl = parseOrThrow(ParallelPlan, pool.plan, "plan");
    const d = pl.decode;
    out[`${pre}workers`] = pool.workers;
    out[`${pre}plan.attention`] = `tp${d.attention.tp} dp${d.attention.dp} cp${d.attention.cp}`;
    out[`${pre}plan.moe`] = `tp${d.moe.tp} ep${d.moe.ep}`;
    out[`${pre}plan.ffn_tp`] = d.ffn.tp;
    out[`${pre}plan.pp`] = d.pp;
    out[`${pre}plan.weights`] = Object.entries(pl.weights).map(([k, v]) => `${k}=${v}`).join(",") || "checkpoint";
    out[`${pre}plan.kv_cache`] = pl.kvCache;
  }
  const wl = parseOrThrow(Workload, p.workload, "workload");
  out["workload.kind"] = wl.kind;
  if (wl.kind !== "trace") {
    out["workload.requests"] = wl.requests;
    out["workload.input"] = JSON.stringify(wl.input);
    out["workload.output"] = JSON.stringify(wl.output);
    if (wl.kind === "open") out["workload.rate"] = wl.rate;
  } else out["workload.trace_sha256"] = sha256Json(wl.items).slice(0, 12);
  if (p.speculative) out["speculative"] = `${p.speculative.method}: ${p.speculative.draftTokens} draft tokens, acceptance ${p.speculative.acceptance}`;
  for (const [k, v] of Object.entries(p.calibration?.values ?? {})) out[`calibration.${k}`] = v as number;
  for (const [k, v] of Object.entries(p.overrides)) out[`override.${k}`] = v as number;
  for (const [k, f] of Object.entries(r.efficiency)) out[`efficiency.${k}`] = f.value;
  for (const k of ["max_num_batched_tokens", "max_num_seqs", "gpu_memory_utilization", "runtime_reserve_gb", "step_overhead_ms", "per_seq_overhead_us", "request_overhead_ms"] as const) out[`engine.${k}`] = r.engine[k].value;
  const hw = p.hardware;
  out["hardware.memory_gb"] = hw.memory.capacity_gb.value;
  out["hardware.hbm_tbps"] = hw.memory.bandwidth_tbps.value;
  for (const [d, f] of Object.entries(hw.dense_tflops)) if (f) out[`hardware.${d}_tflops`] = f.value;
  out["hardware.scale_up_gbps"] = hw.scale_up.bandwidth_gbps_unidir.value;
  return out;
}

export function runRecord(p: PinnedRun, source = "api", prediction?: RunPrediction, intervals?: RunRecord["intervals"]): RunRecord {
  const pred = prediction ?? predictPinned(p);
  const iv = intervals ?? (() => {
    const x = intervalsRecord(p, pred);
    return { basis: x.basis, bounds: Object.fromEntries(Object.entries(x.metrics).map(([k, m]) => [k, { low: m.low, high: m.high }])) };
  })();
  return { label: p.label, source, prediction: pred, inputs: runInputs(p), intervals: iv };
}

/**
 * Load and predict one run: a bundle file (mantile.bundle/v1), or a standard-CSV row as "FILE.csv:N"
 * or "FILE.csv#N" (N = 1-based data row; pinned with `opts`: calibration, kernel tables, seed).
 */
export function loadRun(spec: string, opts: PinOptions = {}): RunRecord {
  const m = spec.match(/^(.*\.csv)[:#](\d+)$/i);
  if (m) {
    const [, file, n] = m;
    if (!fs.existsSync(file)) throw new InputError(`CSV not found: ${file}`);
    const { rows } = readCsv(file);
    const i = Number(n);
    if (!(i >= 1 && i <= rows.length)) throw new InputError(`${spec}: row ${n} does not exist (the CSV has ${rows.length} data rows, numbered from 1)`);
    const row = parseOrThrow(ConfigRow, rows[i - 1], `row ${i} of ${file}`);
    return runRecord(pinRow(row, opts, rows[i - 1]), spec);
  }
  if (/\.csv$/i.test(spec)) throw new InputError(`${spec}: give a row as FILE.csv:N (N = 1-based data row)`);
  const b = readBundle(spec);
  const r = predictBundle(b);
  return runRecord(r.pinned, spec, r.prediction, r.intervals);
}

/** compareRuns(loadRun(a), loadRun(b)). */
export function compareRunFiles(a: string, b: string, opts: PinOptions = {}): RunComparison {
  return compareRuns(loadRun(a, opts), loadRun(b, opts));
}

// ---------------------------------------------------------------------------------------------

/** Display: TTFT and TPOT in ms, E2E in s, token counts rounded. */
function display(m: MetricDelta): { unit: string; f: (v: number) => string } {
  if (m.unit === "s" && m.key !== "e2e") return { unit: "ms", f: (v) => formatNumber(v * 1e3) };
  if (m.unit === "tokens") return { unit: m.unit, f: (v) => formatNumber(Math.round(v)) };
  return { unit: m.unit, f: formatNumber };
}

export function comparisonTable(c: RunComparison): string {
  const range = (m: MetricDelta, r?: { low: number; high: number }) => (r ? `${display(m).f(r.low)}–${display(m).f(r.high)}` : "");
  const rows = c.metrics.map((m) => [
    m.metric, display(m).unit, display(m).f(m.a), range(m, m.aRange), display(m).f(m.b), range(m, m.bRange),
    `${m.delta > 0 ? "+" : m.delta < 0 ? "−" : ""}${display(m).f(Math.abs(m.delta))}`,
    m.deltaPct === null ? "n/a" : `${m.deltaPct > 0 ? "+" : m.deltaPct < 0 ? "−" : ""}${Math.abs(m.deltaPct).toFixed(1)}%`,
    m.better === null ? "" : m.better === "same" ? "same" : `${m.better.toUpperCase()} better`,
  ]);
  rows.push(["bottleneck", "", c.bottleneck.a, "", c.bottleneck.b, "", c.bottleneck.changed ? "changed" : "same", "", ""]);
  const header = ["metric", "unit", "A", "A 80%", "B", "B 80%", "Δ (B−A)", "Δ %", ""];
  const out = [`A: ${c.a.label}  [${c.a.source}]`, `B: ${c.b.label}  [${c.b.source}]`, "", ...textTable(header, rows, [0, 1, 8]), ""];
  if (c.basis) out.push(`80% intervals: A ${c.basis.a}; B ${c.basis.b}`, "");
  if (c.inputs.length) {
    out.push(`Inputs that differ (${c.inputs.length}):`);
    const kw = Math.max(...c.inputs.map((x) => x.key.length));
    for (const x of c.inputs) out.push(`  ${x.key.padEnd(kw)}  A ${x.a === null ? "—" : String(x.a)}  →  B ${x.b === null ? "—" : String(x.b)}`);
  } else out.push("Inputs: identical.");
  return out.join("\n") + "\n";
}
