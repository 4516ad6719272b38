/**
 * What every importer shares: the standard CSV columns it writes, the user's overrides (flags for what
 * a file does not say), recorded mapping assumptions, and errors that name the file, the field and the fix.
 */
import * as fs from "fs";
import * as path from "path";
import { InputError } from "../../core/validate";
import { ACTUAL_COLUMNS, INPUT_COLUMNS, LOAD_COLUMNS } from "../standard";

export const FORMATS = ["standard", "inferencemax", "vllm-bench", "trtllm-bench", "genai-perf"] as const;
export type Format = (typeof FORMATS)[number];

/** Load and layout columns (lib/reconcile/standard.ts LOAD_COLUMNS, engine_version among them). */
export { LOAD_COLUMNS } from "../standard";

/** Where a row came from. */
export const ORIGIN_COLUMNS = ["source_file"] as const;

/** Column order of the standard CSV the importers write (row_id first, so rows can be named). */
export const IMPORT_COLUMNS: string[] = ["row_id", ...INPUT_COLUMNS, ...LOAD_COLUMNS, ...ACTUAL_COLUMNS, ...ORIGIN_COLUMNS];

/** What the user says on the command line about runs whose files do not say it. */
export interface ImportOverrides {
  model?: string;
  gpu?: string;
  framework?: string;
  precision?: string;
  tp?: number;
  pp?: number;
  ep?: number;
  concurrency?: number;
  /** Open-loop request rate (requests/s) or "inf". */
  requestRate?: string;
  engineVersion?: string;
}

/** One mapping choice, with the files (or rows) it applies to. */
export interface ImportAssumption {
  what: string;
  value: string;
  why: string;
  applies: string[];
}

export interface ImportResult {
  format: Format;
  /** The files read, in order. */
  sources: string[];
  columns: string[];
  rows: Record<string, string>[];
  assumptions: ImportAssumption[];
}

/** Collects assumptions, merging identical ones across files. */
export class Assumptions {
  private readonly byKey = new Map<string, ImportAssumption>();
  add(applies: string, what: string, value: string, why: string): void {
    const key = `${what}\u0000${value}\u0000${why}`;
    const a = this.byKey.get(key);
    if (a) {
      if (!a.applies.includes(applies)) a.applies.push(applies);
    } else this.byKey.set(key, { what, value, why, applies: [applies] });
  }
  list(): ImportAssumption[] {
    return [...this.byKey.values()];
  }
}

/** An error about one file: what is wrong with which field, and how to fix it. */
export function fileError(file: string, field: string, problem: string, fix: string): InputError {
  return new InputError(`${file}: field "${field}" ${problem}; fix: ${fix}`);
}

/** Parse a JSON file, or an InputError naming it. JSON Lines (one object per line) give several documents. */
export function readJsonDocuments(file: string): unknown[] {
  const text = fs.readFileSync(file, "utf8");
  try {
    return [JSON.parse(text)];
  } catch (whole) {
    const lines = text.split("\n").filter((l) => l.trim());
    if (lines.length > 1) {
      try {
        return lines.map((l) => JSON.parse(l) as unknown);
      } catch {
        /* report the whole-file error below */
      }
    }
    throw new InputError(`${file}: not valid JSON (${(whole as Error).message}); fix: give the file the tool wrote, unedited`);
  }
}

export const isObject = (x: unknown): x is Record<string, unknown> => !!x && typeof x === "object" && !Array.isArray(x);

/** The value at a dotted path of a JSON object ("a.b.0": index 0 of the array a.b), or undefined. */
export function at(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj;
  for (const k of dotted.split(".")) {
    if (Array.isArray(cur) && /^\d+$/.test(k)) cur = cur[Number(k)];
    else if (isObject(cur)) cur = cur[k];
    else return undefined;
  }
  return cur;
}

/** A number at `dotted` (undefined when absent or null); a present non-number is an error naming the field. */
export function optNumber(obj: unknown, dotted: string, file: string): number | undefined {
  const v = at(obj, dotted);
  if (v === undefined || v === null) return undefined;
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n)) throw fileError(file, dotted, `is ${JSON.stringify(v)}, not a number`, "give the file the tool wrote, unedited");
  return n;
}

/** A number that must be present. */
export function needNumber(obj: unknown, dotted: string, file: string, fix: string): number {
  const n = optNumber(obj, dotted, file);
  if (n === undefined) throw fileError(file, dotted, "is missing", fix);
  return n;
}

/** The first of `keys` present (not null, not "") in `obj`, as text. */
export function firstText(obj: unknown, keys: string[]): { key: string; value: string } | undefined {
  for (const k of keys) {
    const v = at(obj, k);
    if (v !== undefined && v !== null && String(v).trim() !== "") return { key: k, value: String(v).trim() };
  }
  return undefined;
}

/** Text of a number for the CSV ("" for undefined). */
export const cell = (v: number | string | undefined | null): string => (v === undefined || v === null ? "" : String(v));

/** Milliseconds → seconds (undefined stays undefined). */
export const msToSec = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1e3);

/** Subfolders searched below a folder given as --input (tools write one folder per run, e.g. genai-perf's artifacts/<run>/). */
export const MAX_FOLDER_DEPTH = 3;

/** The files of a path: itself, or the files of a folder (recursively, sorted) that `keep` accepts. */
export function inputFiles(input: string, keep: (file: string) => boolean): string[] {
  if (!fs.existsSync(input)) throw new InputError(`--input: not found: ${input}`);
  if (fs.statSync(input).isFile()) return [input];
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth < MAX_FOLDER_DEPTH) walk(p, depth + 1);
      else if (e.isFile() && keep(p)) out.push(p);
    }
  };
  walk(input, 0);
  return out;
}

/** Number rounded to a whole token count (lengths reported as means). */
export const tokens = (x: number): number => Math.max(1, Math.round(x));

/** A blank standard row with its identity filled in. */
export function blankRow(sourceFile: string): Record<string, string> {
  const r: Record<string, string> = Object.fromEntries(IMPORT_COLUMNS.map((c) => [c, ""]));
  r.source_file = sourceFile;
  return r;
}

/** Number rows 1..n in `row_id`. */
export function numberRows(rows: Record<string, string>[]): Record<string, string>[] {
  rows.forEach((r, i) => (r.row_id = String(i + 1)));
  return rows;
}

/**
 * A value the user gave as a flag, or the file's own, or nothing — recording where it came from.
 * A flag that contradicts the file wins and the conflict is recorded.
 */
export function choose(
  a: Assumptions, file: string, what: string, flag: { name: string; value: string | number | undefined },
  fromFile: { key: string; value: string } | undefined,
): string | undefined {
  if (flag.value !== undefined && String(flag.value) !== "") {
    const conflict = fromFile && fromFile.value !== String(flag.value) ? ` (the file says ${fromFile.key} = ${fromFile.value})` : "";
    a.add(file, what, String(flag.value), `from --${flag.name}${conflict}`);
    return String(flag.value);
  }
  if (fromFile) {
    a.add(file, what, fromFile.value, `from the file's "${fromFile.key}" field`);
    return fromFile.value;
  }
  return undefined;
}
