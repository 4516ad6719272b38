/**
 * The server settings a benchmark harness's launch scripts gave each engine (data/benchmarks/
 * inferencemax-launch-settings.json, each entry citing its script and commit). A measured row is only
 * comparable with a prediction made for the server as it ran: InferenceMAX served GPT-OSS on B200, MI355X
 * and GB200 with an FP8 KV cache and set its own batch and token limits, none of which its result files
 * record. These are inputs (configuration), never results.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { DATA_DIR } from "../core/paths";
import { parseOrThrow } from "../core/validate";
import { resolveHardware } from "../hardware/registry";
import { canonicalModelId } from "../model/registry";
import { engineFor } from "./convert";
import { INPUT_COLUMNS, LOAD_COLUMNS } from "./standard";

/** The columns an entry's conditions may name: the configuration's own (standard CSV input and load columns). */
const CONDITION_COLUMNS = [...INPUT_COLUMNS, ...LOAD_COLUMNS] as const;

/** The standard-CSV columns a launch entry can fill (none of them is in a benchmark's result files). */
export const LAUNCH_COLUMNS = ["kv_cache_dtype", "max_batch_size", "max_num_tokens", "max_prefill_tokens", "gpu_memory_utilization"] as const;

const Entry = z.object({
  model: z.string(),
  gpu_model: z.string(),
  framework: z.string(),
  settings: z.object(Object.fromEntries(LAUNCH_COLUMNS.map((c) => [c, z.string().optional()])) as Record<(typeof LAUNCH_COLUMNS)[number], z.ZodOptional<z.ZodString>>),
  /** Row columns the script's settings depend on (e.g. tensor_parallel "4"): the entry applies only to rows with these values. */
  when: z
    .record(z.string())
    .refine((w) => Object.keys(w).every((c) => (CONDITION_COLUMNS as readonly string[]).includes(c)), { message: "when names a column that is not a standard-CSV input or load column (lib/reconcile/standard.ts): use e.g. tensor_parallel, input_seq_len" })
    .optional(),
  source: z.string(),
});
export const LaunchSettingsFile = z.object({ what: z.string(), source: z.string(), entries: z.array(Entry) });
export type LaunchEntry = z.infer<typeof Entry>;

export const LAUNCH_SETTINGS_FILE = path.join(DATA_DIR, "benchmarks", "inferencemax-launch-settings.json");
let cache: LaunchEntry[] | undefined;

export function launchEntries(): LaunchEntry[] {
  cache ??= parseOrThrow(LaunchSettingsFile, JSON.parse(fs.readFileSync(LAUNCH_SETTINGS_FILE, "utf8")), "data/benchmarks/inferencemax-launch-settings.json").entries;
  return cache;
}

/**
 * What an entry and a row are matched on: the canonical model id, the hardware profile the name resolves to
 * and the engine the framework names (so "b200-trt"/"trt" and "B200"/"tensorrt-llm" are one platform).
 */
function platformKey(model: string | undefined, gpu: string | undefined, framework: string | undefined): string {
  let hw = (gpu ?? "").trim().toLowerCase();
  try {
    hw = resolveHardware(hw).profile.id;
  } catch {
    // an unknown name only matches itself
  }
  const fw = (framework ?? "").trim().toLowerCase();
  return [canonicalModelId(model ?? ""), hw, engineFor(fw) ?? fw].join("|");
}

let keyed: Map<string, LaunchEntry[]> | undefined;

/** Whether a row has the value a condition names (numbers compared as numbers, text without case). */
function holds(row: Record<string, string>, column: string, value: string): boolean {
  const have = (row[column] ?? "").trim();
  const a = Number(have);
  const b = Number(value);
  return have !== "" && Number.isFinite(a) && Number.isFinite(b) ? a === b : have.toLowerCase() === value.trim().toLowerCase();
}

/**
 * The entry for a row's model, hardware and framework, if the harness's scripts are on file: the first of the
 * platform's entries (file order) whose conditions (`when`) the row meets.
 */
export function launchEntryFor(row: Record<string, string>): LaunchEntry | undefined {
  if (!keyed) {
    keyed = new Map();
    for (const e of launchEntries()) {
      const k = platformKey(e.model, e.gpu_model, e.framework);
      keyed.set(k, [...(keyed.get(k) ?? []), e]);
    }
  }
  return keyed.get(platformKey(row.model, row.gpu_model, row.framework))?.find((e) => Object.entries(e.when ?? {}).every(([c, v]) => holds(row, c, v)));
}

/**
 * A copy of the row with its blank launch columns filled from the harness entry (`concurrency` stands for
 * the row's own concurrency); columns the row fills itself are kept. Rows without an entry come back as given.
 */
export function withLaunchSettings(row: Record<string, string>): Record<string, string> {
  const e = launchEntryFor(row);
  if (!e) return row;
  const out = { ...row };
  for (const k of LAUNCH_COLUMNS) {
    const v = e.settings[k];
    if (v === undefined || (out[k] ?? "").trim() !== "") continue;
    out[k] = v === "concurrency" ? row.concurrency ?? "" : v;
  }
  return out;
}
