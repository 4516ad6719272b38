/**
 * The units of work a search hands to its threads, as plain data in and out: screen an aggregated
 * layout over its load levels, tabulate one pool worker of a disaggregated engine, or simulate a
 * candidate. The same code runs in this thread or in a worker (search-worker.js).
 */
import type { ModelIR } from "../model/ir";
import { getHardware } from "../hardware/registry";
import { loadModel } from "../model/registry";
import { resolveRun } from "../run/resolve";
import { AggregatedScreen } from "./analytic";
import { decodeTable, prefillTable, type DecodeTable, type PrefillTable } from "./analytic-disagg";
import { simulateCandidate, type RawEvaluation } from "./evaluate";
import { fitWorker, type WorkerFit } from "./fit";
import { limitsOf, runRequestOf, speculativeOf, type RequestContext, type WorkloadShape } from "./request";
import type { SearchSettings } from "./settings";
import { loadLevels } from "./space";
import type { Candidate, Layout, PointMetrics, Slo } from "./types";

/** What every thread of a search is given once (plain data). */
export interface TaskContext {
  model: string;
  hardware: string;
  shape: WorkloadShape;
  settings: SearchSettings;
  calibration: "auto" | "none";
  useKernelTables: boolean;
  seed: number;
  slo: Slo;
}

export type Task =
  | { kind: "aggregated"; index: number; layout: Layout }
  | { kind: "pool"; index: number; role: "prefill" | "decode"; layout: Layout }
  | { kind: "simulate"; index: number; candidate: Candidate };

export type TaskResult =
  | { kind: "aggregated"; index: number; fit: WorkerFit; points: { concurrency: number; analytic: PointMetrics }[] }
  | { kind: "pool"; index: number; fit: WorkerFit; prefill?: PrefillTable; decode?: DecodeTable }
  | { kind: "simulate"; index: number; raw?: RawEvaluation; error?: string };

/** A thread's view of the search: the context with the model and hardware loaded once. */
export function requestContext(t: TaskContext, ir?: ModelIR): RequestContext {
  return {
    model: t.model, hardware: t.hardware, ir: ir ?? loadModel(t.model), hw: getHardware(t.hardware), shape: t.shape, settings: t.settings,
    calibration: t.calibration, useKernelTables: t.useKernelTables, seed: t.seed,
  };
}

function screenAggregated(layout: Layout, x: RequestContext): TaskResult {
  const run = resolveRun(runRequestOf({ layout, concurrency: 1 }, x));
  const fit = fitWorker(run, run.aggregated!, "decode", layout.worker!, x.shape);
  if (!fit.ok) return { kind: "aggregated", index: -1, fit, points: [] };
  const screen = new AggregatedScreen(run, x.shape, x.settings.gridStepsPerOctave);
  const spec = speculativeOf(layout.speculative);
  const points = loadLevels(x.settings.concurrencies, fit.clients).map((concurrency) => {
    const budget = limitsOf(layout.worker!, concurrency, layout.tokenBudget, spec).max_num_batched_tokens ?? run.aggregated!.engine.max_num_batched_tokens.value;
    return { concurrency, analytic: screen.at(concurrency, budget) };
  });
  return { kind: "aggregated", index: -1, fit, points };
}

function tabulatePool(layout: Layout, role: "prefill" | "decode", x: RequestContext): TaskResult {
  const run = resolveRun(runRequestOf({ layout, concurrency: 1 }, x));
  const fit = fitWorker(run, run.aggregated!, role, layout.worker!, x.shape);
  if (!fit.ok) return { kind: "pool", index: -1, fit };
  if (role === "prefill") return { kind: "pool", index: -1, fit, prefill: prefillTable(run, x.shape) };
  return { kind: "pool", index: -1, fit, decode: decodeTable(run, x.shape, fit.clients, x.settings.decodeTableStepsPerOctave) };
}

/** Run one task (never throws for a simulation: its error becomes the result). */
export function runTask(task: Task, x: RequestContext, slo: Slo): TaskResult {
  switch (task.kind) {
    case "aggregated":
      return { ...screenAggregated(task.layout, x), index: task.index };
    case "pool":
      return { ...tabulatePool(task.layout, task.role, x), index: task.index };
    case "simulate":
      try {
        return { kind: "simulate", index: task.index, raw: simulateCandidate(task.candidate, x, slo) };
      } catch (e) {
        return { kind: "simulate", index: task.index, error: (e as Error).message };
      }
  }
}
