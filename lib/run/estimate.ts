/**
 * One explainable estimate: a prefill of S tokens × B, or one decode step at context L × B, on one
 * model replica. Per layer type and in total: FLOPs, bytes, KV, communication, time, bottleneck.
 * Inputs are resolved by resolveRun like every other prediction.
 */
import type { Efficiency } from "../calibration/efficiency";
import type { Calibration } from "../calibration/profile";
import { derive, fact, type Assumption, type Explained } from "../core/explain";
import { InputError } from "../core/validate";
import { decodeBatch, prefillBatch, type BatchStats } from "../cost/batch";
import { memoryPolicyOf, type EngineProfile } from "../engine/profile";
import type { HardwareProfile } from "../hardware/schema";
import { attentionWindows } from "../model/build";
import type { ModelIR } from "../model/ir";
import { memoryReport, minimumChips, type MemoryReport, type MinimumChips } from "../parallel/memory";
import { replicaGpus, type ParallelPlanInput } from "../parallel/plan";
import { validatePlan, type Violation } from "../parallel/validate";
import { buildStepModel } from "../step/build";
import { flaggedOps } from "../step/checks";
import type { KernelTableChoice } from "../step/kernel-source";
import type { Bound } from "../step/roofline";
import type { StepBreakdown } from "../step/step-model";
import { resolveRun } from "./resolve";

export type { Assumption } from "../core/explain";

export interface EstimateRequest {
  model: string | ModelIR;
  hardware: string | HardwareProfile;
  plan: ParallelPlanInput;
  phase: "prefill" | "decode";
  batch: number;
  /** Prefill: prompt length. Decode: context length already in the cache. */
  seqLen: number;
  engine?: string | EngineProfile;
  efficiency?: Efficiency;
  /** Calibration: "auto" (the profile for this hardware × engine, or a transferred one; default), "none", or a profile. */
  calibration?: "auto" | "none" | Calibration;
  /** Use measured kernel tables where present (default true = the engine profile's choice). */
  useKernelTables?: KernelTableChoice;
}

export interface LayerTypeRow {
  layerType: string;
  layers: number;
  flops: number;
  gemmFlops: number;
  attentionFlops: number;
  weightBytes: number;
  activationBytes: number;
  kvBytes: number;
  commBytes: number;
  seconds: number;
  bound: Bound;
  sources: string[];
}

export interface Estimate {
  model: string;
  hardware: string;
  engine: string;
  phase: "prefill" | "decode";
  batch: number;
  seqLen: number;
  gpus: number;
  rows: LayerTypeRow[];
  step: StepBreakdown;
  totals: Record<"flops" | "weightBytes" | "kvBytes" | "commBytes" | "stepTime" | "tokensPerSecondPerGpu", Explained>;
  bottleneck: Bound;
  memory: MemoryReport;
  /** Fewest GPUs that hold these weights (same dtypes) and this step's KV, with the layout. */
  minimumChips: MinimumChips | null;
  violations: Violation[];
  assumptions: Assumption[];
  kernelSource: string;
  /** Calibration profile applied, or "none". */
  calibration: string;
}

