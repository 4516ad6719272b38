/**
 * The run bundle file: one JSON holding every input of a prediction, versioned by its `schema` field.
 *
 *   { "schema": "mantile.bundle/v1", "created": …, "model": { id, config_source, config, summary, ir },
 *     "hardware": <HardwareProfile>, "engine": <EngineProfile>, "efficiency": <factor defaults>,
 *     "calibration": { name, description, parameters } | null, "overrides": { param: value },
 *     "run": { aggregated | disaggregated, workload, gpus_counted, concurrency, seed, kernel_tables, max_run },
 *     "kernel_tables": { system, framework, files: [{ path, sha256 }] } | null,
 *     "assumptions": [...], "prediction": { the numbers at export time } }
 */
import { z } from "zod";
import { defaultEfficiency, FACTOR_NAMES, type FactorName } from "../calibration/efficiency";
import { PARAM_NAMES, type ParamName } from "../calibration/parameters";
import { EngineProfile } from "../engine/profile";
import { HardwareProfile } from "../hardware/schema";
import { ParallelPlan } from "../parallel/plan";
import { Workload } from "../serving/workload";

export const BUNDLE_SCHEMA = "mantile.bundle/v1";

const SOURCE_KINDS = ["config", "derived", "data", "measurement", "override", "calibration", "default", "assumption"] as const;

const Factor = z.object({ value: z.number().nonnegative(), unit: z.string(), min: z.number(), max: z.number(), kind: z.enum(SOURCE_KINDS), source: z.string() }).strict();
/** Factors added after a bundle was written take their library default (data/efficiency/defaults.json), recorded as such. */
const ADDED_FACTORS: FactorName[] = ["moe_overlap", "moe_routing_skew"];
export const EfficiencyZ = z.preprocess(
  (o) => (o && typeof o === "object" ? { ...Object.fromEntries(ADDED_FACTORS.map((n) => [n, defaultEfficiency()[n]])), ...(o as object) } : o),
  z.object(Object.fromEntries(FACTOR_NAMES.map((n) => [n, Factor])) as Record<FactorName, typeof Factor>).strict(),
);

export const ParamValuesZ = z
  .record(z.string(), z.number())
  .superRefine((o, ctx) => {
    for (const k of Object.keys(o)) {
      if (!(PARAM_NAMES as string[]).includes(k)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [k], message: `unknown parameter; use one of ${PARAM_NAMES.join(", ")}` });
    }
  })
  .transform((o) => o as Partial<Record<ParamName, number>>);

const Provenance = z.object({ kind: z.enum(SOURCE_KINDS), source: z.string() }).strict();
const Tensor = z.object({ name: z.string(), shape: z.array(z.number()), params: z.number(), group: z.string() }).strict();
/** The model IR (lib/model/ir.ts): checked field by field down to the layers; layer specs pass through. */
export const ModelIRZ = z
  .object({
    id: z.string(),
    family: z.string(),
    hidden: z.number().int().positive(),
    vocab: z.number().int().positive(),
    blocks: z.number().int().positive(),
    layers: z
      .array(
        z
          .object({
            index: z.number().int(),
            block: z.number().int().nullable(),
            kind: z.enum(["embedding", "attention", "ffn", "moe", "norm", "lm_head"]),
            type: z.string(),
            name: z.string(),
            tensors: z.array(Tensor),
            params: z.number(),
            attention: z.record(z.unknown()).optional(),
            ffn: z.record(z.unknown()).optional(),
            moe: z.record(z.unknown()).optional(),
          })
          .strict(),
      )
      .min(1),
    defaultDtypes: z.record(z.string()),
    maxContext: z.number(),
    provenance: z.record(Provenance),
    extraModules: z.array(z.object({ name: z.string(), params: z.number() }).strict()),
    ignoredFields: z.record(z.string()),
    defaultKvDtype: z.string().optional(),
    logitSoftcap: z.number().optional(),
    assumptions: z.array(z.string()).optional(),
  })
  .strict();

