/**
 * Property-based: generated CSV files of valid and hostile rows (hostile values, ragged rows, quoting,
 * CRLF / LF, BOM, blank lines, unicode and control characters) through `mantile predict`. For every file:
 * it finishes (exit 0), one output row per input row in order with the input values unchanged, a prediction
 * or an error on each, no NaN / Infinity, ragged rows named by their line, and the same bytes for --jobs 1
 * and --jobs 2. Valid rows are kept cheap to simulate (≤ 4 clients, ≤ 128 / 16 tokens).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as fc from "fast-check";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { csvCell } from "../../lib/core/csv";
import { OUTPUT_EXTRA } from "../../lib/reconcile/predict";
import { predictFile } from "../../lib/reconcile/predict-file";
import { runCli } from "./run-cli";

const COLS = ["model", "gpu_model", "framework", "precision", "input_seq_len", "output_seq_len", "tensor_parallel", "concurrency", "note"];
const NUMERIC = new Set(["input_seq_len", "output_seq_len", "tensor_parallel", "concurrency"]);
const PREDICTED_NUMBERS = OUTPUT_EXTRA.filter((c) => c.startsWith("predicted_") && c !== "predicted_bottleneck");

const hostileText = fc.oneof(
  fc.constantFrom("<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>", 'a "quoted", value', "line\nbreak", "cr\ronly", "crlf\r\nin", "\u0000\u0007\u001b[31m", "\ufeffbom", "\u2028\u2029", " padded ", "", "é中😀", "=cmd|' /C calc'!A0"),
  fc.string({ unit: "binary", maxLength: 12 }),
);
/** Numbers a user might type that are out of range, not whole, or not numbers at all (never a costly valid one). */
const hostileNumber = fc.oneof(
  fc.constantFrom("0", "-1", "1e9", "1.5", "NaN", "Infinity", "-Infinity", "1e400", "", " ", "١٢", "26215", "1048577", "9007199254740993", "1,000", "two"),
  fc.double().map(String),
  hostileText,
);
const validRow = fc.record({
  model: fc.constant("openai/gpt-oss-20b"),
  gpu_model: fc.constantFrom("h100", "H100 SXM", "b200"),
  framework: fc.constantFrom("vllm", "", "sglang"),
  precision: fc.constantFrom("", "bf16"),
  input_seq_len: fc.integer({ min: 16, max: 128 }).map(String),
  output_seq_len: fc.integer({ min: 2, max: 16 }).map(String),
  tensor_parallel: fc.constantFrom("1", "2"),
  concurrency: fc.integer({ min: 1, max: 4 }).map(String),
  note: hostileText,
}).map((r) => COLS.map((c) => r[c as keyof typeof r]));
/** A valid row with one to three fields replaced by hostile values, and sometimes fields dropped or added. */
const hostileRow = fc
  .tuple(validRow, fc.array(fc.tuple(fc.integer({ min: 0, max: COLS.length - 2 }), fc.boolean()), { minLength: 1, maxLength: 3 }), fc.array(hostileNumber, { minLength: 3, maxLength: 3 }), fc.array(hostileText, { minLength: 3, maxLength: 3 }), fc.integer({ min: -3, max: 3 }))
  .map(([fields, edits, numbers, texts, ragged]) => {
    const f = [...fields];
    edits.forEach(([i], k) => (f[i] = NUMERIC.has(COLS[i]) ? numbers[k] : texts[k]));
    // Mostly the header's length; sometimes fewer (at least 2, so the line is never blank) or more.
    if (ragged < 0) f.length = Math.max(2, f.length + ragged);
    if (ragged === 3) f.push("extra", ...texts.slice(0, 1));
    return f;
  });
const row = fc.oneof({ weight: 1, arbitrary: validRow }, { weight: 9, arbitrary: hostileRow });
const layout = fc.record({ crlf: fc.boolean(), bom: fc.boolean(), quoteAll: fc.boolean(), finalNewline: fc.boolean(), blanks: fc.array(fc.constantFrom("", "  ", "\t"), { maxLength: 3 }) });

type Layout = { crlf: boolean; bom: boolean; quoteAll: boolean; finalNewline: boolean; blanks: string[] };

