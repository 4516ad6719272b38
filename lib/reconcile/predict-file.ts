/**
 * `mantile predict --input F.csv --output O.csv [--resume] [--jobs N]`: every input row gets exactly one
 * output row, in input order — its input values unchanged plus a prediction or an error_message.
 *
 *  - The input is streamed record by record (lib/core/csv.ts csvRecords): big files never load whole. A blank
 *    line is not a row. A row with too few or too many fields, an unclosed quote or an over-long record is that
 *    row's error (naming the line, the count and the fix); the other rows are unaffected. An empty file or a
 *    header that names a column twice is an error for the file (said once, nothing written).
 *  - Crash-safe: rows go, in input order, to the journal O.csv.partial as soon as they and every row before
 *    them are done (one write per batch of finished rows; fsync at least every SYNC_INTERVAL_MS); the finished
 *    file is fsynced and renamed to O.csv atomically. After a kill at any moment, `--resume` keeps every
 *    complete row of the journal (or of a finished O.csv whose rows match the input), drops a torn last line,
 *    and predicts the rest: the result is byte-identical to an uninterrupted run.
 *  - Parallel: with jobs > 1, rows are predicted by worker threads (RowPool, predict-rows.ts); results are
 *    reordered before writing, so the output is identical to jobs = 1.
 */
import * as fs from "fs";
import * as path from "path";
import { csvLine, csvRecords, type CsvRecord } from "../core/csv";
import { LIMITS } from "../core/limits";
import { InputError } from "../core/validate";
import { OUTPUT_EXTRA, type PredictOptions } from "./predict";
import { defaultJobs, errorPrediction, localPredictor, portableOptions, RowPool, rowLine, type RowContext, type RowResult } from "./predict-rows";

export interface PredictProgress {
  /** Rows in the output so far (kept from a previous run + predicted now). */
  done: number;
  /** Rows kept from a previous run (--resume). */
  kept: number;
  errors: number;
  /** Share of the input file's bytes behind the rows written (the total row count is not known while streaming). */
  fraction: number;
  /** Share of the input's bytes behind the kept rows (progress made before this run). */
  keptFraction: number;
  finished: boolean;
}

export interface PredictFileOptions extends PredictOptions {
  resume?: boolean;
  /** Threads predicting rows: 1 = this thread; default: every core available. */
  jobs?: number;
  onProgress?: (p: PredictProgress) => void;
}

export interface PredictFileResult {
  rows: number;
  predicted: number;
  errors: number;
  skipped: number;
  jobs: number;
}

/** The journal a run writes before its atomic rename to the output. */
export const partialPath = (output: string): string => `${output}.partial`;

/** Longest time between fsyncs of the journal: a power loss costs at most this much work (a killed process costs none). */
const SYNC_INTERVAL_MS = 1000;
/** Rows read ahead of the oldest unwritten one: lets workers run past a slow row while memory stays bounded. */
const ROWS_AHEAD = 4096;

const EXTRA = new Set<string>(OUTPUT_EXTRA);

interface InputRow {
  index: number;
  fields: string[];
  /** Input bytes read up to the end of this row (progress). */
  bytes: number;
  /** Why the row cannot be predicted as read (ragged, unclosed quote, too long). */
  problem?: string;
}