const Pool = z.object({ plan: ParallelPlan, workers: z.number().int().min(1) }).strict();
const TableChoice = z.union([z.boolean(), z.array(z.enum(["gemm", "attention", "moe", "comm"]))]);

const Memory = z.object({ weights_per_gpu_gb: z.number(), kv_pool_per_gpu_gb: z.number(), kv_capacity_tokens: z.number() }).strict();
export const BundlePrediction = z
  .object({
    throughput_per_gpu: z.number(),
    output_throughput_per_gpu: z.number(),
    ttft_sec: z.number(),
    p99_ttft_sec: z.number(),
    tpot_sec: z.number(),
    e2e_latency_sec: z.number(),
    bottleneck: z.string(),
    memory: Memory,
    prefill_memory: Memory.nullable(),
  })
  .strict();

/**
 * The prediction's intervals as pinned data (issue 16): the basis phrase and, per metric, the measured
 * quantiles of ln(actual/predicted) its width came from, so `predict --bundle` reproduces the bounds
 * without data/uncertainty. Absent in bundles exported before intervals existed.
 */
export const BundleIntervals = z
  .object({
    basis: z.string(),
    nominal: z.number(),
    metrics: z.record(z.object({ low: z.number(), high: z.number(), low_ln_ratio: z.number(), high_ln_ratio: z.number(), width_class: z.string(), n: z.number().int(), source: z.string() }).strict()),
  })
  .strict();

export const Bundle = z
  .object({
    schema: z.literal(BUNDLE_SCHEMA),
    created: z.string(),
    generator: z.object({ tool: z.literal("mantile"), version: z.string(), commit: z.string().nullable() }).strict(),
    label: z.string(),
    source: z
      .object({
        kind: z.enum(["flags", "csv", "api"]),
        file: z.string().nullable(),
        /** 1-based data row of the CSV. */
        row: z.number().int().nullable(),
        config_row: z.record(z.string()).nullable(),
      })
      .strict(),
    model: z
      .object({
        id: z.string(),
        config_source: z.string().nullable(),
        config: z.record(z.unknown()).nullable(),
        summary: z.object({ family: z.string(), params: z.number(), blocks: z.number(), hidden: z.number(), layers: z.number(), ir_sha256: z.string() }).strict(),
        ir: ModelIRZ,
      })
      .strict(),
    hardware: HardwareProfile,
    engine: EngineProfile,
    efficiency: EfficiencyZ,
    calibration: z.object({ name: z.string(), description: z.string(), parameters: ParamValuesZ }).strict().nullable(),
    overrides: ParamValuesZ,
    run: z
      .object({
        aggregated: Pool.nullable(),
        disaggregated: z.object({ prefill: Pool, decode: Pool }).strict().nullable(),
        workload: Workload,
        gpus_counted: z.number().int().min(1),
        concurrency: z.number().int().min(1),
        seed: z.number().int(),
        kernel_tables: TableChoice,
        max_run: z.number().int().min(1).nullable(),
        /** Request fields passed to the simulator as is (e.g. speculative decoding). */
        extra: z.record(z.unknown()).default({}),
      })
      .strict()
      .refine((r) => !r.aggregated !== !r.disaggregated, { message: "give exactly one of run.aggregated or run.disaggregated (the other null)" }),
    kernel_tables: z.object({ system: z.string(), framework: z.string(), files: z.array(z.object({ path: z.string(), sha256: z.string() }).strict()) }).strict().nullable(),
    assumptions: z.array(z.object({ what: z.string(), value: z.string(), why: z.string() }).strict()),
    prediction: BundlePrediction,
    intervals: BundleIntervals.optional(),
  })
  .strict();
export type Bundle = z.infer<typeof Bundle>;
export type BundleInput = z.input<typeof Bundle>;
