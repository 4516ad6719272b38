import { explainText, formatNumber } from "../core/explain";
import { textTable } from "../core/text-table";
import { Dtype } from "../core/dtypes";
import { InputError } from "../core/validate";
import { simplePlan } from "../parallel/plan";
import { estimate } from "../run/estimate";
import { resolveRun } from "../run/resolve";
import { predictionIntervals } from "../uncertainty/interval";
import { loadCalibration } from "../calibration/profile";
import { ensureModels } from "../model/hub";
import { isLocalModel } from "../model/registry";
import { helpText, intFlag, parseFlags, requireString, type OptionSpec } from "./args";

const SPEC: OptionSpec = {
  model: { type: "string", help: "HF model id, alias or path to config.json" },
  hardware: { type: "string", help: "hardware id or alias (b200, 'H100 SXM', …)" },
  engine: { type: "string", help: "engine profile (vllm, trtllm, sglang, atom)", default: "vllm" },
  tp: { type: "string", help: "tensor parallel size", default: "1" },
  ep: { type: "string", help: "expert parallel size", default: "1" },
  pp: { type: "string", help: "pipeline stages", default: "1" },
  "dp-attention": { type: "boolean", help: "data-parallel attention across the TP group" },
  "weight-dtype": { type: "string", help: "dtype for all linear weights (default: checkpoint dtypes)" },
  "expert-dtype": { type: "string", help: "dtype for MoE expert weights" },
  "kv-dtype": { type: "string", help: "KV cache dtype", default: "bf16" },
  phase: { type: "string", help: "prefill or decode", default: "decode" },
  batch: { type: "string", help: "sequences in the step", default: "1" },
  context: { type: "string", help: "decode: cached context length; prefill: prompt length", default: "1024" },
  "no-tables": { type: "boolean", help: "roofline only (ignore measured kernel tables)" },
  calibration: { type: "string", help: "auto (profile for this hardware × engine, or transferred), none, or a profile JSON", default: "auto" },
  json: { type: "boolean", help: "print the whole explainable result as JSON" },
  explain: { type: "boolean", help: "print the formula tree of the headline numbers" },
  help: { type: "boolean", help: "show this help" },
};

