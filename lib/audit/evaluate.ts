/**
 * Assumptions & audit log of one prediction: every input that is not a plain fact of the model
 * config — defaults, uncertain engine figures, hardware peaks, calibration, mapping choices, the
 * kernel-table coverage (and extrapolation) — with its provenance and its impact: how much the
 * headline metrics (throughput/GPU, TTFT, TPOT, E2E) move when that input is set to ×(1 − step) and
 * ×(1 + step) (default ±20%; the prediction is re-run with the perturbed value, clamped to the
 * parameter's physical bounds).
 *
 *   const log = auditPrediction(row);            // row: ConfigRow (lib/reconcile/standard.ts)
 *   console.log(auditTable(log));                // readable table, sorted by impact (./render.ts)
 *
 * `listAssumptions(pinned)` gives the same entries without impacts (no simulation; ~ms per row).
 */
import { formatNumber } from "../core/explain";
import { decodeBatch, prefillBatch } from "../cost/batch";
import { attentionWindows } from "../model/build";
import type { ConfigRow } from "../reconcile/standard";
import { pinRow, predictPinned, resolvePinned, type PinnedRun, type PinOptions } from "../bundle/run";
import { predictRun, typicalDecodeStep, type RunPrediction } from "../run/predict";
import type { Pool, ResolvedRun } from "../run/request";
import { decodePool, prefillPool } from "../run/resolve";
import { maxLength, meanLength, type LengthDist } from "../serving/workload";
import { buildStepModel } from "../step/build";
import { flaggedOps, ROOFLINE_FLAG_RATIO } from "../step/checks";
import { kernelSourceFor } from "../step/kernel-source";
import { auditInterval } from "./interval";
import { knobs, tablesUsed, type Knob } from "./knobs";
import { AUDIT_SCHEMA, type AuditEntry, type AuditLog, type AuditOptions, type MetricChange, type Perturbed, type StepCoverage } from "./types";

/** Which part of the GPU time of representative steps comes from measured tables, extrapolated lookups, or the roofline. */
export function kernelCoverage(r: ResolvedRun, meanInput: number, meanOutput: number): StepCoverage[] {
  const wl = r.workload!;
  const maxIn = wl.kind === "trace" ? Math.max(...wl.items.map((x) => x.input)) : maxLength(wl.input);
  const maxOut = wl.kind === "trace" ? Math.max(...wl.items.map((x) => x.output)) : maxLength(wl.output);
  const decPool = decodePool(r);
  const t = typicalDecodeStep(decPool, concurrencyOf(r), meanInput, meanOutput);
  const windows = attentionWindows(r.model);
  const prePool = prefillPool(r);
  const dec = buildStepModel(r.model, r.hardware, decPool.plan, "decode", decPool.engine, r.efficiency, r.useKernelTables);
  const pre = buildStepModel(r.model, r.hardware, prePool.plan, "prefill", prePool.engine, r.efficiency, r.useKernelTables);
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
    const flagged = flaggedOps(bd.ops).map((f) => f.value);
    return { step, gpuMs: bd.gpu * 1e3, tableShare: table / g, extrapolatedShare: extra / g, rooflineShare: roof / g, extrapolatedOps: [...ops], flaggedOps: flagged };
  });
}

/** Clients in flight for the typical decode step: the closed loop's concurrency (1 otherwise, before any simulation). */
function concurrencyOf(r: ResolvedRun): number {
  return r.workload?.kind === "closed" ? r.workload.concurrency : 1;
}

