/** The audit log's data: entries with provenance and impacts, step coverage, the run described. */
import type { RunPrediction } from "../run/predict";
import type { AuditInterval } from "./interval";

export const AUDIT_SCHEMA = "mantile.audit/v1";

/** Percent change of each headline metric against the unperturbed prediction. */
export interface MetricChange {
  throughput: number;
  ttft: number;
  tpot: number;
  e2e: number;
}

export interface Perturbed {
  /** Requested factor (0.8 or 1.2) and the value actually used. */
  factor: number;
  value: number;
  /** The ±20% value fell outside the parameter's bounds and was clamped to `bound`. */
  clamped: boolean;
  bound?: number;
  change: MetricChange | null;
  error?: string;
}

export interface Impact {
  param: string;
  base: number;
  /** Relative perturbation: the input was set to base·(1 − step) (`lower`) and base·(1 + step) (`upper`). */
  step: number;
  lower: Perturbed;
  upper: Perturbed;
}

export type AuditKind =
  | "default" // a documented library default (data/efficiency/defaults.json)
  | "uncertain" // a data figure its source marks uncertain (engine placeholders, disputed datasheet numbers)
  | "calibration" // fitted by mantile calibrate
  | "override" // set by the user for this run
  | "datasheet" // a hardware datasheet figure (perturbed for sensitivity)
  | "mapping" // how the benchmark row was mapped to the model (lib/reconcile/convert.ts)
  | "calibration-profile" // which calibration profile applies
  | "kernel-tables"; // measured-table coverage and extrapolation

export interface AuditEntry {
  what: string;
  /** Machine name of the perturbed input ("efficiency.memory_bandwidth", "engine.step_overhead_ms", "hardware.memory.bandwidth_tbps"), null for categorical entries. */
  param: string | null;
  value: string;
  unit: string;
  kind: AuditKind;
  provenance: string;
  impact: Impact | null;
  /** Categorical entries: the prediction with the alternative choice (no calibration; roofline only). */
  alternative: { label: string; change: MetricChange | null; error?: string } | null;
  note?: string;
  /** Largest |% change| of any headline metric under ±step (or of the alternative); 0 when not perturbed. */
  score: number;
}

export interface StepCoverage {
  step: string;
  gpuMs: number;
  /** Shares of GPU time: measured table (interpolated), measured table (extrapolated), roofline. */
  tableShare: number;
  extrapolatedShare: number;
  rooflineShare: number;
  extrapolatedOps: string[];
  /** Measured ops more than data/cost/checks.json roofline_flag_ratio × their roofline bound (lib/step/checks.ts). */
  flaggedOps: string[];
}

export interface AuditLog {
  schema: typeof AUDIT_SCHEMA;
  label: string;
  created: string;
  run: { model: string; hardware: string; engine: string; gpus: number; plan: string; workload: string; calibration: string; kernelTables: string };
  prediction: RunPrediction | null;
  /** The 80% interval of each metric, its basis, and the assumption that contributes most to its width (issue 16). */
  interval?: AuditInterval | null;
  entries: AuditEntry[];
  coverage: StepCoverage[];
  timing: { runs: number; ms: number };
  notes: string[];
}

export interface AuditOptions {
  /** Re-run the prediction with each input at −step and +step (default true). */
  impacts?: boolean;
  /** Relative perturbation (default 0.2 = ±20%). */
  step?: number;
  /** Only these params (e.g. ["efficiency.memory_bandwidth"]); default all. */
  only?: string[];
  /** Also run the categorical alternatives (no calibration, roofline only); default true. */
  alternatives?: boolean;
  onProgress?: (done: number, total: number) => void;
}

