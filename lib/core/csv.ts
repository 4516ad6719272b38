/** CSV in and out: csv-parse for reading (quotes, BOM), a small RFC 4180 writer. */
import * as fs from "fs";
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
