import { textTable } from "../core/text-table";
import { displayBundle, type MimeBundle } from "./display";

export type Row = Record<string, unknown>;

/** What `table` needs of a danfojs DataFrame (no import of danfojs here). */
export interface DataFrameLike {
  columns: string[];
  /** Rows of values (danfojs types it as 1-D or 2-D, so a 1-D value is a one-column row). */
  values: unknown[];
  index?: (string | number)[];
}

export interface TableOptions {
  /** Columns to show, in order; default every key seen, in first-seen order. */
  columns?: string[];
  /** Significant digits for non-integers, default 4. */
  digits?: number;
  caption?: string;
  /** Show a DataFrame's index as the first column (default true for DataFrames). */
  index?: boolean;
  /** Cap on rows shown (default 500); a note says how many were left out. */
  maxRows?: number;
}

export function isDataFrameLike(x: unknown): x is DataFrameLike {
  if (!x || typeof x !== "object" || Array.isArray(x)) return false;
  const d = x as { columns?: unknown; values?: unknown };
  return Array.isArray(d.columns) && Array.isArray(d.values);
}

/** Rows of plain objects from an array of objects or a DataFrame. */
export function toRows(input: Row[] | DataFrameLike, opts: TableOptions = {}): { columns: string[]; rows: Row[] } {
  if (isDataFrameLike(input)) {
    const cols = input.columns.map(String);
    const showIndex = opts.index ?? true;
    const idx = input.index ?? input.values.map((_, i) => i);
    const rows = input.values.map((vals, i) => {
      const r: Row = showIndex ? { "": idx[i] } : {};
      cols.forEach((c, j) => (r[c] = Array.isArray(vals) ? vals[j] : vals));
      return r;
    });
    const columns = opts.columns ?? (showIndex ? ["", ...cols] : cols);
    return { columns, rows };
  }
  if (!Array.isArray(input)) throw new Error("table() takes an array of objects or a danfojs DataFrame");
  const seen: string[] = [];
  const set = new Set<string>();
  for (const r of input) {
    for (const k of Object.keys(r ?? {})) {
      if (!set.has(k)) {
        set.add(k);
        seen.push(k);
      }
    }
  }
  return { columns: opts.columns ?? seen, rows: input };
}

/** Text of one cell: numbers to `digits` significant digits, {value, unit} as "value unit". */
export function formatCell(v: unknown, digits = 4): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return Math.abs(v) >= 1e15 ? v.toExponential(digits - 1) : v.toLocaleString("en-US");
    const a = Math.abs(v);
    if (a >= 1e15 || a < 1e-4) return v.toExponential(digits - 1);
    return Number(v.toPrecision(digits)).toLocaleString("en-US", { maximumFractionDigits: 20 });
  }
  if (typeof v === "string") return v;
  if (typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (Array.isArray(v)) return v.map((x) => formatCell(x, digits)).join(", ");
  if (typeof v === "object") {
    const o = v as { value?: unknown; unit?: unknown };
    if (typeof o.value === "number" && typeof o.unit === "string") return `${formatCell(o.value, digits)} ${o.unit}`;
    return JSON.stringify(v);
  }
  return String(v);
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Numbers, {value, unit} objects and number-like strings ("1,979", "8.0?") align right. */
function isNumeric(v: unknown): boolean {
  if (typeof v === "number") return true;
  if (typeof v === "string") return /^[-+]?[\d,]*\.?\d+(e[-+]?\d+)?\??$/i.test(v.trim());
  return typeof v === "object" && v !== null && typeof (v as { value?: unknown }).value === "number";
}

/** The mime bundle of a table: text/html and aligned text/plain. */
export function tableBundle(input: Row[] | DataFrameLike, opts: TableOptions = {}): MimeBundle {
  const { columns, rows } = toRows(input, opts);
  const digits = opts.digits ?? 4;
  const max = opts.maxRows ?? 500;
  const shown = rows.slice(0, max);
  const cells = shown.map((r) => columns.map((c) => formatCell(r[c], digits)));
  const numeric = columns.map((c) => shown.some((r) => isNumeric(r[c])) && shown.every((r) => r[c] == null || r[c] === "" || r[c] === "–" || isNumeric(r[c])));
  const more = rows.length > shown.length ? `${rows.length - shown.length} more row(s) not shown` : "";

  const th = columns.map((c) => `<th style="text-align:${"left"}">${esc(c)}</th>`).join("");
  const body = cells
    .map((cs) => `<tr>${cs.map((v, j) => `<td style="text-align:${numeric[j] ? "right" : "left"}">${esc(v)}</td>`).join("")}</tr>`)
    .join("\n");
  const html =
    `<table class="mantile-table">` +
    (opts.caption ? `<caption style="caption-side:top;text-align:left;font-weight:bold">${esc(opts.caption)}</caption>` : "") +
    `\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody></table>` +
    (more ? `\n<p><em>${esc(more)}</em></p>` : "");

  const left = columns.map((_, j) => j).filter((j) => !numeric[j]);
  const lines = [...(opts.caption ? [opts.caption] : []), ...textTable(columns, cells, left), ...(more ? [more] : [])];
  return { "text/html": html, "text/plain": lines.join("\n") };
}

/** Display a table of an array of objects or a danfojs DataFrame (HTML + plain text). */
export function table(input: Row[] | DataFrameLike, opts: TableOptions = {}): void {
  displayBundle(tableBundle(input, opts));
}

/** Display Markdown text (rendered by Jupyter; text/plain carries the source). */
export function markdown(text: string): void {
  displayBundle({ "text/markdown": text, "text/plain": text });
}

/** Display raw HTML (with a plain-text alternative). */
export function html(markup: string, plain = "[HTML]"): void {
  displayBundle({ "text/html": markup, "text/plain": plain });
}