const dtype = (v: unknown, name: string): Dtype | undefined => {
  if (v === undefined) return undefined;
  const r = Dtype.safeParse(v);
  if (!r.success) throw new InputError(`--${name}: "${String(v)}" is not a dtype; ${r.error.issues[0].message}`);
  return r.data;
};

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(argv, SPEC);
  if (f.help) {
    process.stdout.write(`mantile estimate [options]\n${helpText(SPEC)}\n`);
    return 0;
  }
  const phase = f.phase;
  if (phase !== "prefill" && phase !== "decode") throw new InputError(`--phase must be prefill or decode (got "${String(phase)}")`);
  const all = dtype(f["weight-dtype"], "weight-dtype");
  const experts = dtype(f["expert-dtype"], "expert-dtype");
  const weights: Record<string, Dtype> = {};
  if (all) for (const g of ["attention", "ffn", "experts"]) weights[g] = all;
  if (experts) weights.experts = experts;
  await ensureModels([requireString(f.model, "model")], isLocalModel); // Hub ids not shipped: fetch (or read the cache) first
  const req = {
    model: requireString(f.model, "model"),
    hardware: requireString(f.hardware, "hardware"),
    engine: String(f.engine),
    plan: simplePlan({ tp: intFlag(f.tp, "tp"), ep: intFlag(f.ep, "ep"), pp: intFlag(f.pp, "pp"), dpAttention: Boolean(f["dp-attention"]), weights, kvCache: dtype(f["kv-dtype"], "kv-dtype") }),
    phase,
    batch: intFlag(f.batch, "batch"),
    seqLen: intFlag(f.context, "context"),
    useKernelTables: !f["no-tables"],
    calibration: f.calibration === "auto" || f.calibration === "none" ? f.calibration : loadCalibration(String(f.calibration)),
  } as const;
  const e = estimate(req);
  // Issue 16: the 80% interval of the step's throughput and time, from the widths measured for this basis (serving metrics:
  // a decode step's time is what TPOT measures, a prefill's is the bulk of TTFT).
  const run = resolveRun({ model: req.model, hardware: req.hardware, engine: req.engine, aggregated: { plan: req.plan, workers: 1 }, calibration: req.calibration, useKernelTables: req.useKernelTables });
  const iv = predictionIntervals(run, { throughput: e.totals.tokensPerSecondPerGpu.value, output_throughput: NaN, ttft: phase === "prefill" ? e.step.total : NaN, tpot: phase === "decode" ? e.step.total : NaN, e2e: NaN });
  const stepIv = iv.metrics[phase === "prefill" ? "ttft" : "tpot"];
  const interval = { basis: iv.basis.phrase, nominal: iv.nominal, throughput: iv.metrics.throughput, stepTime: stepIv };
  if (f.json) {
    process.stdout.write(JSON.stringify({ ...e, interval }, null, 2) + "\n");
    return e.violations.some((v) => v.severity === "error") ? 3 : 0;
  }
  const out: string[] = [];
  out.push(`${e.model} on ${e.gpus} × ${e.hardware} (${e.engine}), ${e.phase}: batch ${e.batch}, ${e.phase === "prefill" ? "prompt" : "context"} ${e.seqLen}`);
  out.push(`time source: ${e.kernelSource}`);
  out.push(`calibration: ${e.calibration}`);
  out.push("");
  const header = ["layer type", "layers", "GFLOP", "weights MB", "KV MB", "comm MB", "time ms", "share", "bound"];
  const rows = e.rows.map((r) => [
    r.layerType, String(r.layers), formatNumber(r.flops / 1e9), formatNumber(r.weightBytes / 1e6), formatNumber(r.kvBytes / 1e6),
    formatNumber(r.commBytes / 1e6), formatNumber(r.seconds * 1e3), `${((100 * r.seconds) / e.step.total).toFixed(1)}%`, r.bound,
  ]);
  rows.push(["host overhead", "", "", "", "", "", formatNumber(e.step.host * 1e3), `${((100 * e.step.host) / e.step.total).toFixed(1)}%`, "overhead"]);
  rows.push(["total", "", formatNumber(e.totals.flops.value / 1e9), formatNumber(e.totals.weightBytes.value / 1e6), formatNumber(e.totals.kvBytes.value / 1e6), formatNumber(e.totals.commBytes.value / 1e6), formatNumber(e.step.total * 1e3), "100%", e.bottleneck]);
  out.push(...textTable(header, rows));
  out.push("");
  out.push(`throughput: ${formatNumber(e.totals.tokensPerSecondPerGpu.value)} tokens/s/GPU; bottleneck: ${e.bottleneck}`);
  const band = (x: typeof stepIv, scale: number, unit: string) => (x ? `${formatNumber(x.low.value * scale)}–${formatNumber(x.high.value * scale)}${unit} (width of "${x.width.key}", n=${x.width.n})` : "n/a (no measured width)");
  out.push(`80% interval: throughput ${band(interval.throughput, 1, " tokens/s/GPU")}; step time ${band(stepIv, 1e3, " ms")}`);
  out.push(`  basis: ${iv.basis.phrase}; widths measured on serving ${phase === "prefill" ? "TTFT" : "TPOT"} and throughput (data/uncertainty/widths.json)`);
  out.push(`memory per GPU: weights ${formatNumber(e.memory.weightsPerGpu.value / 1e9)} GB, KV pool ${formatNumber(e.memory.kvPoolPerGpu.value / 1e9)} GB (${formatNumber(Math.floor(e.memory.kvCapacityTokens.value))} tokens)`);
  out.push(e.minimumChips ? `minimum GPUs for these weights and this batch's KV: ${e.minimumChips.chips} (${e.minimumChips.reason})` : "minimum GPUs: does not fit within 64 pipeline stages of one domain's TP");
  for (const v of e.violations) out.push(`${v.severity.toUpperCase()} [${v.phase} ${v.field}] ${v.message} — fix: ${v.fix}`);
  if (f.explain) out.push("", explainText(e.totals.stepTime, "step_time", 0, 3), explainText(e.totals.tokensPerSecondPerGpu, "throughput", 0, 1));
  process.stdout.write(out.join("\n") + "\n");
  return e.violations.some((v) => v.severity === "error") ? 3 : 0;
}
