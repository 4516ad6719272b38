/**
 * resolveRun: the one place a request's inputs are loaded and combined — model IR, hardware, engine,
 * calibration (fitted or transferred) and user overrides, plans and workload — each recorded with its
 * provenance. estimate, predict, size, audit, bundles and notebooks all take the resolved run; a bundle
 * resolves from its pinned copies (`Sources`) instead of data/.
 */
import { defaultEfficiency, type Efficiency } from "../calibration/efficiency";
import { checkParameters, type ParamValues } from "../calibration/parameters";
import { applyParameters, type Calibration } from "../calibration/profile";
import { resolveCalibration } from "../calibration/transfer";
import { InputError, parseOrThrow } from "../core/validate";
import { getEngine, memoryPolicyOf, withEngineOverrides, type EngineProfile } from "../engine/profile";
import { getHardware } from "../hardware/registry";
import type { HardwareProfile } from "../hardware/schema";
import type { ModelIR } from "../model/ir";
import { loadModel } from "../model/registry";
import { withFullAttention } from "../model/build";
import { bytesPerElement } from "../core/dtypes";
import { applyEngineDefaults, sglangMaxRunning } from "../engine/defaults";
import { resolveExpertParallel } from "../cost/expert-parallel";
import { platformAssumptions } from "../step/checks";
import { memoryReport } from "../parallel/memory";
import { ParallelPlan, replicaGpus } from "../parallel/plan";
import { meanLength, Workload } from "../serving/workload";
import type { Pool, PoolRequest, ResolvedRun, RunRequest } from "./request";

/** Where inputs come from: the registries in data/ (default), or a bundle's pinned copies. */
export interface Sources {
  model(id: string): ModelIR;
  hardware(name: string): HardwareProfile;
  engine(name: string): EngineProfile;
  efficiency(): Efficiency;
  calibration(choice: RunRequest["calibration"], hardwareId: string, engineId: string): Calibration | undefined;
}

export const REGISTRY: Sources = {
  model: (id) => loadModel(id),
  hardware: getHardware,
  engine: getEngine,
  efficiency: defaultEfficiency,
  calibration: resolveCalibration,
};

const USER_OVERRIDE = "user override (--set)";

/** The dtype bytes an engine builder counts: weights of the linear layers, and the KV cache. */
function builderBytes(plan: ParallelPlan, model: ModelIR): { weightBytes: number; kvBytes: number } {
  const linear = plan.weights.ffn ?? plan.weights.experts ?? model.defaultDtypes.ffn ?? model.defaultDtypes.experts;
  return { weightBytes: bytesPerElement(linear), kvBytes: bytesPerElement(plan.kvCache) };
}

/** The MoE expert weight dtype a request runs (its plan's, else the checkpoint's); undefined for a dense model. */
export function expertDtypeOf(model: ModelIR, req: Pick<RunRequest, "aggregated" | "disaggregated">): string | undefined {
  if (!model.layers.some((l) => l.moe)) return undefined;
  const plan = (req.aggregated ?? req.disaggregated?.decode)?.plan as { weights?: Partial<Record<string, string>> } | undefined;
  return plan?.weights?.experts ?? model.defaultDtypes.experts;
}

/**
 * A calibration limited to what it was fitted on: moe_compute times the grouped GEMMs of one expert weight
 * format, so a run whose experts have another dtype keeps the default (recorded in the name and reason).
 */
/** What a calibration's name says when moe_compute was left out for another expert dtype (scopeCalibration). */
export const WITHOUT_MOE_COMPUTE = " (without moe_compute)";

/** The calibration a (possibly scoped) calibration name came from, and whether moe_compute was left out. */
export function unscopedName(name: string): { name: string; withoutMoeCompute: boolean } {
  return name.endsWith(WITHOUT_MOE_COMPUTE) ? { name: name.slice(0, -WITHOUT_MOE_COMPUTE.length), withoutMoeCompute: true } : { name, withoutMoeCompute: false };
}

