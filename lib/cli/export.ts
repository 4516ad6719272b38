/**
 * `mantile export`: pin one run (flags or a CSV row) into a bundle (mantile.bundle/v1).
 * Also the run flags shared by `mantile audit`, and the `mantile predict --bundle / --audit` hooks.
 */
import * as fs from "fs";
import * as path from "path";
import { csvLine, readCsv } from "../core/csv";
import { formatNumber } from "../core/explain";
import { InputError, parseOrThrow } from "../core/validate";
import { auditCsv, auditPinned, sidecarPath, writeAuditSet } from "../audit/index";
import { exportBundle, predictBundle, readBundle, writeBundle, type BundlePredictionResult, type ExportSource } from "../bundle/bundle";
import { checkOverrides, pinRow, predictPinned, type ParamValues, type PinnedRun, type PinOptions } from "../bundle/run";
import { PARAM_NAMES, type ParamName, type ParamValues as Values } from "../calibration/parameters";
import { loadCalibration } from "../calibration/profile";
import { OUTPUT_EXTRA } from "../reconcile/predict";
import { ConfigRow } from "../reconcile/standard";
import { INTERVAL_METRICS } from "../uncertainty/widths";
import { helpText, intFlag, parseFlags, requireString, type OptionSpec } from "./args";
import { tableChoice } from "./tables";

type Flags = Record<string, string | boolean | string[] | undefined>;

/** Flags that describe one run (a configuration row) and how to predict it. */
export const RUN_FLAGS: OptionSpec = {
  model: { type: "string", help: "HF model id, alias or path to config.json" },
  hardware: { type: "string", help: "hardware id or alias (b200, 'H100 SXM', …)" },
  engine: { type: "string", help: "engine / framework (vllm, trt, sglang, atom, dynamo-trt)", default: "vllm" },
  precision: { type: "string", help: "benchmark precision (fp4, fp8, bf16; empty = checkpoint dtypes)", default: "" },
  tp: { type: "string", help: "tensor parallel size", default: "1" },
  ep: { type: "string", help: "expert parallel size", default: "1" },
  "dp-attention": { type: "boolean", help: "data-parallel attention across the TP group" },
  isl: { type: "string", help: "nominal input length (tokens)" },
  osl: { type: "string", help: "nominal output length (tokens)" },
  concurrency: { type: "string", help: "benchmark clients (closed loop)" },
  input: { type: "string", help: "instead of the flags above: a standard CSV …" },
  row: { type: "string", help: "… and its 1-based data row" },
  calibration: { type: "string", help: "auto (data/calibration profile of hardware × engine), none, or a profile JSON path", default: "auto" },
  "no-tables": { type: "boolean", help: "roofline only (ignore measured kernel tables)" },
  "table-ops": { type: "string", help: "op families timed from measured tables, e.g. gemm,attention,comm (default: the engine profile's)" },
  seed: { type: "string", help: "random seed of request lengths", default: "1" },
  set: { type: "string", multiple: true, help: `override a calibration parameter, NAME=VALUE (repeatable; ${PARAM_NAMES.join(", ")})` },
  label: { type: "string", help: "label of the run (default: model hardware engine plan conc isl/osl)" },
};

function overridesOf(f: Flags): ParamValues {
  const out: Values = {};
  for (const s of (f.set as string[] | undefined) ?? []) {
    const m = s.match(/^([a-z_]+)=(.+)$/);
    if (!m) throw new InputError(`--set "${s}": use NAME=VALUE, e.g. --set memory_bandwidth=0.85`);
    const v = Number(m[2]);
    if (!Number.isFinite(v)) throw new InputError(`--set ${m[1]}: "${m[2]}" is not a number`);
    out[m[1] as ParamName] = v;
  }
  return checkOverrides(out);
}

export function pinOptions(f: Flags): PinOptions {
  const c = String(f.calibration ?? "auto");
  const seed = Number(f.seed ?? 1);
  if (!Number.isInteger(seed)) throw new InputError(`--seed must be a whole number (got "${String(f.seed)}")`);
  return {
    calibration: c === "auto" || c === "none" ? c : loadCalibration(c),
    useKernelTables: tableChoice(f),
    seed,
    overrides: overridesOf(f),
    label: typeof f.label === "string" ? f.label : undefined,
  };
}