interface Written {
  text: string;
  /** Line where each row starts. */
  lines: number[];
}

/** Serialise rows as a CSV file, counting lines as the reader does (LF, CRLF or a lone CR end a line). */
function writeCsvText(rows: string[][], l: Layout): Written {
  const eol = l.crlf ? "\r\n" : "\n";
  const cell = (v: string) => (l.quoteAll ? `"${v.replace(/"/g, '""')}"` : csvCell(v));
  const breaks = (s: string) => (s.match(/\r\n|\r|\n/g) ?? []).length;
  const parts = [COLS.join(",")];
  let line = 2;
  const lines: number[] = [];
  rows.forEach((r, i) => {
    const blank = l.blanks[i % Math.max(1, l.blanks.length)];
    if (l.blanks.length && i % 4 === 1) {
      parts.push(blank); // a blank line is not a row
      line++;
    }
    const text = r.map(cell).join(",");
    lines.push(line);
    parts.push(text);
    line += breaks(text) + 1;
  });
  return { text: (l.bom ? "\ufeff" : "") + parts.join(eol) + (l.finalNewline ? eol : ""), lines };
}

/** Check one output against the rows that went in. */
function checkOutput(file: string, rows: string[][], lines: number[]): void {
  const out = parse(fs.readFileSync(file), { columns: true, bom: true, relax_column_count: false }) as Record<string, string>[];
  expect(out).toHaveLength(rows.length);
  out.forEach((o, i) => {
    const r = rows[i];
    if (r.length === COLS.length) COLS.forEach((c, j) => expect(o[c]).toBe(r[j]));
    else expect(o.error_message).toMatch(new RegExp(`^line ${lines[i]} has ${r.length} fields but the header has ${COLS.length}`));
    for (const c of PREDICTED_NUMBERS) expect(o[c] === "" || Number.isFinite(Number(o[c])), `${c} = ${o[c]}`).toBe(true);
    for (const c of OUTPUT_EXTRA.filter((x) => x !== "error_message")) expect(o[c]).not.toMatch(/nan|infinity/i);
    const predicted = PREDICTED_NUMBERS.every((c) => o[c] !== "" && Number(o[c]) >= 0) && Number(o.predicted_throughput_per_gpu) > 0;
    expect(o.error_message !== "" || predicted, `row ${i}: a prediction or an error`).toBe(true);
    expect(o.error_message === "" || !o.predicted_throughput_per_gpu || /no finite value/.test(o.error_message)).toBe(true);
  });
}

describe("predict on generated valid and hostile CSV files", () => {
  it("small files: one output row per input row, in order, a prediction or an error each, never NaN", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-prop-"));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 0, maxLength: 25 }), layout, async (rows, l) => {
        const { text, lines } = writeCsvText(rows, l);
        const input = path.join(dir, `in${n}.csv`);
        const output = path.join(dir, `out${n++}.csv`);
        fs.writeFileSync(input, text);
        const res = await predictFile(input, output, { jobs: 1 });
        expect(res.rows).toBe(rows.length);
        checkOutput(output, rows, lines);
      }),
      { numRuns: 40, seed: 11 },
    );
  });

  it("2,000 generated rows through the CLI: exit 0, the same bytes with --jobs 1 and --jobs 2", async () => {
    const rows = fc.sample(row, { numRuns: 2000, seed: 7 });
    const { text, lines } = writeCsvText(rows, { crlf: true, bom: true, quoteAll: false, finalNewline: true, blanks: ["", " "] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-prop-"));
    const input = path.join(dir, "in.csv");
    fs.writeFileSync(input, text);
    const outs = [1, 2].map((jobs) => path.join(dir, `out-jobs${jobs}.csv`));
    const runs = await Promise.all([1, 2].map((jobs, i) => runCli(["predict", "--input", input, "--output", outs[i], "--jobs", String(jobs)])));
    for (const r of runs) {
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.status).toBe(0);
    }
    checkOutput(outs[0], rows, lines);
    expect(fs.readFileSync(outs[1]).equals(fs.readFileSync(outs[0]))).toBe(true);
  });
});
