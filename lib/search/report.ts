/** A search's answer as text (the CLI), as table rows (--out CSV, notebook 11) and as JSON-safe data. */
import { formatNumber } from "../core/explain";
import { textTable } from "../core/text-table";
import { workerText } from "./space";
import type { Evaluated, SearchResult } from "./types";

const n = (x: number) => (Number.isFinite(x) ? formatNumber(x) : "–");

/** The columns of --out (one row per simulated point). */
export const POINT_COLUMNS = [
  "rank", "on_frontier", "chosen", "id", "engine", "mode", "precision", "workers", "speculative", "token_budget", "clients_per_unit",
  "units", "gpus_used", "clients_total", "throughput_tokens_per_sec_per_gpu", "output_tokens_per_sec_per_gpu", "tokens_per_sec_per_user",
  "ttft_mean_sec", "ttft_p90_sec", "ttft_p99_sec", "tpot_mean_sec", "e2e_mean_sec", "meets_slo", "slo_detail",
  "cost_per_million_tokens_usd", "cost_per_million_output_tokens_usd", "bottleneck", "weights_gb_per_gpu", "kv_capacity_tokens",
  "analytic_throughput_per_gpu", "analytic_tokens_per_sec_per_user", "calibration",
] as const;

export function workersText(e: Evaluated): string {
  const l = e.candidate.layout;
  return l.mode === "aggregated" ? workerText(l.worker!) : `P ${workerText(l.prefill!)}×${l.ratio!.prefill} + D ${workerText(l.decode!)}×${l.ratio!.decode}`;
}

const sig = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(5)) : "");

export function pointRows(r: SearchResult): Record<(typeof POINT_COLUMNS)[number], string | number | boolean>[] {
  const front = new Set(r.frontier);
  const ordered = [...r.frontier, ...r.evaluated.filter((e) => !front.has(e)).sort((a, b) => b.throughputPerGpu - a.throughputPerGpu)];
  return ordered.map((e, i) => {
    const l = e.candidate.layout;
    return {
      rank: i + 1, on_frontier: front.has(e), chosen: e === r.chosen, id: e.id, engine: l.engine, mode: l.mode, precision: l.precision, workers: workersText(e),
      speculative: l.speculative, token_budget: l.tokenBudget || "default", clients_per_unit: e.candidate.concurrency,
      units: e.deployment.units, gpus_used: e.deployment.gpusUsed, clients_total: e.deployment.concurrency,
      throughput_tokens_per_sec_per_gpu: sig(e.throughputPerGpu), output_tokens_per_sec_per_gpu: sig(e.outputThroughputPerGpu), tokens_per_sec_per_user: sig(e.tokPerUser),
      ttft_mean_sec: sig(e.ttft), ttft_p90_sec: sig(e.ttftP90), ttft_p99_sec: sig(e.ttftP99), tpot_mean_sec: sig(e.tpot), e2e_mean_sec: sig(e.e2e),
      meets_slo: e.meetsSlo, slo_detail: e.slo.map((k) => `${k.slo} ${sig(k.value)} ${k.met ? "met" : "missed"} (target ${k.target})`).join("; "),
      cost_per_million_tokens_usd: sig(e.costPerMillionTokens), cost_per_million_output_tokens_usd: sig(e.costPerMillionOutputTokens), bottleneck: e.bottleneck,
      weights_gb_per_gpu: sig(e.memory.weightsPerGpuGB), kv_capacity_tokens: Math.floor(e.memory.kvCapacityTokens),
      analytic_throughput_per_gpu: sig(e.analytic.throughputPerGpu), analytic_tokens_per_sec_per_user: sig(e.analytic.tokPerUser), calibration: e.calibration,
    };
  });
}

