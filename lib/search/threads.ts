/**
 * Running a search's tasks over this thread and worker threads (one thread per core by default), or in
 * this thread alone when one job is asked for. Workers load the TypeScript library through tsx (search-worker.js, as
 * lib/reconcile/predict-rows.ts does for `mantile predict`), each with the bounded heap of
 * data/limits.json; results come back in task order whatever thread ran them, so a search does not
 * depend on the number of jobs.
 */
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import { LIMITS } from "../core/limits";
import { InputError } from "../core/validate";
import { requestContext, runTask, type Task, type TaskContext, type TaskResult } from "./tasks";
import type { ModelIR } from "../model/ir";

/** Threads by default: every core the process may use. */
export function defaultJobs(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}

const WORKER_ENTRY = path.join(__dirname, "search-worker.js");
/** Tasks sent to one worker ahead of its results: one running, one waiting, so it never idles on a message. */
const TASKS_PER_WORKER = 2;
/** Young-generation size of a worker's heap (as lib/reconcile/predict-rows.ts: keeps its RSS near twice its live data). */
const WORKER_YOUNG_GENERATION_MB = 16;

type Failure = { failed: string; input: boolean; index: number };

export interface TaskRunner {
  readonly jobs: number;
  /** Run tasks, calling `onResult` as each finishes; resolves with the results in task order. */
  run(tasks: Task[], onResult?: (r: TaskResult) => void): Promise<TaskResult[]>;
  close(): Promise<void>;
}

/** Tasks in this thread, one after another. */
class LocalRunner implements TaskRunner {
  readonly jobs = 1;
  readonly ctx;
  readonly slo;
  constructor(t: TaskContext, ir?: ModelIR) {
    this.ctx = requestContext(t, ir);
    this.slo = t.slo;
  }
  async run(tasks: Task[], onResult?: (r: TaskResult) => void): Promise<TaskResult[]> {
    return tasks.map((task) => {
      const r = runTask(task, this.ctx, this.slo);
      onResult?.(r);
      return r;
    });
  }
  async close(): Promise<void> {}
}

interface Slot {
  worker: Worker;
  busy: number;
}

/**
 * Tasks over this thread and `jobs − 1` worker threads, handed out as each frees up: this thread runs
 * one task at a time and yields between tasks so the workers' results come in (it would otherwise idle
 * while they work, and the workers take a few seconds to start).
 */
class ThreadRunner implements TaskRunner {
  private readonly slots: Slot[] = [];
  private readonly local: LocalRunner;
  constructor(readonly jobs: number, t: TaskContext, ir?: ModelIR) {
    this.local = new LocalRunner(t, ir);
    for (let i = 1; i < jobs; i++) {
      const worker = new Worker(WORKER_ENTRY, {
        workerData: t,
        execArgv: [],
        resourceLimits: { maxOldGenerationSizeMb: LIMITS.simulation.worker_heap_mb.value, maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      });
      this.slots.push({ worker, busy: 0 });
    }
  }

  async run(tasks: Task[], onResult?: (r: TaskResult) => void): Promise<TaskResult[]> {
    const results: TaskResult[] = new Array(tasks.length);
    const order = new Map(tasks.map((t, i) => [t.index, i]));
    let next = 0;
    let done = 0;
    let failure: Error | undefined;
    const take = (r: TaskResult) => {
      results[order.get(r.index)!] = r;
      done++;
      onResult?.(r);
    };
    const feed = (s: Slot) => {
      while (s.busy < TASKS_PER_WORKER && next < tasks.length) {
        s.busy++;
        s.worker.postMessage(tasks[next++]);
      }
    };
    let wake: (() => void) | undefined;
    for (const s of this.slots) {
      s.worker.on("message", (m: TaskResult | Failure | { ready: true }) => {
        if ("ready" in m) return;
        if ("failed" in m) failure = m.input ? new InputError(m.failed) : new Error(`a search worker thread failed on task ${m.index}: ${m.failed}`);
        else {
          s.busy--;
          take(m);
          feed(s);
        }
        wake?.();
      });
      s.worker.on("error", (e) => {
        failure = new Error(`a search worker thread stopped: ${e.message}`);
        wake?.();
      });
      feed(s);
    }
    try {
      while (done < tasks.length && !failure) {
        if (next < tasks.length) take(runTask(tasks[next++], this.local.ctx, this.local.slo));
        // Let the workers' messages in; with nothing left to hand out, wait for them.
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (next < tasks.length || done === tasks.length || failure) setImmediate(resolve);
        });
        wake = undefined;
      }
    } finally {
      this.slots.forEach((s) => s.worker.removeAllListeners("message").removeAllListeners("error"));
    }
    if (failure) throw failure;
    return results;
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/** A runner for `jobs` threads (1: this thread only). */
export function taskRunner(jobs: number, t: TaskContext, ir?: ModelIR): TaskRunner {
  return jobs <= 1 ? new LocalRunner(t, ir) : new ThreadRunner(jobs, t, ir);
}
