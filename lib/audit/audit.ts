/**
 * Assumptions & audit log of one prediction: every input that is not a plain fact of the model
 * config — defaults, uncertain engine figures, hardware peaks, calibration, mapping choices, the
 * kernel-table coverage (and extrapolation) — with its provenance and its impact: how much the
 * headline metrics (throughput/GPU, TTFT, TPOT, E2E) move when that input is set to −20% and +20%
 * (the prediction is re-run with the perturbed value, clamped to the parameter's physical bounds).
 *
 *   const log = auditPrediction(row);            // row: ConfigRow (lib/reconcile/standard.ts)
 *   console.log(auditTable(log));                // readable table, sorted by impact
 *   fs.writeFileSync("audit.json", JSON.stringify(log, null, 1));
 *
 * `listAssumptions(pinned)` gives the same entries without impacts (no simulation; ~ms per row).
 */
import { attentionWindows } from "../model/build";
import type { LengthDist } from "../serving/workload";
import { formatNumber } from "../core/explain";
import { parseOrThrow } from "../core/validate";
import { decodeBatch, prefillBatch } from "../cost/batch";
import type { HardwareProfile } from "../hardware/schema";
import { ParallelPlan } from "../parallel/plan";
import { CALIBRATION_PARAMETERS, type ParamName } from "../reconcile/calibration";
import type { ConfigRow } from "../reconcile/standard";
import { withEngineOverrides, type EngineNumber } from "../serving/engine";
import { expectedTokensPerStep } from "../serving/speculative";
import { maxLength, Workload } from "../serving/workload";
import { FACTOR_NAMES, withFactors } from "../step/efficiency";
import { buildStepModel } from "../step/estimate";
import { kernelSourceFor } from "../step/kernel-source";
import {
  pinRow, predictPinned, predictResolved, resolveRun, typicalDecode, withEngine, workloadMeans,
  type PinnedRun, type PinOptions, type ResolvedRun, type RunPrediction,
} from "../bundle/run";

export const AUDIT_SCHEMA = "mantile.audit/v1";

/** Percent change of each headline metric against the unperturbed prediction. */
export interface MetricChange {
  throughput: number;
  ttft: number;
  tpot: number;
  e2e: number;
}

export interface Perturbed {
  /** Requested factor (0.8 or 1.2) and the value actually used. */
  factor: number;
  value: number;
  /** The ±20% value fell outside the parameter's bounds and was clamped to `bound`. */
  clamped: boolean;
  bound?: number;
  change: MetricChange | null;
  error?: string;
}

export interface Impact {
  param: string;
  base: number;
  minus20: Perturbed;
  plus20: Perturbed;
}

export type AuditKind =
  | "default" // a documented library default (data/efficiency/defaults.json)
  | "uncertain" // a data figure its source marks uncertain (engine placeholders, disputed datasheet numbers)
  | "calibration" // fitted by mantile calibrate
  | "override" // set by the user for this run
  | "datasheet" // a hardware datasheet figure (perturbed for sensitivity)
  | "mapping" // how the benchmark row was mapped to the model (lib/reconcile/convert.ts)
  | "calibration-profile" // which calibration profile applies
  | "kernel-tables"; // measured-table coverage and extrapolation

export interface AuditEntry {
  what: string;
  /** Machine name of the perturbed input ("efficiency.memory_bandwidth", "engine.step_overhead_ms", "hardware.memory.bandwidth_tbps"), null for categorical entries. */
  param: string | null;
  value: string;
  unit: string;
  kind: AuditKind;
  provenance: string;
  impact: Impact | null;
  /** Categorical entries: the prediction with the alternative choice (no calibration; roofline only). */
  alternative: { label: string; change: MetricChange | null; error?: string } | null;
  note?: string;
  /** Largest |% change| of any headline metric under ±20% (or of the alternative); 0 when not perturbed. */
  score: number;
}

export interface StepCoverage {
  step: string;
  gpuMs: number;
  /** Shares of GPU time: measured table (interpolated), measured table (extrapolated), roofline. */
  tableShare: number;
  extrapolatedShare: number;
  rooflineShare: number;
  extrapolatedOps: string[];
}

