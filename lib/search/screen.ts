/**
 * Screening, the search's first pass, decided in this thread from the tasks' results: what does not
 * fit (plan, memory, KV), the analytic point of every layout at every load level, the disaggregated
 * units built from the tabulated pools, and what the analytic numbers already rule out against the
 * SLOs. Every decision keeps its reason.
 */
import { formatNumber } from "../core/explain";
import type { DecodeTable, PrefillTable } from "./analytic-disagg";
import { unitSteadyState } from "./analytic-disagg";
import type { WorkloadShape } from "./request";
import type { SearchSettings } from "./settings";
import { layoutId, loadLevels, ratios, workerGpus, workerText, type PoolSpace } from "./space";
import type { Task, TaskResult } from "./tasks";
import type { Layout, Pruned, PruneStage, Screened, Slo } from "./types";

export function aggregatedTasks(layouts: Layout[], first: number): Task[] {
  return layouts.map((layout, i) => ({ kind: "aggregated", index: first + i, layout }));
}

/** Screened points and layout-level prunes of the aggregated layouts. */
export function collectAggregated(layouts: Layout[], results: TaskResult[]): { screened: Screened[]; pruned: Pruned[] } {
  const screened: Screened[] = [];
  const pruned: Pruned[] = [];
  results.forEach((r, i) => {
    if (r.kind !== "aggregated") return;
    const layout = layouts[i];
    if (!r.fit.ok) pruned.push({ layoutId: layout.id, stage: r.fit.stage!, reason: r.fit.reason });
    for (const p of r.points) screened.push({ candidate: { layout, concurrency: p.concurrency }, analytic: p.analytic });
  });
  return { screened, pruned };
}

/** One pool worker to tabulate: which space and entry it belongs to. */
export interface PoolEntry {
  space: number;
  role: "prefill" | "decode";
  entry: number;
}

/** The worker of a pool as a one-replica layout of its engine (how it is resolved and tabulated). */
function poolWorkerLayout(s: PoolSpace, e: PoolEntry): Layout {
  const isPrefill = e.role === "prefill";
  const worker = isPrefill ? s.prefill[e.entry].worker : s.decode[e.entry].worker;
  const l = { engine: s.engine, profile: s.profile, mode: "aggregated" as const, precision: s.precision, worker, speculative: isPrefill ? false : s.decode[e.entry].speculative, tokenBudget: isPrefill ? s.prefill[e.entry].tokenBudget : 0 };
  return { ...l, id: `${e.role} ${layoutId(l)}` };
}

export function poolTasks(spaces: PoolSpace[], first: number): { tasks: Task[]; entries: PoolEntry[] } {
  const entries: PoolEntry[] = [];
  spaces.forEach((s, space) => {
    s.prefill.forEach((_, entry) => entries.push({ space, role: "prefill", entry }));
    s.decode.forEach((_, entry) => entries.push({ space, role: "decode", entry }));
  });
  const tasks: Task[] = entries.map((e, i) => ({ kind: "pool", index: first + i, role: e.role, layout: poolWorkerLayout(spaces[e.space], e) }));
  return { tasks, entries };
}

interface Tabled<T> {
  entry: number;
  name: string;
  table: T;
}

/** Prefill workers no other beats on requests/s per GPU and on one prompt's time (the rest cannot make a better unit). */
function bestPrefill(all: Tabled<PrefillTable>[], pruned: Pruned[]): Tabled<PrefillTable>[] {
  const perGpu = (p: PrefillTable) => p.mu / p.gpus;
  return all.filter((b) => {
    const a = all.find((o) => o !== b && perGpu(o.table) >= perGpu(b.table) && o.table.single <= b.table.single && (perGpu(o.table) > perGpu(b.table) || o.table.single < b.table.single));
    if (a) {
      pruned.push({
        layoutId: b.name, stage: "dominated",
        reason: `prefill worker ${b.name}: ${formatNumber(perGpu(b.table))} requests/s per GPU and ${formatNumber(b.table.single * 1e3)} ms per prompt, no better than ${a.name} (${formatNumber(perGpu(a.table))}, ${formatNumber(a.table.single * 1e3)} ms)`,
      });
    }
    return !a;
  });
}