/** The run the flags describe (flags or --input/--row), pinned, and where it came from. */
export function pinFromFlags(f: Flags): { pinned: PinnedRun; source: ExportSource } {
  const opts = pinOptions(f);
  if (f.input !== undefined) {
    const file = requireString(f.input, "input");
    if (!fs.existsSync(file)) throw new InputError(`--input: CSV not found: ${file}`);
    const { rows } = readCsv(file);
    const n = intFlag(f.row, "row");
    if (!(n >= 1 && n <= rows.length)) throw new InputError(`--row ${n}: the CSV has ${rows.length} data rows (numbered from 1)`);
    const raw = rows[n - 1];
    return { pinned: pinRow(parseOrThrow(ConfigRow, raw, `row ${n} of ${file}`), opts, raw), source: { kind: "csv", file, row: n } };
  }
  const raw: Record<string, string> = {
    model: requireString(f.model, "model"),
    gpu_model: requireString(f.hardware, "hardware"),
    framework: String(f.engine),
    precision: String(f.precision ?? ""),
    input_seq_len: String(intFlag(f.isl, "isl")),
    output_seq_len: String(intFlag(f.osl, "osl")),
    tensor_parallel: String(intFlag(f.tp, "tp")),
    expert_parallel: String(intFlag(f.ep, "ep")),
    dp_attention: f["dp-attention"] ? "true" : "false",
    concurrency: String(intFlag(f.concurrency, "concurrency")),
  };
  return { pinned: pinRow(parseOrThrow(ConfigRow, raw, "run flags"), opts, raw), source: { kind: "flags" } };
}

const EXPORT: OptionSpec = {
  ...RUN_FLAGS,
  out: { type: "string", help: "bundle JSON to write" },
  help: { type: "boolean", help: "show this help" },
};

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(argv, EXPORT);
  if (f.help) {
    process.stdout.write(`mantile export --model M --hardware H [--engine E --tp N --ep N --dp-attention] --isl N --osl N --concurrency N --out run.json\n       mantile export --input FILE.csv --row N --out run.json\n${helpText(EXPORT)}\n`);
    return 0;
  }
  const out = requireString(f.out, "out");
  const { pinned, source } = pinFromFlags(f);
  const prediction = predictPinned(pinned);
  const b = exportBundle(pinned, { source, prediction });
  writeBundle(out, b);
  process.stdout.write(`${predictionText(b.label, prediction, b.intervals && { basis: b.intervals.basis, bounds: b.intervals.metrics as Record<string, { low: number; high: number }> })}\nwrote ${out} (${b.schema}, ${(fs.statSync(out).size / 1024).toFixed(0)} KB): model IR + config, hardware ${b.hardware.id}, engine ${b.engine.id}, efficiency defaults, calibration ${b.calibration?.name ?? "none"}, ${Object.keys(b.overrides).length} override(s)${b.kernel_tables ? `, kernel tables ${b.kernel_tables.system}/${b.kernel_tables.framework} pinned by sha256` : ""}\n`);
  return 0;
}

/** The pinned 80% intervals, one line (issue 16). */
function intervalText(iv: { basis: string; bounds: Record<string, { low: number; high: number }> } | undefined): string[] {
  if (!iv) return [];
  const b = (k: string, scale = 1, unit = "") => (iv.bounds[k] ? `${formatNumber(iv.bounds[k].low * scale)}–${formatNumber(iv.bounds[k].high * scale)}${unit}` : "n/a");
  return [`  80% interval: throughput ${b("throughput")} tok/s/GPU, TTFT ${b("ttft", 1e3, " ms")}, TPOT ${b("tpot", 1e3, " ms")}, E2E ${b("e2e", 1, " s")} (${iv.basis})`];
}

