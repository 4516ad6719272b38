/**
 * Export a pinned run to a bundle (mantile.bundle/v1) and predict from one without reading the
 * model, hardware, engine, efficiency or calibration files in data/.
 */
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { z } from "zod";
import { PROJECT_ROOT } from "../core/paths";
import { InputError } from "../core/validate";
import { KERNELS_DIR, resolveKernelSystem } from "../kernels/index";
import type { Efficiency } from "../calibration/efficiency";
import type { Speculative } from "../engine/speculative";
import type { ModelIR } from "../model/ir";
import { pointOf, predictionIntervals, widthSource } from "../uncertainty/interval";
import { INTERVAL_METRICS, type IntervalMetric } from "../uncertainty/widths";
import { predictPinned, resolvePinned, type PinnedRun, type PoolMemory, type RunPrediction } from "./run";
import { Bundle, BUNDLE_SCHEMA, type BundleInput } from "./schema";

/** JSON text with object keys sorted at every level (so a hash does not depend on key order). */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x));
}

/** sha256 of a value's canonical JSON text. */
export function sha256Json(v: unknown): string {
  return createHash("sha256").update(canonicalJson(v)).digest("hex");
}

function sha256File(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

export interface KernelTablesPin {
  system: string;
  framework: string;
  files: { path: string; sha256: string }[];
}

/**
 * The measured kernel tables a run reads (data/kernels/<system>/<framework>/*.json and the system's
 * NCCL table), pinned by content hash: they are too large to copy into every bundle (~1 MB).
 */
export function kernelTablesPin(p: Pick<PinnedRun, "hardware" | "engine" | "useKernelTables">): KernelTablesPin | null {
  if (p.useKernelTables === false || !p.hardware.kernel_tables || !p.engine.kernel_framework) return null;
  const system = resolveKernelSystem(p.hardware.kernel_tables);
  if (!system) return null;
  const files: { path: string; sha256: string }[] = [];
  for (const dir of [p.engine.kernel_framework, "nccl"]) {
    const d = path.join(KERNELS_DIR, system, dir);
    if (!fs.existsSync(d)) continue;
    for (const f of fs.readdirSync(d).filter((x) => x.endsWith(".json")).sort()) {
      const full = path.join(d, f);
      files.push({ path: path.relative(PROJECT_ROOT, full).split(path.sep).join("/"), sha256: sha256File(full) });
    }
  }
  return { system, framework: p.engine.kernel_framework, files };
}

/** Files whose content differs from the pin (or are missing). */
export function kernelTablesDrift(pin: KernelTablesPin): string[] {
  const out: string[] = [];
  for (const f of pin.files) {
    const full = path.join(PROJECT_ROOT, f.path);
    if (!fs.existsSync(full)) out.push(`${f.path} (missing)`);
    else if (sha256File(full) !== f.sha256) out.push(`${f.path} (changed)`);
  }
  return out;
}

function generator(): Bundle["generator"] {
  let version = "unknown";
  try {
    version = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")).version ?? "unknown";
  } catch {
    /* no package.json: keep unknown */
  }
  let commit: string | null = null;
  try {
    commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "ignore"], timeout: 5000 }).toString().trim() || null;
  } catch {
    /* not a git checkout */
  }
  return { tool: "mantile", version, commit };
}

const memOut = (m: PoolMemory) => ({ weights_per_gpu_gb: m.weightsPerGpuGB, kv_pool_per_gpu_gb: m.kvPoolPerGpuGB, kv_capacity_tokens: m.kvCapacityTokens });

export function predictionRecord(p: RunPrediction): Bundle["prediction"] {
  return {
    throughput_per_gpu: p.throughputPerGpu, output_throughput_per_gpu: p.outputThroughputPerGpu, ttft_sec: p.ttft, p99_ttft_sec: p.p99Ttft,
    tpot_sec: p.tpot, e2e_latency_sec: p.e2e, bottleneck: p.bottleneck, memory: memOut(p.memory), prefill_memory: p.prefillMemory ? memOut(p.prefillMemory) : null,
  };
}

/** The intervals of a pinned run's prediction as bundle data (basis, and per metric the bounds and the quantiles they came from). */
export function intervalsRecord(p: PinnedRun, prediction: RunPrediction): NonNullable<Bundle["intervals"]> {
  const x = predictionIntervals(resolvePinned(p), pointOf(prediction));
  const metrics: NonNullable<Bundle["intervals"]>["metrics"] = {};
  for (const m of INTERVAL_METRICS) {
    const i = x.metrics[m.key];
    if (!i) continue;
    const ln = (e: typeof i.low) => Object.values(e.inputs).find((v) => v.unit === "ln(actual/predicted)")!.value;
    metrics[m.key] = { low: i.low.value, high: i.high.value, low_ln_ratio: ln(i.low), high_ln_ratio: ln(i.high), width_class: i.width.key, n: i.width.n, source: widthSource(i.width) };
  }
  return { basis: x.basis.phrase, nominal: x.nominal, metrics };
}

