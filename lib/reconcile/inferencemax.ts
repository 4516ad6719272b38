/** InferenceMAX agg_bmk.json runs → standard CSV rows (one per configuration and run), and their aggregate. */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { parseOrThrow } from "../core/validate";
import { canonicalModelId } from "../model/registry";
import { LAUNCH_COLUMNS, withLaunchSettings } from "./launch-settings";
import { ACTUAL_COLUMNS, INPUT_COLUMNS, LOAD_COLUMNS } from "./standard";

const num = z.number();
const RawRow = z
  .object({
    hw: z.string(), conc: num, image: z.string(), model: z.string(), infmax_model_prefix: z.string().optional(),
    framework: z.string(), precision: z.string(), spec_decoding: z.string(), disagg: z.boolean(), isl: num, osl: num,
    tp: num.optional(), ep: num.optional(), dp_attention: z.union([z.string(), z.boolean()]).optional(),
    prefill_tp: num.optional(), prefill_ep: num.optional(), prefill_dp_attention: z.union([z.string(), z.boolean()]).optional(),
    prefill_num_workers: num.optional(), decode_tp: num.optional(), decode_ep: num.optional(),
    decode_dp_attention: z.union([z.string(), z.boolean()]).optional(), decode_num_workers: num.optional(),
    num_prefill_gpu: num.optional(), num_decode_gpu: num.optional(),
    tput_per_gpu: num, output_tput_per_gpu: num, mean_ttft: num, p99_ttft: num, mean_tpot: num, mean_e2el: num, median_e2el: num,
  })
  .passthrough();

/** Model names in the runs: HF ids, or local paths whose prefix names the model. */
const PREFIX_MODEL: Record<string, string> = { gptoss: "openai/gpt-oss-120b" };

export function normaliseModel(model: string, prefix?: string): string {
  if (prefix && PREFIX_MODEL[prefix]) return PREFIX_MODEL[prefix];
  return canonicalModelId(model);
}

export const EXTRA_COLUMNS = ["row_id", "image"] as const;
// The launch columns come from the harness's scripts (lib/reconcile/launch-settings.ts); the runs do not record them.
export const EXTRACT_COLUMNS = ["row_id", ...INPUT_COLUMNS, ...LAUNCH_COLUMNS, ...ACTUAL_COLUMNS, "image"];

const s = (v: unknown) => (v === undefined || v === null ? "" : String(v));

export function extractRuns(runsDir: string): Record<string, string>[] {
  return extractRunFiles(fs.readdirSync(runsDir).filter((f) => f.endsWith(".json")).sort().map((f) => path.join(runsDir, f)));
}

/** The same for a list of run files (`agg_bmk.json` or `run_<id>.json`); the run id is the file name without `run_`. */
export function extractRunFiles(paths: string[]): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const file of paths) {
    const f = path.basename(file);
    const runId = f.replace(/^run_/, "").replace(/\.json$/, "");
    const raw = JSON.parse(fs.readFileSync(file, "utf8"));
    const rows = parseOrThrow(z.array(RawRow), raw, `InferenceMAX run ${f}`);
    for (const r of rows) {
      out.push(withLaunchSettings({
        row_id: "",
        model: normaliseModel(r.model, r.infmax_model_prefix),
        gpu_model: r.hw, framework: r.framework, precision: r.precision,
        input_seq_len: s(r.isl), output_seq_len: s(r.osl),
        tensor_parallel: s(r.tp), expert_parallel: s(r.ep), dp_attention: s(r.dp_attention),
        concurrency: s(r.conc), disagg: s(r.disagg), spec_decoding: r.spec_decoding,
        prefill_tp: s(r.prefill_tp), prefill_ep: s(r.prefill_ep), prefill_dp_attention: s(r.prefill_dp_attention),
        prefill_num_workers: s(r.prefill_num_workers), decode_tp: s(r.decode_tp), decode_ep: s(r.decode_ep),
        decode_dp_attention: s(r.decode_dp_attention), decode_num_workers: s(r.decode_num_workers),
        num_prefill_gpu: s(r.num_prefill_gpu), num_decode_gpu: s(r.num_decode_gpu),
        throughput_tokens_per_sec_per_gpu: s(r.tput_per_gpu), output_throughput_per_gpu: s(r.output_tput_per_gpu),
        mean_time_to_first_token_sec: s(r.mean_ttft), p99_time_to_first_token_sec: s(r.p99_ttft),
        mean_time_per_output_token_sec: s(r.mean_tpot), mean_end_to_end_latency_sec: s(r.mean_e2el),
        median_end_to_end_latency_sec: s(r.median_e2el),
        benchmark_date: "", // the runs carry no date; run_id orders them
        run_id: runId, image: r.image,
      }));
    }
  }
  // Deterministic order: configuration, then run.
  const key = (r: Record<string, string>) => configKey(r) + "|" + r.run_id;
  out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  out.forEach((r, i) => (r.row_id = String(i + 1)));
  return out;
}

/** What identifies a configuration: its input and load columns (a load column a row lacks counts as empty). */
export function configKey(r: Record<string, string>): string {
  const base = INPUT_COLUMNS.map((c) => (["input_seq_len", "output_seq_len", "concurrency"].includes(c) ? (r[c] ?? "").padStart(6, "0") : r[c] ?? ""));
  const load = LOAD_COLUMNS.map((c) => r[c] ?? "");
  return [...base, ...(load.some((x) => x !== "") ? load : [])].join("|");
}

export const AGGREGATE_COLUMNS = [
  ...INPUT_COLUMNS, ...LAUNCH_COLUMNS, "runs", "throughput_tokens_per_sec_per_gpu", "output_throughput_per_gpu", "mean_time_to_first_token_sec",
  "p99_time_to_first_token_sec", "mean_time_per_output_token_sec", "mean_end_to_end_latency_sec", "median_end_to_end_latency_sec",
  "throughput_spread_pct", "tpot_spread_pct", "ttft_spread_pct", "e2e_spread_pct",
];

/** Mean of repeated runs per configuration, and the run-to-run spread ((max − min) / mean) as the noise floor. */
export function aggregateRuns(rows: Record<string, string>[]): Record<string, string>[] {
  const groups = new Map<string, Record<string, string>[]>();
  for (const r of rows) {
    const k = configKey(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  const out: Record<string, string>[] = [];
  for (const g of groups.values()) {
    const o: Record<string, string> = {};
    for (const c of INPUT_COLUMNS) o[c] = g[0][c];
    for (const c of LOAD_COLUMNS) if (g[0][c] !== undefined) o[c] = g[0][c];
    o.runs = String(g.length);
    const metric = (c: string) => g.map((r) => Number(r[c]));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    for (const c of ["throughput_tokens_per_sec_per_gpu", "output_throughput_per_gpu", "mean_time_to_first_token_sec", "p99_time_to_first_token_sec", "mean_time_per_output_token_sec", "mean_end_to_end_latency_sec", "median_end_to_end_latency_sec"]) {
      o[c] = String(mean(metric(c)));
    }
    const spread = (c: string) => {
      const v = metric(c);
      return String((100 * (Math.max(...v) - Math.min(...v))) / mean(v));
    };
    o.throughput_spread_pct = spread("throughput_tokens_per_sec_per_gpu");
    o.tpot_spread_pct = spread("mean_time_per_output_token_sec");
    o.ttft_spread_pct = spread("mean_time_to_first_token_sec");
    o.e2e_spread_pct = spread("mean_end_to_end_latency_sec");
    out.push(o);
  }
  return out;
}