/** Mean input / output lengths of a run's workload (without simulating). */
export function workloadMeans(r: ResolvedRun): { input: number; output: number } {
  const wl = r.workload!;
  if (wl.kind === "trace") return { input: wl.items.reduce((s, x) => s + x.input, 0) / wl.items.length, output: wl.items.reduce((s, x) => s + x.output, 0) / wl.items.length };
  return { input: meanLength(wl.input), output: meanLength(wl.output) };
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

function change(base: RunPrediction, x: RunPrediction): MetricChange {
  const d = (a: number, b: number) => (a === 0 ? (b === 0 ? 0 : NaN) : (100 * (b - a)) / a);
  return { throughput: d(base.throughputPerGpu, x.throughputPerGpu), ttft: d(base.ttft, x.ttft), tpot: d(base.tpot, x.tpot), e2e: d(base.e2e, x.e2e) };
}

const maxAbs = (c: MetricChange | null | undefined) => (c ? Math.max(...Object.values(c).map((v) => (Number.isFinite(v) ? Math.abs(v) : 0))) : 0);

function describeRun(p: PinnedRun, r: ResolvedRun): AuditLog["run"] {
  const planText = (x: Pool) => {
    const pl = x.plan.decode;
    return `attention TP${pl.attention.tp}${pl.attention.dp > 1 ? ` DP${pl.attention.dp}` : ""}, MoE TP${pl.moe.tp} EP${pl.moe.ep}, FFN TP${pl.ffn.tp}${pl.pp > 1 ? `, PP${pl.pp}` : ""} × ${x.workers} worker(s)`;
  };
  const wl = p.workload;
  // Typed through LengthDist so notebooks (compiled without strict null checks) type-check too.
  const lengths = (d: LengthDist) =>
    d.kind === "benchmark" ? `${d.nominal} (×[${d.rangeRatio},1])` : d.kind === "fixed" ? String(d.value) : `[${d.min}, ${d.max}]`;
  const wlText = wl.kind === "trace" ? `trace of ${wl.items.length} requests` : `${wl.kind === "closed" ? `closed loop ${wl.concurrency} clients` : wl.kind === "open" ? `open loop ${wl.rate} req/s` : "offline (all submitted at t = 0)"}, ${wl.requests} requests, input ${lengths(wl.input as LengthDist)}, output ${lengths(wl.output as LengthDist)}`;
  const tables = r.useKernelTables === false ? "off (roofline only)" : tablesUsed(r) ? kernelSourceFor(r.hardware, r.engine, r.useKernelTables === true ? undefined : r.useKernelTables)!.name : "none for this hardware × engine (roofline)";
  return {
    model: p.model.id, hardware: p.hardware.id, engine: `${p.engine.id} (${p.engine.version})`, gpus: p.gpusCounted,
    plan: r.aggregated ? planText(r.aggregated) : `prefill ${planText(r.disaggregated!.prefill)}; decode ${planText(r.disaggregated!.decode)}`,
    workload: wlText, calibration: p.calibration?.name ?? "none", kernelTables: tables,
  };
}

/** Audit entries without impacts (no simulation): knobs, calibration, kernel-table coverage, mappings. */
export function listAssumptions(p: PinnedRun, means?: { input: number; output: number }): { entries: AuditEntry[]; coverage: StepCoverage[]; run: AuditLog["run"] } {
  const r = resolvePinned(p);
  const m = means ?? workloadMeans(r);
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
  const flagged = [...new Set(coverage.flatMap((c) => c.flaggedOps))];
  if (flagged.length) {
    entries.push({ what: `kernel time > ${ROOFLINE_FLAG_RATIO.value}× roofline`, param: null, kind: "kernel-tables", unit: "", value: flagged.join("; "), provenance: `data/cost/checks.json roofline_flag_ratio: ${ROOFLINE_FLAG_RATIO.source}`, impact: null, alternative: null, score: 0 });
  }
  for (const a of p.assumptions) entries.push({ what: a.what, param: null, value: a.value, unit: "", kind: "mapping", provenance: a.why, impact: null, alternative: null, score: 0 });
  return { entries, coverage, run: describeRun(p, r) };
}

function perturb(k: Knob, factor: number, r: ResolvedRun, base: RunPrediction, count: () => void): Perturbed {
  let v = k.value * factor;
  if (k.integer) v = Math.round(v);
  let clamped = false;
  let bound: number | undefined;
  if (k.min !== undefined && v < k.min) [v, clamped, bound] = [k.min, true, k.min];
  if (k.max !== undefined && v > k.max) [v, clamped, bound] = [k.max, true, k.max];
  if (v === k.value) return { factor, value: v, clamped, bound, change: { throughput: 0, ttft: 0, tpot: 0, e2e: 0 } };
  try {
    count();
    return { factor, value: v, clamped, bound, change: change(base, predictRun(k.apply(r, v))) };
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
  const r = resolvePinned(p);
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
      const lower = perturb(k, 1 - step, r, base, count);
      opts.onProgress?.(++done, total);
      const upper = perturb(k, 1 + step, r, base, count);
      opts.onProgress?.(++done, total);
      e.impact = { param: k.param, base: k.value, step, lower, upper };
      const clampNotes = [lower, upper].filter((x) => x.clamped).map((x) => `${x.factor < 1 ? "−" : "+"}${Math.round(step * 100)}% clamped to bound ${x.bound}`);
      if (clampNotes.length) e.note = [e.note, ...clampNotes].filter(Boolean).join("; ");
      e.score = Math.max(maxAbs(lower.change), maxAbs(upper.change));
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
    schema: AUDIT_SCHEMA, label: p.label, created: new Date().toISOString(), run, prediction: base, interval: auditInterval(r, base),
    entries: [...numeric, ...categorical, ...mappings], coverage, timing: { runs, ms: Date.now() - t0 }, notes,
  };
}

/** Audit the prediction of one standard-CSV configuration row (pins it first: see lib/bundle/run.ts). */
export function auditPrediction(row: ConfigRow, opts: AuditOptions & PinOptions = {}): AuditLog {
  return auditPinned(pinRow(row, opts), opts);
}

