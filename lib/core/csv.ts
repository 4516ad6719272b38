/**
 * CSV in and out: csv-parse for reading whole small files (quotes, BOM), a streaming record reader for
 * big or hostile ones (`csvRecords`), and a small RFC 4180 writer.
 */
import * as fs from "fs";
import { StringDecoder } from "string_decoder";
import { parse } from "csv-parse/sync";

export type CsvRow = Record<string, string>;

export function readCsv(file: string): { columns: string[]; rows: CsvRow[] } {
  const text = fs.readFileSync(file, "utf8");
  const records: string[][] = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false });
  if (records.length === 0) return { columns: [], rows: [] };
  const [columns, ...data] = records;
  return { columns, rows: data.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? ""]))) };
}

export function csvCell(v: unknown): string {
  if (v === undefined || v === null) return "";
  const s = typeof v === "number" ? (Number.isFinite(v) ? String(v) : "") : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: unknown[]): string {
  return values.map(csvCell).join(",") + "\n";
}

export function writeCsv(file: string, columns: string[], rows: Record<string, unknown>[]): void {
  fs.writeFileSync(file, csvLine(columns) + rows.map((r) => csvLine(columns.map((c) => r[c]))).join(""));
}

/** One record of a streamed CSV file. */
export interface CsvRecord {
  fields: string[];
  /** Line of the file where the record starts (1-based). */
  line: number;
  /** Why the record could not be read as written (a quote never closed, a record too long); fields are then partial. */
  problem?: string;
  /** Whether a line break ended the record (false: the end of the file did). */
  terminated: boolean;
  /** Bytes of the file read up to the end of this record (the end of its line break). */
  bytes: number;
}

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;
const BOM = 0xfeff;
/** Parser states: at the start of a field, inside an unquoted one, inside quotes, just after a quote inside quotes. */
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_SEEN = 3;

/**
 * An incremental, lenient RFC 4180 parser: feed it text in pieces, it returns whole records with their line.
 * Line ends are LF, CRLF or a lone CR; a leading BOM is dropped; a line that is empty or only blanks is not a
 * record. Quotes inside an unquoted field, and text after a closing quote, are kept as text. A quote that is
 * never closed, or a record longer than `maxChars`, gives a record with a `problem` (memory stays bounded).
 */
export class CsvRecordParser {
  private fields: string[] = [];
  private field = "";
  private state = FIELD_START;
  private line = 1;
  private recordLine = 1;
  private quoteLine = 1;
  private anyQuoted = false;
  private chars = 0;
  private afterCR = false;
  private quotedCR = false;
  private started = false;

  constructor(private readonly maxChars = Infinity) {}

  /** Parse the next piece of text; each record ending in it is passed with the index just past its line break. */
  push(text: string, emit: (r: Omit<CsvRecord, "bytes">, end: number) => void): void {
    let i = 0;
    const n = text.length;
    if (!this.started && n > 0) {
      this.started = true;
      if (text.charCodeAt(0) === BOM) i = 1;
    }
    while (i < n) {
      if (this.afterCR) {
        this.afterCR = false;
        if (text.charCodeAt(i) === LF) {
          i++;
          continue;
        }
      }
      if (this.state === QUOTED) {
        const q = text.indexOf('"', i);
        const end = q < 0 ? n : q;
        this.countQuotedLines(text, i, end);
        this.append(text, i, end);
        if (q < 0) return;
        this.state = QUOTE_SEEN;
        i = q + 1;
        continue;
      }
      if (this.state === QUOTE_SEEN) {
        if (text.charCodeAt(i) === QUOTE) {
          this.append('"', 0, 1);
          this.quotedCR = false;
          this.state = QUOTED;
          i++;
          continue;
        }
        this.state = UNQUOTED; // a closing quote: what follows up to the separator stays in the field
      }
      if (this.state === FIELD_START && text.charCodeAt(i) === QUOTE) {
        this.state = QUOTED;
        this.anyQuoted = true;
        this.quoteLine = this.line;
        this.quotedCR = false;
        i++;
        continue;
      }
      let j = i;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === COMMA || c === LF || c === CR) break;
        j++;
      }
      this.append(text, i, j);
      this.state = UNQUOTED;
      if (j === n) return;
      const c = text.charCodeAt(j);
      this.endField();
      if (c !== COMMA) {
        this.afterCR = c === CR;
        this.endRecord(emit, j + (c === CR && j + 1 < n && text.charCodeAt(j + 1) === LF ? 2 : 1), true);
      }
      i = j + 1;
    }
  }

  /** The end of the text: a record still open is passed (unterminated), with a problem if a quote is open. */
  end(emit: (r: Omit<CsvRecord, "bytes">, end: number) => void): void {
    if (this.state === FIELD_START && this.fields.length === 0 && !this.anyQuoted) return;
    const open = this.state === QUOTED;
    this.endField();
    this.endRecord(emit, -1, false, open ? `a quoted field opened on line ${this.quoteLine} is never closed, so every line after it was read into that field: close the quote (a quote inside a quoted field is written "")` : undefined);
  }

  private append(text: string, from: number, to: number): void {
    if (to <= from) return;
    this.chars += to - from;
    if (this.chars <= this.maxChars) this.field += text.slice(from, to);
  }

  private countQuotedLines(text: string, from: number, to: number): void {
    for (let k = from; k < to; k++) {
      const c = text.charCodeAt(k);
      if (c === LF && !this.quotedCR) this.line++;
      if (c === CR) this.line++;
      this.quotedCR = c === CR;
    }
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = "";
    this.state = FIELD_START;
  }

  private endRecord(emit: (r: Omit<CsvRecord, "bytes">, end: number) => void, end: number, terminated: boolean, problem?: string): void {
    const fields = this.fields;
    const blank = fields.length === 1 && !this.anyQuoted && fields[0].trim() === "";
    if (this.chars > this.maxChars) problem = `the record is longer than ${this.maxChars} characters (data/limits.json csv.max_record_chars): a quote left open, or not a configuration row`;
    if (!blank) emit(problem ? { fields: [], line: this.recordLine, problem, terminated } : { fields, line: this.recordLine, terminated }, end);
    this.fields = [];
    this.anyQuoted = false;
    this.chars = 0;
    this.state = FIELD_START;
    this.line++;
    this.recordLine = this.line;
  }
}

/** Bytes read per chunk when streaming a CSV file. */
const READ_CHUNK_BYTES = 1 << 16;

/**
 * Stream a CSV file record by record (see CsvRecordParser), in bounded memory: one chunk and the records
 * of it at a time. Each record carries the bytes of the file read up to its end (for progress and resume).
 */
export function* csvRecords(file: string, maxChars = Infinity): Generator<CsvRecord> {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(READ_CHUNK_BYTES);
    const decoder = new StringDecoder("utf8");
    const parser = new CsvRecordParser(maxChars);
    let before = 0; // bytes of the text pieces already parsed
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      const text = n > 0 ? decoder.write(buf.subarray(0, n)) : decoder.end();
      const out: CsvRecord[] = [];
      let at = 0;
      let bytes = before;
      const emit = (r: Omit<CsvRecord, "bytes">, end: number) => {
        const stop = end < 0 ? text.length : end;
        bytes += Buffer.byteLength(text.slice(at, stop));
        at = stop;
        out.push({ ...r, bytes });
      };
      parser.push(text, emit);
      if (n === 0) parser.end(emit);
      before += Buffer.byteLength(text);
      for (const r of out) yield r;
      if (n === 0) return;
    }
  } finally {
    fs.closeSync(fd);
  }
}
