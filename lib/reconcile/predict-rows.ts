/**
 * One output line per input row, computed the same way in this thread or in a worker thread, and the pool of
 * worker threads that `mantile predict --jobs N` spreads rows over (results come back with their row index;
 * the caller writes them in input order).
 */
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import { csvLine } from "../core/csv";
import { LIMITS } from "../core/limits";
import type { ParamValues } from "../calibration/parameters";
import { OUTPUT_EXTRA, predictCsvRow, type PredictOptions } from "./predict";

/** Prediction options that can cross to a worker thread (a calibration travels as its name, values and description). */
export interface PortableOptions extends Omit<PredictOptions, "calibration"> {
  calibration?: "auto" | "none" | { name: string; values: ParamValues; description: string };
}

export interface RowContext {
  /** Columns of the input, in order (unique). */
  columns: string[];
  /** Columns of the output: the input's, then the predicted ones it lacks. */
  outColumns: string[];
  options: PortableOptions;
}

export interface RowTask {
  index: number;
  /** The row's values under `columns` (missing ones empty). */
  fields: string[];
}

export interface RowResult {
  index: number;
  line: string;
  error: boolean;
}

export function portableOptions(o: PredictOptions): PortableOptions {
  const c = o.calibration;
  let calibration: PortableOptions["calibration"];
  if (c === "auto" || c === "none") calibration = c;
  else if (c !== undefined) calibration = { name: c.name, values: { ...c.values }, description: c.describe() };
  return { ...o, calibration };
}

function predictOptions(o: PortableOptions): PredictOptions {
  const c = o.calibration;
  if (c === undefined || typeof c === "string") return { ...o, calibration: c as "auto" | "none" | undefined };
  return { ...o, calibration: { name: c.name, values: c.values, describe: () => c.description } };
}

const EXTRA = new Set<string>(OUTPUT_EXTRA);
const NON_FINITE = /^[+-]?(nan|infinity)$/i;

/** A row as predictCsvRow takes it: column → value. */
export function rawRow(columns: string[], fields: string[]): Record<string, string> {
  return Object.fromEntries(columns.map((c, i) => [c, fields[i] ?? ""]));
}

/**
 * The CSV line of one row: input values unchanged, then the predicted ones. A predicted value that is not a
 * finite number (NaN, Infinity) is never written: its cell stays empty and error_message says which and why.
 */
export function rowLine(ctx: RowContext, fields: string[], pred: Record<string, string>): { line: string; error: boolean } {
  const bad = OUTPUT_EXTRA.filter((c) => c !== "error_message" && NON_FINITE.test((pred[c] ?? "").trim()));
  if (bad.length) {
    const what = bad.map((c) => `${c} (${pred[c]})`).join(", ");
    const msg = `no finite value for ${what}: the simulation left it undefined, so the cell is empty (e.g. TPOT when every request has one output token)`;
    pred = { ...pred, ...Object.fromEntries(bad.map((c) => [c, ""])), error_message: pred.error_message ? `${pred.error_message}; ${msg}` : msg };
  }
  const cells = ctx.outColumns.map((c, i) => (EXTRA.has(c) ? pred[c] ?? "" : fields[i] ?? ""));
  return { line: csvLine(cells), error: Boolean(pred.error_message) };
}

/** The output of a row that is not predicted (it could not be read): empty predictions and the reason. */
export function errorPrediction(message: string): Record<string, string> {
  return { ...Object.fromEntries(OUTPUT_EXTRA.map((c) => [c, ""])), error_message: message };
}

/** Predict one row in this thread (never throws: errors become the row's error_message). */
export function predictRow(ctx: RowContext, task: RowTask, options = predictOptions(ctx.options)): RowResult {
  return { index: task.index, ...rowLine(ctx, task.fields, predictCsvRow(rawRow(ctx.columns, task.fields), options)) };
}

/** A predictor of rows in this thread, with the options resolved once. */
export function localPredictor(ctx: RowContext): (task: RowTask) => RowResult {
  const options = predictOptions(ctx.options);
  return (task) => predictRow(ctx, task, options);
}