export interface AuditLog {
  schema: typeof AUDIT_SCHEMA;
  label: string;
  created: string;
  run: { model: string; hardware: string; engine: string; gpus: number; plan: string; workload: string; calibration: string; kernelTables: string };
  prediction: RunPrediction | null;
  entries: AuditEntry[];
  coverage: StepCoverage[];
  timing: { runs: number; ms: number };
  notes: string[];
}

export interface AuditOptions {
  /** Re-run the prediction with each input at −step and +step (default true). */
  impacts?: boolean;
  /** Relative perturbation (default 0.2 = ±20%). */
  step?: number;
  /** Only these params (e.g. ["efficiency.memory_bandwidth"]); default all. */
  only?: string[];
  /** Also run the categorical alternatives (no calibration, roofline only); default true. */
  alternatives?: boolean;
  onProgress?: (done: number, total: number) => void;
}

interface Knob {
  param: string;
  what: string;
  unit: string;
  kind: AuditKind;
  provenance: string;
  value: number;
  shown?: string;
  min?: number;
  max?: number;
  integer?: boolean;
  note?: string;
  apply(r: ResolvedRun, v: number): ResolvedRun;
}

const ENGINE_NUMBERS: EngineNumber[] = ["max_num_batched_tokens", "max_num_seqs", "gpu_memory_utilization", "runtime_reserve_gb", "step_overhead_ms", "per_seq_overhead_us", "request_overhead_ms"];
const PERTURBATION = "audit perturbation";

function cloneHw(hw: HardwareProfile): HardwareProfile {
  return JSON.parse(JSON.stringify(hw)) as HardwareProfile;
}

function tablesUsed(r: ResolvedRun): boolean {
  if (r.useKernelTables === false) return false;
  const ops = r.useKernelTables === true ? undefined : r.useKernelTables;
  return !!kernelSourceFor(r.hardware, r.engine, ops);
}

