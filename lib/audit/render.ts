/** The audit as readable text: run, prediction, numeric inputs sorted by impact, categorical entries, mappings. */
import { formatNumber } from "../core/explain";
import { textTable } from "../core/text-table";
import type { AuditEntry, AuditLog, Perturbed } from "./types";

const signed = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "n/a" : `${v >= 0 ? "+" : "−"}${Math.abs(v) < 0.05 ? "0.0" : Math.abs(v).toFixed(1)}%`.replace("+0.0%", "0.0%").replace("−0.0%", "0.0%"));

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
  const iv = log.interval;
  if (iv) {
    out.push(`  ${Math.round(iv.nominal * 100)}% interval (basis: ${iv.basis}):`);
    for (const m of iv.metrics) out.push(`    ${m.metric}: ${formatNumber(m.low)} – ${formatNumber(m.high)} (predicted ${formatNumber(m.predicted)}; width of class "${m.widthClass}", n=${m.n})`);
    out.push(iv.largest ? `  the assumption that contributes most to the width: ${iv.largest}` : "  the request is like the fit: its width is its profile's out-of-fold error");
  }
  out.push("");
  const numeric = log.entries.filter((e) => e.param !== null);
  const hasImpact = numeric.some((e) => e.impact);
  const step = numeric.find((e) => e.impact)?.impact?.step ?? 0.2;
  const pctStep = `${Math.round(step * 100)}`;
  out.push(hasImpact ? `Numeric inputs, sorted by impact (% change of throughput/GPU, TTFT, TPOT, E2E at −${pctStep}% | +${pctStep}%):` : "Numeric inputs (impacts not computed):");
  const m = (c: Perturbed | undefined) => (c?.error ? ["error", "", "", ""] : [signed(c?.change?.throughput), signed(c?.change?.ttft), signed(c?.change?.tpot), signed(c?.change?.e2e)]);
  const shortUnit = (u: string) => (u.length <= 10 ? u : u.split(" ")[0]);
  const clampFlag = (e: AuditEntry) => [e.impact?.lower, e.impact?.upper].filter((x) => x?.clamped).map((x) => (x!.factor < 1 ? "−" : "+")).join("");
  const rows = numeric.map((e) => [
    e.what.replace(/^(efficiency|engine|hardware) /, ""), `${e.value}${e.unit && !e.value.includes(" ") ? ` ${shortUnit(e.unit)}` : ""}`, `${e.param!.split(".")[0]}/${e.kind}`,
    ...(e.impact ? [...m(e.impact.lower), "|", ...m(e.impact.upper)] : ["", "", "", "", "|", "", "", "", ""]),
    clampFlag(e) ? `clamped ${clampFlag(e)}` : "",
  ]);
  out.push(...textTable(["input", "value", "group/kind", `thr−${pctStep}`, `ttft−${pctStep}`, `tpot−${pctStep}`, `e2e−${pctStep}`, "|", `thr+${pctStep}`, `ttft+${pctStep}`, `tpot+${pctStep}`, `e2e+${pctStep}`, ""], rows, [0, 1, 2, 12]).map((l) => "  " + l));
  out.push("");
  out.push("Provenance and notes:");
  for (const e of numeric) {
    out.push(`  ${e.what}: ${cut(e.provenance, 140)}`);
    if (e.note) out.push(`      note: ${e.note}`);
    for (const x of [e.impact?.lower, e.impact?.upper]) if (x?.error) out.push(`      ×${x.factor}: ${cut(x.error, 140)}`);
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