/** Worker threads available by default: every core the process may use. */
export function defaultJobs(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}

/** Rows sent to one worker before its first result returns: one running, one waiting, so it never idles on a message. */
const ROWS_PER_WORKER = 2;
const WORKER_ENTRY = path.join(__dirname, "predict-worker.js");
/**
 * Young-generation size of a worker's heap (V8's default is larger). With the old-generation cap of
 * data/limits.json simulation.worker_heap_mb, it keeps a worker's RSS near twice its live data (~60-100 MB:
 * model, kernel tables, memos): 2 workers on 10,000 rows peaked at ~340 MB instead of ~490 MB with V8's defaults.
 */
const WORKER_YOUNG_GENERATION_MB = 16;

interface Slot {
  worker: Worker;
  /** Rows sent to it, oldest (the one running) first. */
  queue: RowTask[];
  /** Whether it loaded the library (a worker that fails before that cannot work, and the run stops). */
  ready: boolean;
}

/**
 * N worker threads predicting rows. Each worker loads the TypeScript library through tsx (predict-worker.js)
 * and has a bounded heap (data/limits.json simulation.worker_heap_mb): a worker that dies while predicting a
 * row turns that row into an error and is replaced; its other rows are sent again.
 */
export class RowPool {
  private readonly slots: Slot[] = [];
  private readonly retry: RowTask[] = [];
  private readonly results: RowResult[] = [];
  private wake: (() => void) | null = null;
  private failure: Error | null = null;

  constructor(private readonly size: number, private readonly ctx: RowContext) {}

  /** Rows sent and not yet returned. */
  get inFlight(): number {
    return this.slots.reduce((s, x) => s + x.queue.length, 0) + this.retry.length;
  }

  /** Whether a row can be sent now without queueing it behind more than ROWS_PER_WORKER rows. */
  get hasRoom(): boolean {
    return this.slots.length < this.size || this.slots.some((s) => s.queue.length < ROWS_PER_WORKER);
  }

  submit(task: RowTask): void {
    let best = this.slots.find((s) => s.queue.length === 0);
    if (!best && this.slots.length < this.size) best = this.spawn(); // workers start as rows need them
    if (!best) best = this.slots.reduce((a, b) => (b.queue.length < a.queue.length ? b : a));
    best.queue.push(task);
    best.worker.postMessage(task);
  }

  /** Wait for at least one result, then take every result that has come back. */
  async take(): Promise<RowResult[]> {
    while (this.retry.length && this.hasRoom) this.submit(this.retry.shift()!);
    if (!this.results.length && !this.failure) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure) throw this.failure;
    return this.results.splice(0, this.results.length);
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_ENTRY, {
      workerData: this.ctx,
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: LIMITS.simulation.worker_heap_mb.value, maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    const slot: Slot = { worker, queue: [], ready: false };
    worker.on("message", (r: RowResult | { ready: true }) => {
      if ("ready" in r) {
        slot.ready = true;
        return;
      }
      slot.queue.shift();
      this.results.push(r);
      this.notify();
    });
    worker.on("error", (e: Error) => this.lost(slot, e));
    worker.on("exit", (code) => {
      if (slot.queue.length) this.lost(slot, new Error(`worker thread exited with code ${code}`));
    });
    this.slots.push(slot);
    return slot;
  }

  /** A worker died: the row it was predicting becomes an error, the others go to another worker. */
  private lost(slot: Slot, e: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    void slot.worker.terminate();
    if (!slot.ready) {
      this.failure = new Error(`a worker thread failed to start: ${e.message}`);
      this.notify();
      return;
    }
    const [running, ...waiting] = slot.queue;
    if (running) {
      const heap = LIMITS.simulation.worker_heap_mb;
      const why = /memory/i.test(e.message) ? `it needed more than the worker's ${heap.value} MB heap (data/limits.json simulation.worker_heap_mb)` : e.message;
      this.results.push({ index: running.index, ...rowLine(this.ctx, running.fields, errorPrediction(`internal error: the worker thread predicting this row stopped: ${why}`)) });
    }
    this.retry.push(...waiting);
    this.notify();
  }
}