/** The numeric inputs that are not plain config facts, as perturbable knobs. */
function knobs(p: PinnedRun, r: ResolvedRun): Knob[] {
  const out: Knob[] = [];
  const tables = tablesUsed(r);
  const tableNote = tables ? "ops timed from measured kernel tables do not use it; it acts on roofline-timed ops only" : undefined;
  for (const n of FACTOR_NAMES) {
    const f = r.efficiency[n];
    const cp = CALIBRATION_PARAMETERS[n as ParamName];
    const kind: AuditKind = f.kind === "calibration" ? "calibration" : f.kind === "override" ? "override" : "default";
    out.push({
      param: `efficiency.${n}`, what: `efficiency ${n}`, unit: f.unit, kind, provenance: `${f.kind}: ${f.source}`, value: f.value,
      min: Math.max(f.min, cp?.min ?? -Infinity), max: Math.min(f.max, cp?.max ?? Infinity), note: tableNote && n !== "kernel_gap_graph_us" && n !== "kernel_gap_eager_us" ? tableNote : undefined,
      apply: (x, v) => ({ ...x, efficiency: withFactors(x.efficiency, { [n]: v }, "override", PERTURBATION) }),
    });
  }
  for (const k of ENGINE_NUMBERS) {
    const f = r.engine[k];
    const cp = CALIBRATION_PARAMETERS[k as ParamName];
    if (!f.uncertain && !cp) continue;
    const kind: AuditKind = p.overrides[k as ParamName] !== undefined ? "override" : p.calibration?.values[k as ParamName] !== undefined ? "calibration" : f.uncertain ? "uncertain" : "default";
    out.push({
      param: `engine.${k}`, what: `engine ${k}`, unit: f.unit, kind, provenance: `${r.engine.id}: ${f.source}`, value: f.value,
      min: cp?.min ?? (k === "max_num_batched_tokens" || k === "max_num_seqs" ? 1 : 0), max: cp?.max ?? (k === "gpu_memory_utilization" ? 1 : undefined),
      integer: k === "max_num_batched_tokens" || k === "max_num_seqs",
      apply: (x, v) => withEngine(x, withEngineOverrides(x.engine, { [k]: v }, PERTURBATION)),
    });
  }
  // Speculative decoding (when the converted request carries it): the acceptance rate is an assumption.
  const spec = r.extra.speculative as { acceptance?: unknown; draftTokens?: unknown; source?: unknown } | undefined;
  if (spec && typeof spec.acceptance === "number" && typeof spec.draftTokens === "number") {
    const k = spec.draftTokens;
    out.push({
      param: "speculative.acceptance", what: "speculative acceptance rate", unit: "fraction of draft tokens", kind: "uncertain", provenance: String(spec.source ?? "speculative decoding"), value: spec.acceptance,
      min: 0, max: 0.99,
      note: `tokens per step recomputed as (1 − a^(k+1)) / (1 − a) with k = ${k}`,
      apply: (x, a) => ({ ...x, extra: { ...x.extra, speculative: { ...spec, acceptance: a, tokensPerStep: expectedTokensPerStep(k, a) } } }),
    });
  }
  const hw = r.hardware;
  const hwKind = (u?: boolean): AuditKind => (u ? "uncertain" : "datasheet");
  const bw = hw.memory.bandwidth_tbps;
  out.push({
    param: "hardware.memory.bandwidth_tbps", what: "hardware HBM bandwidth", unit: bw.unit, kind: hwKind(bw.uncertain), provenance: `data/hardware/${hw.id}.json: ${bw.source}`, value: bw.value, note: tableNote,
    apply: (x, v) => {
      const h = cloneHw(x.hardware);
      h.memory.bandwidth_tbps.value = v;
      return { ...x, hardware: h };
    },
  });
  const peaks = Object.entries(hw.dense_tflops).filter(([, f]) => f) as [string, { value: number; unit: string; source: string; uncertain?: boolean }][];
  out.push({
    param: "hardware.dense_tflops", what: "hardware dense tensor peaks (all dtypes together)", unit: "TFLOPS", kind: hwKind(peaks.some(([, f]) => f.uncertain)),
    provenance: `data/hardware/${hw.id}.json: ${peaks.map(([d, f]) => `${d} ${formatNumber(f.value)}`).join(", ")} TFLOPS; bf16: ${hw.dense_tflops.bf16.source}`, value: hw.dense_tflops.bf16.value,
    shown: `bf16 ${formatNumber(hw.dense_tflops.bf16.value)}${peaks.length > 1 ? ` (+${peaks.length - 1} dtypes)` : ""}`, note: tableNote,
    apply: (x, v) => {
      const h = cloneHw(x.hardware);
      const s = v / hw.dense_tflops.bf16.value;
      for (const f of Object.values(h.dense_tflops)) if (f) f.value *= s;
      return { ...x, hardware: h };
    },
  });
  if (r.gpusCounted > 1 || r.disaggregated) {
    const su = hw.scale_up.bandwidth_gbps_unidir;
    out.push({
      param: "hardware.scale_up.bandwidth_gbps_unidir", what: "hardware scale-up bandwidth", unit: su.unit, kind: hwKind(su.uncertain), provenance: `data/hardware/${hw.id}.json (${hw.scale_up.technology}): ${su.source}`, value: su.value, note: tableNote,
      apply: (x, v) => {
        const h = cloneHw(x.hardware);
        h.scale_up.bandwidth_gbps_unidir.value = v;
        return { ...x, hardware: h };
      },
    });
  }
  return out;
}