function scopeCalibration(cal: Calibration | undefined, model: ModelIR, req: RunRequest): Calibration | undefined {
  const dtype = expertDtypeOf(model, req);
  if (!cal || cal.values.moe_compute === undefined || !cal.expertDtypes || dtype === undefined || cal.expertDtypes.includes(dtype)) return cal;
  // moe_overlap describes the same grouped-GEMM kernels as moe_compute: both stay at their defaults.
  const { moe_compute: _dropped, moe_overlap: _overlap, moe_routing_skew: _skew, ...values } = cal.values;
  const also = (["moe_overlap", "moe_routing_skew"] as const).filter((k) => cal.values[k] !== undefined);
  const why = `${cal.describe()}; ${["moe_compute", ...also].join(", ")} not applied: fitted on ${cal.expertDtypes.join("/")} experts, this run's are ${dtype} (defaults kept)`;
  return { ...cal, name: `${cal.name}${WITHOUT_MOE_COMPUTE}`, values, describe: () => why };
}

export function resolveRun(req: RunRequest, sources: Sources = REGISTRY): ResolvedRun {
  const given = typeof req.model === "string" ? sources.model(req.model) : req.model;
  const hardware = typeof req.hardware === "string" ? sources.hardware(req.hardware) : req.hardware;
  const baseEngine = typeof req.engine === "object" ? req.engine : sources.engine(req.engine ?? "vllm");
  const assumptions = [...(req.assumptions ?? [])];
  // An engine version that does not apply a family's sliding window runs it as full attention (data/engines sliding_window_ignored).
  const ignored = baseEngine.sliding_window_ignored;
  const model = ignored?.families.includes(given.family) ? withFullAttention(given) : given;
  if (model !== given) assumptions.push({ what: "sliding window", value: "not applied: full attention, full-length KV", why: `${baseEngine.id} with ${given.family}: ${ignored!.source}` });
  const cal = scopeCalibration(sources.calibration(req.calibration, hardware.id, baseEngine.id), model, req);
  const overrides = checkParameters({ ...(req.overrides ?? {}) });
  const baseEfficiency = sources.efficiency();
  const workload = req.workload === undefined ? undefined : parseOrThrow(Workload, req.workload, "workload");
  const settings = req.engineSettings ?? {};

  // Calibrated factors and engine times replace the defaults; user overrides win over both; factors
  // given whole (req.efficiency) replace the efficiency factors but not the engine times.
  const calibrate = (eff: Efficiency, engine: EngineProfile) => {
    let x = { efficiency: eff, engine };
    if (cal) x = applyParameters(cal.values, x.efficiency, x.engine, "calibration", `calibration ${cal.name}`);
    if (Object.keys(overrides).length) x = applyParameters(overrides, x.efficiency, x.engine, "override", USER_OVERRIDE);
    return x;
  };
  const run = calibrate(baseEfficiency, baseEngine);
  const efficiency = req.efficiency ?? run.efficiency;
  const means = workload && workload.kind !== "trace" ? { input: meanLength(workload.input), output: meanLength(workload.output) } : undefined;
  /**
   * A pool's engine: the profile's defaults for this GPU, plan and usage (lib/engine/defaults.ts), then the
   * request's own engine settings (CSV columns, flags), then calibration; SGLang's max_running_requests
   * follows from the KV pool when not set.
   */
  const engineOf = (p: PoolRequest, plan: ParallelPlan, phase: "prefill" | "decode", what: string): EngineProfile => {
    const profile = p.engine === undefined ? baseEngine : typeof p.engine === "object" ? p.engine : sources.engine(p.engine);
    const ph = plan[phase];
    const d = applyEngineDefaults(profile, {
      hardware, model, usage: workload?.kind === "offline" ? "offline" : "serve", tp: ph.attention.tp * ph.attention.dp, pp: ph.pp, dp: ph.attention.dp,
      meanInput: means?.input ?? 1, meanOutput: means?.output ?? 1, ...builderBytes(plan, model),
    });
    assumptions.push(...d.assumptions.map((a) => ({ ...a, what: `${what} ${a.what}` })));
    let engine = Object.keys(settings).length ? withEngineOverrides(d.engine, settings, req.engineSettingsSource ?? "request") : d.engine;
    if (profile.defaults.rule === "sglang-gpu-memory" && settings.max_num_seqs === undefined) {
      const mem = memoryReport(model, hardware, plan, ph, memoryPolicyOf(engine));
      const cap = sglangMaxRunning(profile, Math.max(0, mem.kvCapacityTokens.value), model.maxContext);
      const why = `${profile.defaults.source}: max_running_requests = min(KV tokens / 2, request pool) = ${cap}`;
      engine = withEngineOverrides(engine, { max_num_seqs: cap }, why);
      assumptions.push({ what: `${what} engine max_num_seqs`, value: String(cap), why });
    }
    return calibrate(baseEfficiency, engine).engine;
  };
  const poolOf = (p: PoolRequest, what: "aggregated" | "prefill" | "decode"): Pool => {
    if (!(Number.isInteger(p.workers) && p.workers >= 1)) throw new InputError(`${what} workers must be a whole number ≥ 1 (got ${p.workers})`);
    const parsed = parseOrThrow(ParallelPlan, p.plan, `${what} parallelism plan`);
    // Expert-parallel exchange, all-to-all kernels, EPLB and two-batch overlap: the plan's, else the engine's rule.
    const profile = p.engine === undefined ? baseEngine : typeof p.engine === "object" ? p.engine : sources.engine(p.engine);
    const ep = resolveExpertParallel(model, parsed, profile, hardware, what);
    assumptions.push(...ep.assumptions);
    return { plan: ep.plan, workers: p.workers, engine: engineOf(p, ep.plan, what === "prefill" ? "prefill" : "decode", what) };
  };
  if (!req.aggregated === !req.disaggregated) throw new InputError("give exactly one of aggregated or disaggregated pools");
  const aggregated = req.aggregated && poolOf(req.aggregated, "aggregated");
  const disaggregated = req.disaggregated && { prefill: poolOf(req.disaggregated.prefill, "prefill"), decode: poolOf(req.disaggregated.decode, "decode") };
  const gpusOf = (p: Pool, phase: "prefill" | "decode") => replicaGpus(p.plan[phase]) * p.workers;
  const gpusCounted = req.gpusCounted ?? (aggregated ? gpusOf(aggregated, "decode") : gpusOf(disaggregated!.prefill, "prefill") + gpusOf(disaggregated!.decode, "decode"));

  // Where kernel efficiencies come from on this platform (tables, vendor figures, or uncalibrated).
  assumptions.push(...platformAssumptions(hardware, (aggregated ?? disaggregated!.decode).engine, efficiency, cal?.file));
  if (cal) assumptions.push({ what: "calibration", value: cal.name, why: cal.describe() });
  else assumptions.push({ what: "calibration", value: "none", why: "defaults from data/efficiency and data/engines" });
  if (Object.keys(overrides).length) assumptions.push({ what: "overrides", value: Object.entries(overrides).map(([k, v]) => `${k}=${v}`).join(", "), why: USER_OVERRIDE });

  return {
    label: req.label ?? `${model.id} on ${hardware.id} (${baseEngine.id})`,
    model, hardware, engine: (aggregated ?? disaggregated!.decode).engine, baseEngine, efficiency, baseEfficiency,
    calibration: cal ? { name: cal.name, description: cal.describe(), values: { ...cal.values } } : null,
    overrides: overrides as ParamValues,
    aggregated, disaggregated, workload,
    gpusCounted, speculative: req.speculative, seed: req.seed ?? 1, useKernelTables: req.useKernelTables ?? true, maxRun: req.maxRun, assumptions,
    requestAssumptions: [...(req.assumptions ?? [])],
    engineSettings: { ...settings },
  };
}

/** The pool whose decode steps set TPOT: the aggregated pool, or the decode pool. */
export function decodePool(r: ResolvedRun): Pool {
  return r.aggregated ?? r.disaggregated!.decode;
}

/** The pool that prefills prompts: the aggregated pool, or the prefill pool. */
export function prefillPool(r: ResolvedRun): Pool {
  return r.aggregated ?? r.disaggregated!.prefill;
}

/** Replace the engine of a resolved run everywhere (the run and its pools). */
export function withEngine(r: ResolvedRun, engine: EngineProfile): ResolvedRun {
  return {
    ...r,
    engine,
    aggregated: r.aggregated ? { ...r.aggregated, engine } : undefined,
    disaggregated: r.disaggregated ? { prefill: { ...r.disaggregated.prefill, engine }, decode: { ...r.disaggregated.decode, engine } } : undefined,
  };
}