/** Disaggregated units from the tabulated pools: every kept prefill worker × decode worker × ratio × load. */
export function combineDisaggregated(
  spaces: PoolSpace[], entries: PoolEntry[], results: TaskResult[], shape: WorkloadShape, s: SearchSettings, gpus: number,
): { screened: Screened[]; pruned: Pruned[]; layouts: number } {
  const screened: Screened[] = [];
  const pruned: Pruned[] = [];
  let layouts = 0;
  spaces.forEach((space, si) => {
    const prefill: Tabled<PrefillTable>[] = [];
    const decode: Tabled<DecodeTable>[] = [];
    entries.forEach((e, i) => {
      const r = results[i];
      if (e.space !== si || r.kind !== "pool") return;
      const name = `${space.engine} ${space.precision} ${e.role} ${workerText(e.role === "prefill" ? space.prefill[e.entry].worker : space.decode[e.entry].worker)}`;
      if (!r.fit.ok) pruned.push({ layoutId: name, stage: r.fit.stage!, reason: r.fit.reason });
      else if (r.prefill) prefill.push({ entry: e.entry, name: `${name} tok${space.prefill[e.entry].tokenBudget || "def"}`, table: r.prefill });
      else if (r.decode) decode.push({ entry: e.entry, name: `${name}${space.decode[e.entry].speculative ? " mtp" : ""}`, table: r.decode });
    });
    for (const p of bestPrefill(prefill, pruned)) {
      const pe = space.prefill[p.entry];
      for (const d of decode) {
        const de = space.decode[d.entry];
        for (const ratio of ratios(s.maxUnitWorkers, workerGpus(pe.worker), workerGpus(de.worker), gpus)) {
          const l = { engine: space.engine, profile: space.profile, mode: "disaggregated" as const, precision: space.precision, speculative: de.speculative, tokenBudget: pe.tokenBudget, prefill: pe.worker, decode: de.worker, ratio };
          const layout: Layout = { ...l, id: layoutId(l) };
          layouts++;
          for (const c of loadLevels(s.concurrencies, d.table.clients)) {
            const clients = c * ratio.decode;
            screened.push({ candidate: { layout, concurrency: clients }, analytic: unitSteadyState(p.table, d.table, ratio, clients, shape, s) });
          }
        }
      }
    }
  });
  return { screened, pruned, layouts };
}

/** Why an analytic point already misses an SLO (with the slack the analytic error allows), or "" if it may meet them. */
export function analyticMiss(p: Screened, slo: Slo, s: SearchSettings): string {
  const a = p.analytic;
  const ms = (x: number) => `${formatNumber(x * 1e3)} ms`;
  if (slo.tpot !== undefined && a.tpot > slo.tpot * s.latencyScreenSlack) return `analytic TPOT ${ms(a.tpot)} > ${ms(slo.tpot)} × ${s.latencyScreenSlack}`;
  if (slo.tokensPerUser !== undefined && a.tokPerUser * s.latencyScreenSlack < slo.tokensPerUser) return `analytic ${formatNumber(a.tokPerUser)} tok/s per user < ${slo.tokensPerUser} / ${s.latencyScreenSlack}`;
  if (slo.e2e !== undefined && a.e2e > slo.e2e * s.latencyScreenSlack) return `analytic E2E ${formatNumber(a.e2e)} s > ${slo.e2e} s × ${s.latencyScreenSlack}`;
  const ttft = Math.min(slo.ttftP90 ?? Infinity, slo.ttftP99 ?? Infinity);
  if (a.ttft > ttft * s.ttftScreenSlack) return `analytic mean TTFT ${ms(a.ttft)} > ${ms(ttft)} × ${s.ttftScreenSlack} (the mean-value TTFT leaves out queueing: the simulated percentile is higher still)`;
  return "";
}

/** Split screened points into those that may meet the SLOs and a count of those that cannot (with the first reason of each kind). */
export function sloScreen(points: Screened[], slo: Slo, s: SearchSettings): { kept: Screened[]; missed: number; example?: Pruned } {
  const kept: Screened[] = [];
  let missed = 0;
  let example: Pruned | undefined;
  for (const p of points) {
    const why = analyticMiss(p, slo, s);
    if (!why) kept.push(p);
    else {
      missed++;
      example ??= { layoutId: p.candidate.layout.id, concurrency: p.candidate.concurrency, stage: "slo", reason: why };
    }
  }
  return { kept, missed, example };
}

export function countStages(pruned: Pruned[]): Partial<Record<PruneStage, number>> {
  const out: Partial<Record<PruneStage, number>> = {};
  for (const p of pruned) out[p.stage] = (out[p.stage] ?? 0) + (p.count ?? 1);
  return out;
}