/** Which part of the GPU time of representative steps comes from measured tables, extrapolated lookups, or the roofline. */
export function kernelCoverage(r: ResolvedRun, meanInput: number, meanOutput: number): StepCoverage[] {
  const wl = parseOrThrow(Workload, r.workload, "workload");
  const maxIn = wl.kind === "trace" ? Math.max(...wl.items.map((x) => x.input)) : maxLength(wl.input);
  const maxOut = wl.kind === "trace" ? Math.max(...wl.items.map((x) => x.output)) : maxLength(wl.output);
  const t = typicalDecode(r, meanInput, meanOutput);
  const windows = attentionWindows(r.model);
  const decPlan = parseOrThrow(ParallelPlan, t.pool.plan, "plan");
  const prePool = r.aggregated ?? r.disaggregated!.prefill;
  const prePlan = parseOrThrow(ParallelPlan, prePool.plan, "plan");
  const dec = buildStepModel(r.model, r.hardware, decPlan, "decode", t.pool.engine, r.efficiency, r.useKernelTables);
  const pre = buildStepModel(r.model, r.hardware, prePlan, "prefill", prePool.engine, r.efficiency, r.useKernelTables);
  const isl = Math.round(meanInput);
  const budget = prePool.engine.max_num_batched_tokens.value;
  const chunk = Math.max(1, Math.floor(budget / Math.max(1, maxIn)));
  const steps = [
    { step: `decode batch ${t.batch} at mean context ${t.context}`, bd: dec.breakdown(decodeBatch(t.batch, t.context, windows)) },
    { step: `decode batch ${t.batch} at max context ${maxIn + maxOut}`, bd: dec.breakdown(decodeBatch(t.batch, maxIn + maxOut, windows)) },
    { step: `prefill 1 × ${isl} tokens`, bd: pre.breakdown(prefillBatch(1, isl, windows)) },
    { step: `prefill ${chunk} × ${maxIn} tokens (token budget ${budget})`, bd: pre.breakdown(prefillBatch(chunk, maxIn, windows)) },
  ];
  return steps.map(({ step, bd }) => {
    let table = 0;
    let extra = 0;
    let roof = 0;
    const ops = new Set<string>();
    for (const { op, time } of bd.ops) {
      const s = op.layers * time.seconds;
      if (time.source === "roofline") roof += s;
      else if (time.extrapolated) {
        extra += s;
        ops.add(`${op.layerType}/${op.name}`);
      } else table += s;
    }
    const g = Math.max(bd.gpu, 1e-30);
    return { step, gpuMs: bd.gpu * 1e3, tableShare: table / g, extrapolatedShare: extra / g, rooflineShare: roof / g, extrapolatedOps: [...ops] };
  });
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

function change(base: RunPrediction, x: RunPrediction): MetricChange {
  const d = (a: number, b: number) => (a === 0 ? (b === 0 ? 0 : NaN) : (100 * (b - a)) / a);
  return { throughput: d(base.throughputPerGpu, x.throughputPerGpu), ttft: d(base.ttft, x.ttft), tpot: d(base.tpot, x.tpot), e2e: d(base.e2e, x.e2e) };
}

const maxAbs = (c: MetricChange | null | undefined) => (c ? Math.max(...Object.values(c).map((v) => (Number.isFinite(v) ? Math.abs(v) : 0))) : 0);

function describeRun(p: PinnedRun, r: ResolvedRun): AuditLog["run"] {
  const planText = (x: { plan: unknown; workers: number }) => {
    const pl = parseOrThrow(ParallelPlan, x.plan, "plan").decode;
    return `attention TP${pl.attention.tp}${pl.attention.dp > 1 ? ` DP${pl.attention.dp}` : ""}, MoE TP${pl.moe.tp} EP${pl.moe.ep}, FFN TP${pl.ffn.tp}${pl.pp > 1 ? `, PP${pl.pp}` : ""} × ${x.workers} worker(s)`;
  };
  const wl = parseOrThrow(Workload, p.workload, "workload");
  // Typed through LengthDist so notebooks (compiled without strict null checks) type-check too.
  const lengths = (d: LengthDist) =>
    d.kind === "benchmark" ? `${d.nominal} (×[${d.rangeRatio},1])` : d.kind === "fixed" ? String(d.value) : `[${d.min}, ${d.max}]`;
  const wlText = wl.kind === "trace" ? `trace of ${wl.items.length} requests` : `${wl.kind === "closed" ? `closed loop ${wl.concurrency} clients` : `open loop ${wl.rate} req/s`}, ${wl.requests} requests, input ${lengths(wl.input as LengthDist)}, output ${lengths(wl.output as LengthDist)}`;
  const tables = r.useKernelTables === false ? "off (roofline only)" : tablesUsed(r) ? kernelSourceFor(r.hardware, r.engine, r.useKernelTables === true ? undefined : r.useKernelTables)!.name : "none for this hardware × engine (roofline)";
  return {
    model: p.model.id, hardware: p.hardware.id, engine: `${p.engine.id} (${p.engine.version})`, gpus: p.gpusCounted,
    plan: r.aggregated ? planText(r.aggregated) : `prefill ${planText(r.disaggregated!.prefill)}; decode ${planText(r.disaggregated!.decode)}`,
    workload: wlText, calibration: p.calibration?.name ?? "none", kernelTables: tables,
  };
}

/** Audit entries without impacts (no simulation): knobs, calibration, kernel-table coverage, mappings. */
export function listAssumptions(p: PinnedRun, means?: { input: number; output: number }): { entries: AuditEntry[]; coverage: StepCoverage[]; run: AuditLog["run"] } {
  const r = resolveRun(p);
  const m = means ?? workloadMeans(p.workload);
  const entries: AuditEntry[] = knobs(p, r).map((k) => ({
    what: k.what, param: k.param, value: k.shown ?? formatNumber(k.value), unit: k.unit, kind: k.kind, provenance: k.provenance, impact: null, alternative: null, note: k.note, score: 0,
  }));
  const cal = p.calibration;
  entries.push({
    what: "calibration profile", param: null, kind: "calibration-profile", unit: "",
    value: cal ? `${cal.name}: ${Object.entries(cal.values).map(([k, v]) => `${k}=${Number((v as number).toPrecision(4))}`).join(", ")}` : "none",
    provenance: cal ? cal.description : `no profile data/calibration/${p.hardware.id}-${p.engine.id}.json or global.json (or --calibration none): defaults from data/efficiency and data/engines`,
    impact: null, alternative: null, score: 0,
  });
  const coverage = kernelCoverage(r, m.input, m.output);
  const used = tablesUsed(r);
  const extrapolated = coverage.filter((c) => c.extrapolatedShare > 0);
  entries.push({
    what: "kernel tables & extrapolation", param: null, kind: "kernel-tables", unit: "",
    value: !used
      ? r.useKernelTables === false ? "not used (roofline only)" : "no measured tables for this hardware × engine (roofline only)"
      : coverage.map((c) => `${c.step}: ${pct(c.tableShare)} table, ${pct(c.extrapolatedShare)} extrapolated, ${pct(c.rooflineShare)} roofline`).join("; "),
    provenance: used
      ? `${describeRun(p, r).kernelTables}${extrapolated.length ? `; extrapolated lookups: ${[...new Set(extrapolated.flatMap((c) => c.extrapolatedOps))].join(", ")}` : "; no extrapolated lookups in these steps"}`
      : "lib/step/roofline.ts with the efficiency factors above",
    impact: null, alternative: null, score: 0,
  });
  for (const a of p.assumptions) entries.push({ what: a.what, param: null, value: a.value, unit: "", kind: "mapping", provenance: a.why, impact: null, alternative: null, score: 0 });
  return { entries, coverage, run: describeRun(p, r) };
}

function perturb(k: Knob, factor: number, r: ResolvedRun, base: RunPrediction, calName: string, count: () => void): Perturbed {
  let v = k.value * factor;
  if (k.integer) v = Math.round(v);
  let clamped = false;
  let bound: number | undefined;
  if (k.min !== undefined && v < k.min) [v, clamped, bound] = [k.min, true, k.min];
  if (k.max !== undefined && v > k.max) [v, clamped, bound] = [k.max, true, k.max];
  if (v === k.value) return { factor, value: v, clamped, bound, change: { throughput: 0, ttft: 0, tpot: 0, e2e: 0 } };
  try {
    count();
    return { factor, value: v, clamped, bound, change: change(base, predictResolved(k.apply(r, v), calName)) };
  } catch (e) {
    return { factor, value: v, clamped, bound, change: null, error: (e as Error).message.replace(/\s*\n\s*/g, "; ") };
  }
}

/** Audit a pinned run: the prediction, every assumption with provenance, and (by default) ±20% impacts. */
export function auditPinned(p: PinnedRun, opts: AuditOptions = {}): AuditLog {
  const t0 = Date.now();
  let runs = 1;
  const count = () => runs++;
  const base = predictPinned(p);
  const r = resolveRun(p);
  const calName = p.calibration?.name ?? "none";
  const { entries, coverage, run } = listAssumptions(p, { input: base.meanInput, output: base.meanOutput });
  const step = opts.step ?? 0.2;
  const notes: string[] = [];
  if (opts.impacts !== false) {
    const ks = knobs(p, r).filter((k) => !opts.only || opts.only.includes(k.param));
    const alts = opts.alternatives === false ? 0 : (p.calibration ? 1 : 0) + (tablesUsed(r) ? 1 : 0);
    const total = 2 * ks.length + alts;
    let done = 0;
    for (const k of ks) {
      const e = entries.find((x) => x.param === k.param)!;
      if (k.value === 0) {
        e.note = [e.note, "value is 0: ±20% leaves it unchanged"].filter(Boolean).join("; ");
        done += 2;
        continue;
      }
      const minus20 = perturb(k, 1 - step, r, base, calName, count);
      opts.onProgress?.(++done, total);
      const plus20 = perturb(k, 1 + step, r, base, calName, count);
      opts.onProgress?.(++done, total);
      e.impact = { param: k.param, base: k.value, minus20, plus20 };
      const clampNotes = [minus20, plus20].filter((x) => x.clamped).map((x) => `${x.factor < 1 ? "−" : "+"}${Math.round(step * 100)}% clamped to bound ${x.bound}`);
      if (clampNotes.length) e.note = [e.note, ...clampNotes].filter(Boolean).join("; ");
      e.score = Math.max(maxAbs(minus20.change), maxAbs(plus20.change));
    }
    if (opts.alternatives !== false) {
      const alt = (label: string, q: PinnedRun): AuditEntry["alternative"] => {
        try {
          count();
          return { label, change: change(base, predictPinned(q)) };
        } catch (e) {
          return { label, change: null, error: (e as Error).message };
        } finally {
          opts.onProgress?.(++done, total);
        }
      };
      const calEntry = entries.find((x) => x.kind === "calibration-profile")!;
      if (p.calibration) calEntry.alternative = alt("without calibration (library defaults)", { ...p, calibration: null });
      const tabEntry = entries.find((x) => x.kind === "kernel-tables")!;
      if (tablesUsed(r)) tabEntry.alternative = alt("roofline only (no kernel tables)", { ...p, useKernelTables: false });
      for (const e of [calEntry, tabEntry]) e.score = maxAbs(e.alternative?.change);
    }
    notes.push(`impacts: % change of each headline metric when the input is set to ×${1 - step} and ×${1 + step} of its value (clamped to its bounds), all else equal`);
    notes.push("categorical entries (calibration profile, kernel tables) show the alternative choice instead; mappings are not perturbed");
    notes.push("TTFT moves in steps: a prompt starts at the next engine step boundary, so a small shift of arrival time is absorbed or costs a whole step (a non-symmetric ±20% TTFT response is expected at high concurrency)");
  } else {
    notes.push("impacts not computed (listing only)");
  }
  const numeric = entries.filter((e) => e.param !== null).sort((a, b) => b.score - a.score);
  const categorical = entries.filter((e) => e.param === null && e.kind !== "mapping");
  const mappings = entries.filter((e) => e.kind === "mapping");
  return {
    schema: AUDIT_SCHEMA, label: p.label, created: new Date().toISOString(), run, prediction: base,
    entries: [...numeric, ...categorical, ...mappings], coverage, timing: { runs, ms: Date.now() - t0 }, notes,
  };
}

/** Audit the prediction of one standard-CSV configuration row (pins it first: see lib/bundle/run.ts). */
export function auditPrediction(row: ConfigRow, opts: AuditOptions & PinOptions = {}): AuditLog {
  return auditPinned(pinRow(row, opts), opts);
}

// ---------------------------------------------------------------------------------------------
// Text rendering

const signed = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "n/a" : `${v >= 0 ? "+" : "−"}${Math.abs(v) < 0.05 ? "0.0" : Math.abs(v).toFixed(1)}%`.replace("+0.0%", "0.0%").replace("−0.0%", "0.0%"));