/** The frontier as a text table. */
export function frontierTable(r: SearchResult): string[] {
  const header = ["#", "point", "tok/s/GPU", "tok/s/user", "TTFT p90 s", "TPOT ms", "E2E s", "$/M tok", "GPUs", "bottleneck", "SLO"];
  const rows = r.frontier.map((e, i) => [
    `${i + 1}${e === r.chosen ? "*" : ""}`, e.id, n(e.throughputPerGpu), n(e.tokPerUser), n(e.ttftP90), n(e.tpot * 1e3), n(e.e2e), n(e.costPerMillionTokens),
    String(e.deployment.gpusUsed), e.bottleneck, e.slo.length ? (e.meetsSlo ? "met" : "missed") : "–",
  ]);
  return textTable(header, rows, [0, 1], [1]);
}

export function describeSearch(r: SearchResult): string {
  const out: string[] = [];
  const slo = Object.entries(r.slo).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
  out.push(`${r.model} on ${r.gpus} × ${r.hardware}: ${n(r.isl)} in / ${n(r.osl)} out tokens (means); engines ${r.engines.join(", ")}; precisions ${r.precisions.join(", ")}`);
  out.push(`SLOs: ${slo}${r.confidence !== undefined ? ` (at confidence ${r.confidence})` : ""}; price $${r.usdPerGpuHour}/GPU-hour`);
  out.push(`searched ${r.counts.layouts} layouts: ${r.counts.layoutsPruned} pruned before load, ${r.counts.screened} load points screened analytically, ${r.counts.simulated} simulated; ${r.seconds.total.toFixed(1)} s (screen ${r.seconds.screen.toFixed(1)} s, simulate ${r.seconds.simulate.toFixed(1)} s, ${r.jobs} threads)`);
  out.push(`pruned: ${Object.entries(r.prunedCounts).map(([k, v]) => `${k} ${v}`).join(", ") || "none"}`);
  out.push("");
  if (!r.frontier.length) {
    out.push("no simulated point meets the SLOs. Closest misses:");
    for (const e of [...r.evaluated].sort((a, b) => b.slo.filter((k) => k.met).length - a.slo.filter((k) => k.met).length).slice(0, 5)) {
      out.push(`  ${e.id}: ${e.slo.filter((k) => !k.met).map((k) => `${k.slo} ${n(k.value)} vs ${k.target}`).join("; ")}`);
    }
  } else {
    out.push("frontier (throughput per GPU against tokens/s per user; * = chosen: the most throughput per GPU meeting the SLOs):");
    out.push(...frontierTable(r));
  }
  const c = r.chosen;
  if (c) {
    out.push("");
    out.push(`chosen: ${c.id} — ${c.deployment.units} × ${c.deployment.gpusPerUnit} GPUs (${c.deployment.gpusUsed} of ${r.gpus}), ${c.deployment.concurrency} clients; ${n(c.throughputPerGpu)} tok/s/GPU, ${n(c.tokPerUser)} tok/s/user, $${n(c.costPerMillionTokens)} per million tokens; ${c.bottleneck}-bound decode`);
    for (const k of c.slo) out.push(`  SLO ${k.slo}: ${n(k.value)} vs ${k.target} — ${k.met ? "met" : "missed"}${Number.isFinite(k.shareOfRequests) ? ` (${n(100 * k.shareOfRequests)}% of requests within)` : ""}`);
    out.push("why its neighbours lose:");
    for (const nb of r.neighbours) out.push(`  ${nb.dimension} → ${nb.value} (${nb.source}): ${nb.verdict}`);
  }
  const examples = r.pruned.filter((p) => p.layoutId !== "*").slice(0, 3);
  if (examples.length || r.pruned.some((p) => p.layoutId === "*")) {
    out.push("");
    out.push("pruned, e.g.:");
    for (const p of [...examples, ...r.pruned.filter((q) => q.layoutId === "*")]) out.push(`  [${p.stage}] ${p.layoutId === "*" ? "" : `${p.layoutId}: `}${p.reason}`);
  }
  return out.join("\n");
}

/** The result as JSON-safe data (non-finite numbers → null). */
export function resultJson(r: SearchResult): string {
  return JSON.stringify(r, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2);
}
