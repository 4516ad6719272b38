/**
 * The two kinds of work behind the generalisation reports, as plain-data tasks that run in this thread
 * or in a worker thread (generalise-worker.js): refit a profile without a held-out group, and predict
 * one row with a given calibration. Results are plain data too (NaN travels as null).
 */
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import { CALIBRATION_PARAMETERS, type ParamName, type ParamValues } from "../calibration/parameters";
import type { CalibrationFile } from "../calibration/profile";
import { LIMITS } from "../core/limits";
import { parseOrThrow } from "../core/validate";
import type { IntervalMetric } from "../uncertainty/widths";
import { startValues } from "./calibrate";
import { fit } from "./fit";
import { trainingRows, type SplitBy } from "./generalise";
import { predictConfig } from "./predict";
import { ConfigRow } from "./standard";

export interface RefitTask {
  kind: "refit";
  profile: CalibrationFile;
  by: SplitBy;
  group: string;
  maxEvals: number;
  /** Training configurations at most (subsampled evenly). */
  limit: number;
}

export interface PredictTask {
  kind: "predict";
  raw: Record<string, string>;
  calibration: { name: string; values: ParamValues; description: string } | null;
}

export type Task = RefitTask | PredictTask;
export type Metrics = Record<IntervalMetric, number | null>;
export type TaskResult = { kind: "refit"; profile: CalibrationFile } | { kind: "predict"; metrics: Metrics | null; error?: string };

/** Every k-th item so that at most `limit` remain, spread over the whole list. */
export function subsample<T>(items: T[], limit: number): T[] {
  if (items.length <= limit) return items;
  const step = items.length / limit;
  return Array.from({ length: limit }, (_, i) => items[Math.floor(i * step)]);
}

/** The profile refitted on its training rows without the group: same parameters, fitted from the defaults. */
export function refitProfile(t: RefitTask): CalibrationFile {
  const trained = trainingRows(t.profile);
  const rows = subsample(trained.rows.filter((_, i) => trained.labels[i].groups[t.by] !== t.group), t.limit);
  const params = Object.keys(t.profile.parameters) as ParamName[];
  const r = fit(rows, { params, start: startValues(params, t.profile.engine), maxEvals: t.maxEvals });
  const parameters = Object.fromEntries(params.map((p) => {
    const b = CALIBRATION_PARAMETERS[p];
    return [p, { value: Number(r.values[p].toFixed(4)), unit: b.unit, min: b.min, max: b.max, sd: null }];
  })) as CalibrationFile["parameters"];
  return {
    ...t.profile,
    parameters,
    data: { ...t.profile.data, configurations: rows.length, filter: `${t.profile.data.filter}; without ${t.by} ${t.group}` },
    in_sample_mape: { loss: Number(r.loss.toFixed(5)) },
    cross_validation: {},
    notes: `refitted without ${t.by} ${t.group} for the generalisation reports: ${r.evals} loss evaluations from the defaults on ${rows.length} configurations`,
  };
}

/** One row's predicted metrics with the given calibration (none: library defaults). */
export function predictTask(t: PredictTask): TaskResult {
  try {
    const cal = t.calibration;
    const row = parseOrThrow(ConfigRow, t.raw, "row");
    const p = predictConfig(row, { calibration: cal ? { name: cal.name, values: cal.values, describe: () => cal.description } : "none" });
    const fin = (x: number) => (Number.isFinite(x) ? x : null);
    return { kind: "predict", metrics: { throughput: fin(p.throughputPerGpu), output_throughput: fin(p.outputThroughputPerGpu), ttft: fin(p.ttft), tpot: fin(p.tpot), e2e: fin(p.e2e) } };
  } catch (e) {
    return { kind: "predict", metrics: null, error: (e as Error).message };
  }
}

export function runTask(t: Task): TaskResult {
  return t.kind === "refit" ? { kind: "refit", profile: refitProfile(t) } : predictTask(t);
}

const WORKER_ENTRY = path.join(__dirname, "generalise-worker.js");
/** Young-generation size of a worker's heap, as predict-rows.ts sets it (keeps a worker's RSS near twice its live data). */
const WORKER_YOUNG_GENERATION_MB = 16;

/**
 * Tasks spread over N worker threads (N = 1: this thread), results returned in task order. Each
 * result is handed to `onResult` as it arrives (for caching), so an interrupted run keeps its work.
 * A worker that dies on a prediction (e.g. out of its heap, data/limits.json simulation.worker_heap_mb) is
 * replaced and the row retried in this thread; a refit that kills its worker stops the run.
 */
export async function runTasks(tasks: Task[], jobs: number, onResult: (i: number, r: TaskResult) => void): Promise<TaskResult[]> {
  const out: TaskResult[] = new Array(tasks.length);
  if (jobs <= 1 || tasks.length <= 1) {
    tasks.forEach((t, i) => onResult(i, (out[i] = runTask(t))));
    return out;
  }
  let next = 0;
  const lane = () =>
    new Promise<void>((resolve, reject) => {
      let current = -1;
      const spawn = () => {
        const w = new Worker(WORKER_ENTRY, { execArgv: [], resourceLimits: { maxOldGenerationSizeMb: LIMITS.simulation.worker_heap_mb.value, maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
        let ready = false;
        const send = () => {
          if (next >= tasks.length) return void w.terminate().then(() => resolve());
          current = next++;
          w.postMessage(tasks[current]);
        };
        w.on("message", (m: TaskResult | { ready: true }) => {
          if ("ready" in m) {
            ready = true;
            return send();
          }
          onResult(current, (out[current] = m));
          current = -1;
          send();
        });
        w.on("error", (e: Error) => {
          if (!ready || current < 0 || tasks[current].kind === "refit") return reject(new Error(`a generalisation worker failed${current >= 0 ? ` on task ${current}` : ""}: ${e.message}`));
          // Retried once in this thread, whose heap is not capped like a worker's (a row that needs more is still an error).
          const retry = predictTask(tasks[current] as PredictTask);
          onResult(current, (out[current] = retry.kind === "predict" && retry.metrics ? retry : { kind: "predict", metrics: null, error: `the worker predicting this row stopped (${e.message}), and so did the retry in the main thread: ${retry.kind === "predict" ? retry.error : ""}` }));
          current = -1;
          void w.terminate();
          spawn();
        });
      };
      spawn();
    });
  const n = Math.min(jobs, tasks.length, typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length);
  await Promise.all(Array.from({ length: n }, lane));
  return out;
}