function predictionText(label: string, p: ReturnType<typeof predictPinned>, iv?: Parameters<typeof intervalText>[0]): string {
  return [
    label,
    `  throughput ${formatNumber(p.throughputPerGpu)} tok/s/GPU (output ${formatNumber(p.outputThroughputPerGpu)}), TTFT ${formatNumber(p.ttft * 1e3)} ms (p99 ${formatNumber(p.p99Ttft * 1e3)}), TPOT ${formatNumber(p.tpot * 1e3)} ms, E2E ${formatNumber(p.e2e)} s, bottleneck ${p.bottleneck}`,
    ...intervalText(iv),
    `  memory/GPU: weights ${formatNumber(p.memory.weightsPerGpuGB)} GB, KV pool ${formatNumber(p.memory.kvPoolPerGpuGB)} GB (${formatNumber(Math.floor(p.memory.kvCapacityTokens))} tokens per replica)`,
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// `mantile predict --bundle FILE` and `mantile predict … --audit` (hooked into lib/cli/reconcile.ts)

export const PREDICT_BUNDLE_FLAGS: OptionSpec = {
  bundle: { type: "string", help: "predict the run pinned in a bundle (mantile export) instead of --input" },
  json: { type: "boolean", help: "with --bundle: print the prediction as JSON" },
  audit: { type: "boolean", help: "also write <output>_audit.json: the assumptions of every row (no ±20% impacts: fast)" },
  "audit-impact": { type: "boolean", help: "as --audit, with ±20% impacts (re-simulates each row ~35 times, ≈ 2–5 s per row)" },
};

function bundleCsvRow(r: BundlePredictionResult): { columns: string[]; values: string[] } {
  const cfg = r.pinned.configRow ?? {};
  const p = r.prediction;
  const pred: Record<string, string> = {
    predicted_throughput_per_gpu: String(p.throughputPerGpu), predicted_output_throughput_per_gpu: String(p.outputThroughputPerGpu),
    predicted_ttft_sec: String(p.ttft), predicted_tpot_sec: String(p.tpot), predicted_e2e_latency_sec: String(p.e2e),
    predicted_bottleneck: p.bottleneck, error_message: "", calibration_profile: p.calibration,
  };
  // The pinned intervals (issue 16), in the columns mantile predict writes.
  if (r.intervals) {
    pred.prediction_basis = r.intervals.basis;
    for (const m of INTERVAL_METRICS) {
      const b = r.intervals.bounds[m.key];
      if (b) [pred[`${m.column}_p10`], pred[`${m.column}_p90`]] = [String(b.low), String(b.high)];
    }
  }
  const columns = [...Object.keys(cfg), ...OUTPUT_EXTRA.filter((c) => !(c in cfg))];
  return { columns, values: columns.map((c) => pred[c] ?? cfg[c] ?? "") };
}

/** `mantile predict --bundle FILE [--json] [--output OUT.csv] [--audit]`. */
export async function predictFromBundle(f: Flags): Promise<number> {
  const file = requireString(f.bundle, "bundle");
  const b = readBundle(file);
  const r = predictBundle(b);
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  if (typeof f.output === "string") {
    fs.mkdirSync(path.dirname(path.resolve(f.output)), { recursive: true });
    const { columns, values } = bundleCsvRow(r);
    fs.writeFileSync(f.output, csvLine(columns) + csvLine(values));
  }
  if (f.audit || f["audit-impact"]) {
    const log = auditPinned(r.pinned, { impacts: Boolean(f["audit-impact"]) });
    const side = sidecarPath(typeof f.output === "string" ? f.output : file);
    fs.writeFileSync(side, JSON.stringify(log, null, 1) + "\n");
    process.stderr.write(`audit → ${side}\n`);
  }
  if (f.json) {
    process.stdout.write(JSON.stringify({ label: b.label, bundle: file, prediction: r.prediction, intervals: r.intervals ?? null, reproduced: r.reproduced, differences: r.differences, warnings: r.warnings }, null, 2) + "\n");
    return 0;
  }
  const lines = [predictionText(b.label, r.prediction, r.intervals)];
  lines.push(r.reproduced ? `  reproduces the exported prediction exactly (${b.created})` : `  DIFFERS from the exported prediction (${b.created}): ${r.differences.map((d) => `${d.field} ${d.exported} → ${d.now}`).join("; ")}`);
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}

/** After `mantile predict --input … --output …`: write the per-row audit beside the output. */
export function writePredictAudit(input: string, output: string, f: Flags, opts: PinOptions): string {
  const side = sidecarPath(output);
  const set = auditCsv(input, { ...opts, impacts: Boolean(f["audit-impact"]), output });
  writeAuditSet(side, set);
  const errors = set.rows.filter((r) => r.error).length;
  process.stderr.write(`audit of ${set.rows.length} rows (${set.impacts ? "with ±20% impacts" : "assumptions only, no ±20% impacts"}${errors ? `; ${errors} rows with errors` : ""}) → ${side}\n`);
  return side;
}
