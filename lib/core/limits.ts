/**
 * Input bounds the simulator can honour (data/limits.json), each with its reason: column ranges for
 * standard-CSV rows, and the simulation / CSV budgets that stop runaway work before it is allocated.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { DATA_DIR } from "./paths";

const Budget = z.object({ value: z.number().positive(), unit: z.string().min(1), reason: z.string().min(1) }).strict();
const Range = z.object({ min: z.number(), max: z.number(), unit: z.string().min(1), reason: z.string().min(1) }).strict()
  .refine((r) => r.min <= r.max, { message: "min must be ≤ max" });
const LimitsFile = z.object({
  _about: z.string(),
  simulation: z.object({ max_requests: Budget, max_events: Budget, worker_heap_mb: Budget }).strict(),
  csv: z.object({ max_record_chars: Budget }).strict(),
  columns: z.record(z.union([Range, z.object({ same_as: z.string() }).strict()])),
}).strict();

export type ColumnRange = z.infer<typeof Range>;
export type Budget = z.infer<typeof Budget>;

export const LIMITS_FILE = path.join(DATA_DIR, "limits.json");

function load(): { simulation: z.infer<typeof LimitsFile>["simulation"]; csv: z.infer<typeof LimitsFile>["csv"]; columns: Record<string, ColumnRange> } {
  const r = LimitsFile.safeParse(JSON.parse(fs.readFileSync(LIMITS_FILE, "utf8")));
  if (!r.success) throw new Error(`${LIMITS_FILE}: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const columns: Record<string, ColumnRange> = {};
  const own = (x: unknown): x is ColumnRange => typeof x === "object" && x !== null && !("same_as" in x);
  for (const [name, c] of Object.entries(r.data.columns)) {
    const target: unknown = own(c) ? c : r.data.columns[(c as { same_as: string }).same_as];
    if (!own(target)) throw new Error(`${LIMITS_FILE}: columns.${name}.same_as must name a column with its own range`);
    columns[name] = target;
  }
  return { simulation: r.data.simulation, csv: r.data.csv, columns };
}

export const LIMITS = load();

/** "1,048,576": limits read better with separators. */
export function formatLimit(x: number): string {
  return x.toLocaleString("en-US", { maximumFractionDigits: 6 });
}

/** The range of a standard-CSV column, if it has one. */
export function columnRange(column: string): ColumnRange | undefined {
  return Object.prototype.hasOwnProperty.call(LIMITS.columns, column) ? LIMITS.columns[column] : undefined;
}

/** Why a value is outside its column's range (naming the limit and its reason), or undefined when it is within. */
export function outOfRange(column: string, value: number, whole: boolean): string | undefined {
  const r = columnRange(column);
  if (!r || (value >= r.min && value <= r.max)) return undefined;
  return `${column} must be ${whole ? "a whole number" : "a number"} from ${formatLimit(r.min)} to ${formatLimit(r.max)} ${r.unit} (data/limits.json: ${r.reason})`;
}