export function estimate(req: EstimateRequest): Estimate {
  if (!(req.batch >= 1 && Number.isInteger(req.batch))) throw new InputError(`batch must be a whole number ≥ 1 (got ${req.batch})`);
  if (!(req.seqLen >= 1 && Number.isInteger(req.seqLen))) throw new InputError(`seqLen/context must be a whole number ≥ 1 (got ${req.seqLen})`);
  const run = resolveRun({ model: req.model, hardware: req.hardware, engine: req.engine, aggregated: { plan: req.plan, workers: 1 }, calibration: req.calibration, efficiency: req.efficiency, useKernelTables: req.useKernelTables });
  const { model: ir, hardware: hw, engine, efficiency: eff } = run;
  const plan = run.aggregated!.plan;
  const calibrated = (k: string) => run.calibration?.values[k as keyof typeof run.calibration.values] !== undefined;
  const windows = attentionWindows(ir);
  const stats: BatchStats = req.phase === "prefill" ? prefillBatch(req.batch, req.seqLen, windows) : decodeBatch(req.batch, req.seqLen, windows);
  const model = buildStepModel(ir, hw, plan, req.phase, engine, eff, run.useKernelTables);
  const step = model.breakdown(stats);

  const rowsByType = new Map<string, LayerTypeRow>();
  for (const { op, time } of step.ops) {
    const r = rowsByType.get(op.layerType) ?? {
      layerType: op.layerType, layers: op.layers, flops: 0, gemmFlops: 0, attentionFlops: 0, weightBytes: 0,
      activationBytes: 0, kvBytes: 0, commBytes: 0, seconds: 0, bound: time.bound, sources: [],
    };
    const n = op.layers;
    r.flops += n * op.flops;
    if (op.kind === "attention") r.attentionFlops += n * op.flops;
    else r.gemmFlops += n * op.flops;
    r.weightBytes += n * op.weightBytes;
    r.activationBytes += n * op.activationBytes;
    r.kvBytes += n * op.kvBytes;
    r.commBytes += n * (op.comm?.bytes ?? 0);
    r.seconds += n * time.seconds;
    if (!r.sources.includes(time.source)) r.sources.push(time.source);
    rowsByType.set(op.layerType, r);
  }
  // A row's bound is the bound of its slowest op.
  for (const r of rowsByType.values()) {
    let worst = -1;
    for (const { op, time } of step.ops) if (op.layerType === r.layerType && time.seconds > worst) { worst = time.seconds; r.bound = time.bound; }
  }
  const rows = [...rowsByType.values()];
  const gpus = replicaGpus(plan[req.phase]);

  const sumOf = (key: keyof LayerTypeRow, unit: string, what: string): Explained => {
    const inputs: Record<string, Explained> = {};
    for (const r of rows) inputs[r.layerType] = fact(r[key] as number, unit, "derived", `${what} of ${r.layers} × ${r.layerType} (lib/cost/ops.ts)`);
    return derive(rows.reduce((s, r) => s + (r[key] as number), 0), unit, `Σ over layer types (${Object.keys(inputs).join(" + ")})`, inputs);
  };
  const stepTime = derive(step.total, "s", engine.host_overlap.value ? "max(GPU time (Σ ops × layers), host overhead) (overlap scheduler)" : "GPU time (Σ ops × layers) + host overhead", {
    gpu_time: sumOf("seconds", "s", "op time"),
    host_overhead: derive(step.host, "s", "step_overhead + per_seq_overhead · sequences", {
      step_overhead: fact(engine.step_overhead_ms.value / 1e3, "s", calibrated("step_overhead_ms") ? "calibration" : "data", `data/engines/${engine.id}.json step_overhead_ms: ${engine.step_overhead_ms.source}`),
      per_seq_overhead: fact(engine.per_seq_overhead_us.value / 1e6, "s", calibrated("per_seq_overhead_us") ? "calibration" : "data", `data/engines/${engine.id}.json per_seq_overhead_us: ${engine.per_seq_overhead_us.source}`),
      sequences: fact(stats.seqs, "sequences", "override", "request batch"),
    }),
  });
  const tokens = fact(stats.tokens, "tokens", "override", `${req.phase === "prefill" ? "batch × prompt length" : "batch (one token each)"}`);
  const tput = derive(stats.tokens / step.total / gpus, "tokens/s/GPU", "tokens / step time / GPUs", {
    tokens,
    step_time: stepTime,
    gpus: fact(gpus, "GPUs", "derived", "replica GPUs of the plan (stage GPUs × pp)"),
  });
  const memPolicy = memoryPolicyOf(engine);
  const memory = memoryReport(ir, hw, plan, plan[req.phase], memPolicy);
  const violations = validatePlan(ir, plan);
  const needKv = req.phase === "prefill" ? req.batch * req.seqLen : req.batch * (req.seqLen + 1);
  if (memory.kvPoolPerGpu.value < 0) {
    violations.push({ severity: "error", phase: req.phase, field: "memory", message: `weights (${(memory.weightsPerGpu.value / 1e9).toFixed(1)} GB/GPU) exceed usable memory (${(memory.usablePerGpu.value / 1e9).toFixed(1)} GB)`, fix: "raise TP/EP/PP, or use a smaller weight dtype" });
  } else if (memory.kvCapacityTokens.value * plan[req.phase].attention.dp < needKv) {
    violations.push({ severity: "error", phase: req.phase, field: "memory", message: `KV for ${needKv} tokens exceeds the pool (${Math.floor(memory.kvCapacityTokens.value)} tokens per attention rank)`, fix: "reduce batch or context, use an fp8 KV cache, or add GPUs" });
  }
  const assumptions: Assumption[] = [
    { what: "MoE routing", value: "uniform over experts within a rank; the busiest EP rank priced at its power-law load (data/cost/moe.json)", why: "assumption (lib/cost/moe.ts, lib/cost/expert-parallel.ts rankImbalance)" },
    { what: "DP-attention balance", value: "sequences split evenly across attention-DP ranks", why: "assumption" },
    { what: "engine", value: `${engine.name} ${engine.version}`, why: `data/engines/${engine.id}.json` },
  ];
  for (const [k, f] of Object.entries(eff)) if (f.kind !== "default") assumptions.push({ what: `efficiency ${k}`, value: String(f.value), why: `${f.kind}: ${f.source}` });
  assumptions.push(...run.assumptions);
  // Measured kernels far slower than their roofline bound: flagged (data/cost/checks.json).
  const flags = flaggedOps(step.ops);
  assumptions.push(...flags);
  for (const f of flags) violations.push({ severity: "warning", phase: req.phase, field: "kernel time", message: f.value, fix: "check the kernel table point (its shape, dtype and caveats) or time the op by the roofline" });
  return {
    model: ir.id, hardware: hw.id, engine: engine.id, phase: req.phase, batch: req.batch, seqLen: req.seqLen, gpus, rows, step,
    totals: {
      flops: sumOf("flops", "FLOP", "FLOPs"),
      weightBytes: sumOf("weightBytes", "B", "weight bytes"),
      kvBytes: sumOf("kvBytes", "B", "KV bytes"),
      commBytes: sumOf("commBytes", "B", "collective message bytes"),
      stepTime,
      tokensPerSecondPerGpu: tput,
    },
    bottleneck: step.bottleneck,
    memory,
    minimumChips: minimumChips(ir, hw, plan, memPolicy, req.batch * (req.seqLen + 1), (p) => !validatePlan(ir, p).some((v) => v.severity === "error")) ?? null,
    violations,
    assumptions,
    kernelSource: model.opts.tables?.name ?? "roofline (no measured tables for this hardware × engine)",
    calibration: run.calibration?.name ?? "none",
  };
}