/** The bounds of pinned intervals for a prediction: predicted × exp(pinned quantile), as exported. */
export function pinnedBounds(iv: NonNullable<Bundle["intervals"]>, prediction: RunPrediction): Record<string, { low: number; high: number }> {
  const point = pointOf(prediction);
  const out: Record<string, { low: number; high: number }> = {};
  for (const [k, m] of Object.entries(iv.metrics)) {
    const v = point[k as IntervalMetric];
    out[k] = { low: v * Math.exp(m.low_ln_ratio), high: v * Math.exp(m.high_ln_ratio) };
  }
  return out;
}

export interface ExportSource {
  kind: "flags" | "csv" | "api";
  file?: string;
  row?: number;
}

/**
 * A pinned run → bundle object (validated). `prediction` is the run's prediction at export time
 * (computed here when not given); `mantile predict --bundle` checks it is reproduced.
 */
export function exportBundle(p: PinnedRun, opts: { source?: ExportSource; prediction?: RunPrediction; created?: string } = {}): Bundle {
  const prediction = opts.prediction ?? predictPinned(p);
  const ir = p.model;
  const raw: BundleInput = {
    schema: BUNDLE_SCHEMA,
    created: opts.created ?? new Date().toISOString(),
    generator: generator(),
    label: p.label,
    source: { kind: opts.source?.kind ?? "api", file: opts.source?.file ?? null, row: opts.source?.row ?? null, config_row: p.configRow ?? null },
    model: {
      id: ir.id,
      config_source: p.modelConfig?.source ?? null,
      config: (p.modelConfig?.content as Record<string, unknown>) ?? null,
      summary: { family: ir.family, params: ir.layers.reduce((s, l) => s + l.params, 0), blocks: ir.blocks, hidden: ir.hidden, layers: ir.layers.length, ir_sha256: sha256Json(ir) },
      ir: ir as unknown as BundleInput["model"]["ir"],
    },
    hardware: p.hardware,
    engine: p.engine,
    efficiency: p.efficiency,
    calibration: p.calibration ? { name: p.calibration.name, description: p.calibration.description, parameters: p.calibration.values as Record<string, number> } : null,
    overrides: p.overrides as Record<string, number>,
    run: {
      aggregated: p.aggregated ?? null,
      disaggregated: p.disaggregated ?? null,
      workload: p.workload,
      gpus_counted: p.gpusCounted,
      concurrency: p.workload.kind === "closed" ? p.workload.concurrency : 1,
      seed: p.seed,
      kernel_tables: p.useKernelTables,
      max_run: p.maxRun ?? null,
      extra: { ...(p.speculative ? { speculative: JSON.parse(JSON.stringify(p.speculative)) } : {}), ...(p.engineSettings ? { engine_settings: p.engineSettings } : {}) },
    },
    kernel_tables: kernelTablesPin(p),
    assumptions: p.assumptions,
    prediction: predictionRecord(prediction),
    intervals: intervalsRecord(p, prediction),
  };
  // Validate what we write (and normalise it exactly as a reader will see it).
  return parseBundle(JSON.parse(JSON.stringify(raw)), "exported bundle");
}

export function writeBundle(file: string, b: Bundle): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(b, null, 1) + "\n");
}

const FIX = "fix: re-export the run with `mantile export … --out FILE.json` (or restore the named field)";

/** Validate a parsed bundle; refuse old, unknown or incomplete ones with a message naming the field and the fix. */
export function parseBundle(data: unknown, what = "bundle"): Bundle {
  if (!data || typeof data !== "object" || Array.isArray(data)) throw new InputError(`${what}: not a Mantile bundle (expected a JSON object with "schema": "${BUNDLE_SCHEMA}"); ${FIX}`);
  const schema = (data as Record<string, unknown>).schema;
  if (schema === undefined) throw new InputError(`${what}: field "schema" is missing; a Mantile bundle starts with "schema": "${BUNDLE_SCHEMA}"; ${FIX}`);
  if (schema !== BUNDLE_SCHEMA) {
    const m = typeof schema === "string" ? schema.match(/^mantile\.bundle\/v(\d+)$/) : null;
    if (m && Number(m[1]) < 1) throw new InputError(`${what}: field "schema" is "${schema}", an older format this version does not read (it reads "${BUNDLE_SCHEMA}"); ${FIX} with this version of Mantile`);
    if (m) throw new InputError(`${what}: field "schema" is "${schema}", written by a newer Mantile (this version reads "${BUNDLE_SCHEMA}"); fix: upgrade Mantile, or re-export the run with this version's \`mantile export\``);
    throw new InputError(`${what}: field "schema" is ${JSON.stringify(schema)}, not a Mantile bundle schema (expected "${BUNDLE_SCHEMA}"); ${FIX}`);
  }
  const r = Bundle.safeParse(data);
  if (r.success) return r.data;
  throw new InputError(`${what} (${BUNDLE_SCHEMA}) is invalid:\n${formatIssues(r.error)}\n${FIX}`);
}