function table(header: string[], rows: string[][], left: number[] = [0]): string[] {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (left.includes(i) ? (c ?? "").padEnd(w[i]) : (c ?? "").padStart(w[i]))).join("  ").trimEnd();
  return [line(header), w.map((x) => "-".repeat(x)).join("  "), ...rows.map(line)];
}

/** The audit as readable text: run, prediction, numeric inputs sorted by impact, categorical entries, mappings. */
export function auditTable(log: AuditLog, opts: { width?: number } = {}): string {
  const maxProv = opts.width ?? 70;
  const cut = (s: string, n = maxProv) => (s.length > n ? s.slice(0, n - 1) + "…" : s);
  const out: string[] = [];
  const p = log.prediction;
  out.push(`Audit: ${log.label}`);
  out.push(`  model ${log.run.model} · ${log.run.gpus} × ${log.run.hardware} · ${log.run.engine}`);
  out.push(`  plan ${log.run.plan}`);
  out.push(`  workload ${log.run.workload}`);
  out.push(`  calibration ${log.run.calibration} · kernel tables: ${log.run.kernelTables}`);
  if (p) {
    out.push(`  prediction: throughput ${formatNumber(p.throughputPerGpu)} tok/s/GPU, TTFT ${formatNumber(p.ttft * 1e3)} ms, TPOT ${formatNumber(p.tpot * 1e3)} ms, E2E ${formatNumber(p.e2e)} s, bottleneck ${p.bottleneck}`);
    out.push(`  memory/GPU: weights ${formatNumber(p.memory.weightsPerGpuGB)} GB, KV pool ${formatNumber(p.memory.kvPoolPerGpuGB)} GB`);
  }
  out.push("");
  const numeric = log.entries.filter((e) => e.param !== null);
  const hasImpact = numeric.some((e) => e.impact);
  out.push(hasImpact ? "Numeric inputs, sorted by impact (% change of throughput/GPU, TTFT, TPOT, E2E at −20% | +20%):" : "Numeric inputs (impacts not computed):");
  const m = (c: Perturbed | undefined) => (c?.error ? ["error", "", "", ""] : [signed(c?.change?.throughput), signed(c?.change?.ttft), signed(c?.change?.tpot), signed(c?.change?.e2e)]);
  const shortUnit = (u: string) => (u.length <= 10 ? u : u.split(" ")[0]);
  const clampFlag = (e: AuditEntry) => [e.impact?.minus20, e.impact?.plus20].filter((x) => x?.clamped).map((x) => (x!.factor < 1 ? "−" : "+")).join("");
  const rows = numeric.map((e) => [
    e.what.replace(/^(efficiency|engine|hardware) /, ""), `${e.value}${e.unit && !e.value.includes(" ") ? ` ${shortUnit(e.unit)}` : ""}`, `${e.param!.split(".")[0]}/${e.kind}`,
    ...(e.impact ? [...m(e.impact.minus20), "|", ...m(e.impact.plus20)] : ["", "", "", "", "|", "", "", "", ""]),
    clampFlag(e) ? `clamped ${clampFlag(e)}` : "",
  ]);
  out.push(...table(["input", "value", "group/kind", "thr−20", "ttft−20", "tpot−20", "e2e−20", "|", "thr+20", "ttft+20", "tpot+20", "e2e+20", ""], rows, [0, 1, 2, 12]).map((l) => "  " + l));
  out.push("");
  out.push("Provenance and notes:");
  for (const e of numeric) {
    out.push(`  ${e.what}: ${cut(e.provenance, 140)}`);
    if (e.note) out.push(`      note: ${e.note}`);
    for (const x of [e.impact?.minus20, e.impact?.plus20]) if (x?.error) out.push(`      ×${x.factor}: ${cut(x.error, 140)}`);
  }
  out.push("");
  out.push("Calibration and kernel tables:");
  for (const e of log.entries.filter((x) => x.kind === "calibration-profile" || x.kind === "kernel-tables")) {
    out.push(`  ${e.what}: ${e.value}`);
    out.push(`      source: ${cut(e.provenance, 200)}`);
    if (e.alternative) {
      const c = e.alternative.change;
      out.push(`      ${e.alternative.label}: ${c ? `throughput ${signed(c.throughput)}, TTFT ${signed(c.ttft)}, TPOT ${signed(c.tpot)}, E2E ${signed(c.e2e)}` : `error: ${e.alternative.error}`}`);
    }
  }
  out.push("");
  out.push("Mapping assumptions (benchmark row → model; not perturbed):");
  for (const e of log.entries.filter((x) => x.kind === "mapping")) out.push(`  ${e.what}: ${e.value}  — ${e.provenance}`);
  out.push("");
  out.push(`${log.timing.runs} prediction run(s) in ${(log.timing.ms / 1000).toFixed(1)} s.`);
  for (const n of log.notes) out.push(`Note: ${n}.`);
  return out.join("\n") + "\n";
}