export async function predictFile(input: string, output: string, opts: PredictFileOptions = {}): Promise<PredictFileResult> {
  if (!fs.existsSync(input)) throw new InputError(`input CSV not found: ${input}`);
  const { resume, jobs: jobsOpt, onProgress, ...predictOpts } = opts;
  const size = fs.statSync(input).size;
  const records = csvRecords(input, LIMITS.csv.max_record_chars.value);
  try {
    const head = records.next();
    if (head.done) throw new InputError(`input CSV ${input} is empty: it needs a header line naming the columns (model, gpu_model, input_seq_len, output_seq_len, …) and one line per configuration`);
    const columns = headerColumns(head.value, input);
    const outColumns = [...columns, ...OUTPUT_EXTRA.filter((c) => !columns.includes(c))];
    const ctx: RowContext = { columns, outColumns, options: portableOptions(predictOpts) };
    const rows = inputRows(records, columns);
    const journal = openJournal(output, ctx, rows, Boolean(resume));
    const writer = new OrderedWriter(journal.fd, journal.kept, journal.errors, journal.inputBytes);
    const jobs = Math.max(1, Math.floor(jobsOpt ?? defaultJobs()));
    const share = (bytes: number) => (size ? bytes / size : 1);
    const report = (finished: boolean) => onProgress?.({ done: writer.next, kept: journal.kept, errors: writer.errors, fraction: share(writer.bytes), keptFraction: share(journal.inputBytes), finished });
    try {
      if (jobs === 1) predictHere(ctx, rows, writer, report);
      else await predictInWorkers(jobs, ctx, rows, writer, report);
    } finally {
      writer.close();
    }
    fs.renameSync(partialPath(output), output);
    syncDir(path.dirname(path.resolve(output)));
    report(true);
    return { rows: writer.next, predicted: writer.next - journal.kept, errors: writer.errors, skipped: journal.kept, jobs };
  } finally {
    records.return(undefined);
  }
}

/** The header's column names; a problem in it, or a name given twice, is an error for the whole file. */
function headerColumns(rec: CsvRecord, input: string): string[] {
  if (rec.problem) throw new InputError(`${input}, header on line ${rec.line}: ${rec.problem}`);
  const at = new Map<string, number[]>();
  rec.fields.forEach((c, i) => at.set(c, [...(at.get(c) ?? []), i + 1]));
  const dups = [...at].filter(([, cols]) => cols.length > 1);
  if (dups.length) {
    const list = dups.map(([c, cols]) => `"${c}" (columns ${cols.join(", ")})`).join(", ");
    throw new InputError(`${input}: the header names ${list} more than once: every column needs its own name, so rename or remove the repeats`);
  }
  return rec.fields;
}

function* inputRows(records: Iterator<CsvRecord>, columns: string[]): Generator<InputRow> {
  let index = 0;
  for (let r = records.next(); !r.done; r = records.next()) {
    const rec = r.value;
    const n = rec.fields.length;
    const m = columns.length;
    let problem = rec.problem && `line ${rec.line}: ${rec.problem}`;
    if (!problem && n < m) problem = `line ${rec.line} has ${n} field${n === 1 ? "" : "s"} but the header has ${m}: add the missing ${m - n} (an empty value is nothing between two commas); not predicted, as its values may sit under the wrong columns`;
    if (!problem && n > m) problem = `line ${rec.line} has ${n} fields but the header has ${m}: remove the extra ${n - m}, or put quotes around a value that contains a comma ("a, b"); not predicted, as its values may sit under the wrong columns`;
    yield { index: index++, fields: rec.fields.slice(0, m), bytes: rec.bytes, problem };
  }
}

function problemRow(ctx: RowContext, row: InputRow): RowResult {
  return { index: row.index, ...rowLine(ctx, row.fields, errorPrediction(row.problem!)) };
}

function predictHere(ctx: RowContext, rows: Iterator<InputRow>, writer: OrderedWriter, report: (finished: boolean) => void): void {
  const predict = localPredictor(ctx);
  for (let r = rows.next(); !r.done; r = rows.next()) {
    const row = r.value;
    writer.expect(row.index, row.bytes);
    writer.put(row.problem ? problemRow(ctx, row) : predict(row));
    writer.flush();
    report(false);
  }
}

async function predictInWorkers(jobs: number, ctx: RowContext, rows: Iterator<InputRow>, writer: OrderedWriter, report: (finished: boolean) => void): Promise<void> {
  const pool = new RowPool(jobs, ctx);
  try {
    let next = rows.next();
    for (;;) {
      while (!next.done && pool.hasRoom && next.value.index - writer.next < ROWS_AHEAD) {
        const row = next.value;
        writer.expect(row.index, row.bytes);
        if (row.problem) writer.put(problemRow(ctx, row));
        else pool.submit({ index: row.index, fields: row.fields });
        next = rows.next();
      }
      if (writer.flush()) report(false);
      if (pool.inFlight === 0) {
        if (next.done) return;
        continue;
      }
      for (const r of await pool.take()) writer.put(r);
    }
  } finally {
    await pool.close();
  }
}

