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

const FILLED = ["kv_cache_dtype", "max_batch_size", "max_num_tokens", "gpu_memory_utilization"] as const;
type Filled = (typeof FILLED)[number];

const Entry = z.object({
  model: z.string(),
  gpu_model: z.string(),
  framework: z.string(),
  settings: z.object({ kv_cache_dtype: z.string(), max_batch_size: z.string(), max_num_tokens: z.string(), gpu_memory_utilization: z.string() }).partial(),
  source: z.string(),
});
const File = z.object({ what: z.string(), source: z.string(), entries: z.array(Entry) });
export type LaunchEntry = z.infer<typeof Entry>;

export const LAUNCH_SETTINGS_FILE = path.join(DATA_DIR, "benchmarks", "inferencemax-launch-settings.json");
let cache: LaunchEntry[] | undefined;

export function launchEntries(): LaunchEntry[] {
  cache ??= parseOrThrow(File, JSON.parse(fs.readFileSync(LAUNCH_SETTINGS_FILE, "utf8")), "data/benchmarks/inferencemax-launch-settings.json").entries;
  return cache;
}

/** The entry for a row's model, hardware name and framework, if the harness's scripts are on file. */
export function launchEntryFor(row: Record<string, string>): LaunchEntry | undefined {
  const norm = (s: string | undefined) => (s ?? "").trim().toLowerCase();
  return launchEntries().find((e) => norm(e.model) === norm(row.model) && norm(e.gpu_model) === norm(row.gpu_model) && norm(e.framework) === norm(row.framework));
}

/**
 * A copy of the row with its blank launch columns filled from the harness entry (`concurrency` stands for
 * the row's own concurrency); columns the row fills itself are kept. Rows without an entry come back as given.
 */
export function withLaunchSettings(row: Record<string, string>): Record<string, string> {
  const e = launchEntryFor(row);
  if (!e) return row;
  const out = { ...row };
  for (const k of FILLED as readonly Filled[]) {
    const v = e.settings[k];
    if (v === undefined || (out[k] ?? "").trim() !== "") continue;
    out[k] = v === "concurrency" ? row.concurrency ?? "" : v;
  }
  return out;
}
