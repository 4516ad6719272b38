/**
 * What a user or a caller asks to predict, before anything is resolved, and the resolved run every
 * stage downstream takes: model IR, hardware, engine and efficiency factors (calibration and
 * overrides applied), parsed plans and workload, with each input's provenance.
 */
import type { Efficiency } from "../calibration/efficiency";
import type { ParamValues } from "../calibration/parameters";
import type { Calibration } from "../calibration/profile";
import type { Assumption } from "../core/explain";
import type { EngineSetting, EngineProfile } from "../engine/profile";
import type { Speculative } from "../engine/speculative";
import type { HardwareProfile } from "../hardware/schema";
import type { ModelIR } from "../model/ir";
import type { ParallelPlan, ParallelPlanInput } from "../parallel/plan";
import type { Workload, WorkloadInput } from "../serving/workload";
import type { KernelTableChoice } from "../step/kernel-source";

export interface PoolRequest {
  plan: ParallelPlanInput;
  /** Replicas (workers) in the pool. */
  workers: number;
  /** The pool's engine (default: the run's engine). */
  engine?: string | EngineProfile;
}

export interface RunRequest {
  /** Hugging Face id, alias, data/models stem, a config.json path, or an IR. */
  model: string | ModelIR;
  /** Hardware id, alias or vendor spelling, a profile path, or a profile. */
  hardware: string | HardwareProfile;
  /** Engine id or alias (default vllm), or a profile. */
  engine?: string | EngineProfile;
  /** Exactly one of: one pool doing prefill and decode, or disaggregated prefill and decode pools. */
  aggregated?: PoolRequest;
  disaggregated?: { prefill: PoolRequest; decode: PoolRequest };
  /** Omitted for a single-step estimate. */
  workload?: WorkloadInput;
  /** GPUs per-GPU throughput is divided by (default: all GPUs of all pools). */
  gpusCounted?: number;
  speculative?: Speculative;
  /** "auto" (the profile for this hardware × engine, or a transfer; default), "none", or a profile. */
  calibration?: "auto" | "none" | Calibration;
  /** Calibration parameters set by the user, applied after the calibration. */
  overrides?: ParamValues;
  /** Engine settings the request states (a CSV's max_batch_size, max_num_tokens, gpu_memory_utilization; flags): they replace the engine's defaults. */
  engineSettings?: Partial<Record<EngineSetting, number>>;
  /** Where those settings came from (shown as their source). */
  engineSettingsSource?: string;
  /** Efficiency factors given whole: they replace the defaults and the calibrated factors. */
  efficiency?: Efficiency;
  seed?: number;
  useKernelTables?: KernelTableChoice;
  maxRun?: number;
  /** Mapping assumptions made before resolution (e.g. converting a benchmark row). */
  assumptions?: Assumption[];
  label?: string;
}

export interface Pool {
  plan: ParallelPlan;
  workers: number;
  engine: EngineProfile;
}

export interface ResolvedRun {
  label: string;
  model: ModelIR;
  hardware: HardwareProfile;
  /** The run's engine with calibration and overrides applied. */
  engine: EngineProfile;
  /** The engine profile as data/engines has it (before calibration), for audits and bundles. */
  baseEngine: EngineProfile;
  efficiency: Efficiency;
  /** Efficiency defaults before calibration (data/efficiency/defaults.json). */
  baseEfficiency: Efficiency;
  calibration: { name: string; description: string; values: ParamValues } | null;
  overrides: ParamValues;
  aggregated?: Pool;
  disaggregated?: { prefill: Pool; decode: Pool };
  workload?: Workload;
  gpusCounted: number;
  speculative?: Speculative;
  seed: number;
  useKernelTables: KernelTableChoice;
  maxRun?: number;
  /** Every assumption: the request's (mapping) ones, then those resolution added (calibration, overrides). */
  assumptions: Assumption[];
  /** The request's own assumptions (what a pinned run carries forward). */
  requestAssumptions: Assumption[];
  /** Engine settings the request stated (carried forward by a pinned run). */
  engineSettings: Partial<Record<EngineSetting, number>>;
}
