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

/** The standard-CSV columns a launch entry can fill (none of them is in a benchmark's result files). */
export const LAUNCH_COLUMNS = ["kv_cache_dtype", "max_batch_size", "max_num_tokens", "gpu_memory_utilization"] as const;

const Entry = z.object({
  model: z.string(),
  gpu_model: z.string(),
  framework: z.string(),
  settings: z.object(Object.fromEntries(LAUNCH_COLUMNS.map((c) => [c, z.string().optional()])) as Record<(typeof LAUNCH_COLUMNS)[number], z.ZodOptional<z.ZodString>>),
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

let keyed: Map<string, LaunchEntry> | undefined;

/** The entry for a row's model, hardware and framework, if the harness's scripts are on file. */
export function launchEntryFor(row: Record<string, string>): LaunchEntry | undefined {
  keyed ??= new Map(launchEntries().map((e) => [platformKey(e.model, e.gpu_model, e.framework), e]));
  return keyed.get(platformKey(row.model, row.gpu_model, row.framework));
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