function formatIssues(e: z.ZodError): string {
  return e.issues
    .slice(0, 12)
    .map((i) => {
      const field = i.path.length ? i.path.join(".") : "(root)";
      const msg = i.code === "invalid_type" && i.received === "undefined" ? "missing (required)" : i.message;
      return `  - field "${field}": ${msg}`;
    })
    .concat(e.issues.length > 12 ? [`  … and ${e.issues.length - 12} more`] : [])
    .join("\n");
}

export function readBundle(file: string): Bundle {
  if (!fs.existsSync(file)) throw new InputError(`bundle not found: ${file}`);
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new InputError(`bundle ${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseBundle(data, `bundle ${file}`);
}

/** Bundle → pinned run. Nothing is read from data/: model IR, hardware, engine, efficiency and calibration come from the bundle. */
export function bundleToPinned(b: Bundle): PinnedRun {
  const r = b.run;
  return {
    label: b.label,
    configRow: b.source.config_row ?? undefined,
    model: b.model.ir as unknown as ModelIR,
    modelConfig: b.model.config && b.model.config_source ? { source: b.model.config_source, content: b.model.config } : undefined,
    hardware: b.hardware,
    engine: b.engine,
    efficiency: b.efficiency as Efficiency,
    calibration: b.calibration ? { name: b.calibration.name, description: b.calibration.description, values: b.calibration.parameters } : null,
    overrides: b.overrides,
    // Casts: zod's inferred fields are all optional when notebooks compile without strict null checks.
    aggregated: (r.aggregated ?? undefined) as PinnedRun["aggregated"],
    disaggregated: (r.disaggregated ?? undefined) as PinnedRun["disaggregated"],
    workload: r.workload as PinnedRun["workload"],
    gpusCounted: r.gpus_counted,
    speculative: r.extra.speculative as Speculative | undefined,
    engineSettings: r.extra.engine_settings as PinnedRun["engineSettings"],
    seed: r.seed,
    useKernelTables: r.kernel_tables,
    maxRun: r.max_run ?? undefined,
    assumptions: b.assumptions as PinnedRun["assumptions"],
  };
}

export interface BundlePredictionResult {
  prediction: RunPrediction;
  pinned: PinnedRun;
  /** Whether the numbers equal the ones stored at export (bit for bit), and which differ. */
  reproduced: boolean;
  differences: { field: string; exported: number | string; now: number | string }[];
  /** Things that may make the numbers differ from the export: changed kernel tables, an edited IR. */
  warnings: string[];
  /** The pinned intervals applied to this prediction (bundles exported with intervals). */
  intervals?: { basis: string; bounds: Record<string, { low: number; high: number }> };
}

/** Predict from a bundle (object or file) and check the result against the exported prediction. */
export function predictBundle(b: Bundle | string): BundlePredictionResult {
  const bundle = typeof b === "string" ? readBundle(b) : b;
  const warnings: string[] = [];
  if (bundle.kernel_tables) {
    const drift = kernelTablesDrift(bundle.kernel_tables as Parameters<typeof kernelTablesDrift>[0]);
    if (drift.length) warnings.push(`measured kernel tables differ from the export (pinned by sha256, not copied): ${drift.join(", ")}; numbers may differ`);
  }
  if (sha256Json(bundle.model.ir) !== bundle.model.summary.ir_sha256) warnings.push("model.ir differs from model.summary.ir_sha256 (the IR was edited after export); predicting from the edited IR");
  const pinned = bundleToPinned(bundle);
  const prediction = predictPinned(pinned);
  const now = predictionRecord(prediction);
  const differences: BundlePredictionResult["differences"] = [];
  const walk = (a: unknown, c: unknown, key: string) => {
    if (a && typeof a === "object" && c && typeof c === "object") {
      for (const k of Object.keys(a as object)) walk((a as Record<string, unknown>)[k], (c as Record<string, unknown>)[k], key ? `${key}.${k}` : k);
    } else if (!Object.is(a, c)) differences.push({ field: key, exported: a as number | string, now: c as number | string });
  };
  walk(bundle.prediction, now, "");
  const bounds = bundle.intervals && pinnedBounds(bundle.intervals, prediction);
  if (bundle.intervals && bounds) for (const [k, m] of Object.entries(bundle.intervals.metrics)) walk({ low: m.low, high: m.high }, bounds[k], `intervals.${k}`);
  const intervals = bundle.intervals && bounds ? { basis: bundle.intervals.basis, bounds } : undefined;
  return { prediction, pinned, reproduced: differences.length === 0, differences, warnings, intervals };
}