/**
 * Open the journal: with --resume, keep the complete rows of a previous run's journal (or finished output) that
 * match the input, dropping a torn last line; otherwise start it with the header.
 */
function openJournal(output: string, ctx: RowContext, rows: Iterator<InputRow>, resume: boolean): { fd: number; kept: number; errors: number; inputBytes: number } {
  const partial = partialPath(output);
  const prev = resume ? keptRows(output, ctx, rows) : undefined;
  if (!prev) {
    const fd = fs.openSync(partial, "w");
    writeAll(fd, csvLine(ctx.outColumns));
    return { fd, kept: 0, errors: 0, inputBytes: 0 };
  }
  if (prev.file !== partial) fs.renameSync(prev.file, partial);
  fs.truncateSync(partial, prev.end);
  return { fd: fs.openSync(partial, "a"), kept: prev.kept, errors: prev.errors, inputBytes: prev.inputBytes };
}

/** The rows of a previous run to keep: complete, in order, matching the input's values. */
function keptRows(output: string, ctx: RowContext, rows: Iterator<InputRow>): { file: string; end: number; kept: number; errors: number; inputBytes: number } | undefined {
  const partial = partialPath(output);
  const file = fs.existsSync(partial) ? partial : fs.existsSync(output) ? output : undefined;
  if (!file) return undefined;
  const records = csvRecords(file);
  const head = records.next();
  if (head.done || !head.value.terminated || head.value.problem) {
    records.return(undefined);
    return undefined; // killed before the header was complete: start again
  }
  const same = head.value.fields.length === ctx.outColumns.length && head.value.fields.every((c, i) => c === ctx.outColumns[i]);
  if (!same) {
    records.return(undefined);
    throw new InputError(`--resume: ${file} has different columns than this input would produce; remove it or write elsewhere`);
  }
  const errorAt = ctx.outColumns.indexOf("error_message");
  let end = head.value.bytes;
  let kept = 0;
  let errors = 0;
  let inputBytes = 0;
  for (const rec of { [Symbol.iterator]: () => records }) {
    if (!rec.terminated || rec.problem) break; // the torn last line of an interrupted write: predicted again
    const row = rows.next();
    const matches = !row.done && ctx.columns.every((c, i) => EXTRA.has(c) || rec.fields[i] === row.value.fields[i]);
    if (!matches) throw new InputError(`--resume: ${file} does not match the input rows (row ${kept + 1} differs); remove it or write elsewhere`);
    kept++;
    if (rec.fields[errorAt]) errors++;
    end = rec.bytes;
    inputBytes = row.value.bytes;
  }
  return { file, end, kept, errors, inputBytes };
}

/** Writes finished rows in input order: a row waits until every row before it is written. */
class OrderedWriter {
  private readonly ready = new Map<number, RowResult>();
  private readonly inputBytes = new Map<number, number>();
  private lastSync = Date.now();

  constructor(private readonly fd: number, public next: number, public errors: number, public bytes: number) {}

  /** Note a row handed out, with the input bytes read up to its end. */
  expect(index: number, bytes: number): void {
    this.inputBytes.set(index, bytes);
  }

  put(r: RowResult): void {
    this.ready.set(r.index, r);
  }

  /** Write every row that is next in order; true when something was written. */
  flush(): boolean {
    let text = "";
    for (let r = this.ready.get(this.next); r; r = this.ready.get(this.next)) {
      this.ready.delete(this.next);
      text += r.line;
      if (r.error) this.errors++;
      this.bytes = this.inputBytes.get(this.next) ?? this.bytes;
      this.inputBytes.delete(this.next);
      this.next++;
    }
    if (!text) return false;
    writeAll(this.fd, text);
    if (Date.now() - this.lastSync >= SYNC_INTERVAL_MS) {
      fs.fsyncSync(this.fd);
      this.lastSync = Date.now();
    }
    return true;
  }

  close(): void {
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }
}

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text);
  for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off, buf.length - off);
}

/** Make a rename durable: fsync the directory that holds it (where the platform allows). */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
