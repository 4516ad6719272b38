/**
 * The sizing search's settings, each with its reason, and the small rules it applies: which
 * precisions a GPU can run, what a replica count is, what counts as a valid number.
 */
import type { Dtype } from "../core/dtypes";
import { InputError } from "../core/validate";
import type { HardwareProfile } from "../hardware/schema";
import type { DtypeGroup } from "../model/ir";

export type TtftStat = "mean" | "p90" | "p99";
export const TTFT_STATS: TtftStat[] = ["mean", "p90", "p99"];
export type Precision = "bf16" | "fp8";

export interface SearchSettings {
  /** Relative width of the final rate bracket (hi / lo − 1). */
  tolerance: number;
  /** Sustained: achieved rate ≥ keepUp · λ. */
  keepUp: number;
  /** Requests per simulation at least, and arrivals spanning at least this many seconds … */
  minRequests: number;
  minSpanSec: number;
  /** … and at least this many single-request E2E times (so warm-up is a small part of the run) … */
  minSpanE2E: number;
  /** … and at least this many mean E2E times at the simulated load (else the run is repeated longer). */
  minSpanLoadedE2E: number;
  /** Requests per simulation at most (bounds the cost of very fast configurations). */
  maxRequests: number;
  /** Fraction of the arrival span treated as warm-up at least … */
  warmupFraction: number;
  /** … and at least this many mean E2E times … */
  warmupE2E: number;
  /** … but at most this fraction of the span. */
  maxWarmupFraction: number;
  /** Slack on the prefill throughput bound when pruning (the bound is not exact for mixed batches). */
  pruneSlack: number;
  /** The first rate tried, as a fraction of the prefill bound per replica. */
  anchorFraction: number;
  /** Doublings of the rate tried at most while it stays feasible. */
  maxDoublings: number;
  /** Going down, rates whose load λ·(single-request E2E) falls below this are not tried. */
  minLoad: number;
  /** Runs of one rate at most (each longer when the run was too short for the trend). */
  maxAttempts: number;
  /** A run is long enough when at least this fraction of its requests finish before the last arrival (the trend's sample). */
  minTrendFraction: number;
  /** TP degrees tried by default (those within one node). */
  tps: number[];
}

export const DEFAULT_SETTINGS: SearchSettings = {
  tolerance: 0.02,
  keepUp: 0.97,
  minRequests: 400,
  minSpanSec: 120,
  minSpanE2E: 30,
  minSpanLoadedE2E: 8,
  maxRequests: 4000,
  warmupFraction: 0.2,
  warmupE2E: 1.5,
  maxWarmupFraction: 0.5,
  pruneSlack: 1.3,
  anchorFraction: 0.5,
  maxDoublings: 12,
  minLoad: 0.01,
  maxAttempts: 3,
  minTrendFraction: 0.25,
  tps: [1, 2, 4, 8],
};

/** Why each setting has its value (shown with --json and in notebook 06). */
export const SETTING_REASONS: Record<keyof SearchSettings, string> = {
  tolerance: "2% of the rate: below the simulator's run-to-run spread at these request counts",
  keepUp: "a 3% shortfall is within the slope estimate's noise; a real backlog grows faster",
  minRequests: "enough arrivals after warm-up for p99 TTFT to rest on a few requests, not one",
  minSpanSec: "two minutes of arrivals, as sizing charts' load tests run at least",
  minSpanE2E: "warm-up (about 1.5 E2E) stays a small part of the run",
  minSpanLoadedE2E: "under load a run must span several loaded E2Es for the queue trend to show",
  maxRequests: "bounds the cost of very fast configurations; 4000 requests already fix TTFT percentiles to ~1%",
  warmupFraction: "the first fifth of arrivals sees an emptier system than steady state",
  warmupE2E: "requests arriving within 1.5 E2E of the start overlap the ramp-up",
  maxWarmupFraction: "at most half the run is dropped, so the rest still has enough requests",
  pruneSlack: "decode riding along with prefill can make the prefill bound optimistic by up to ~30%",
  anchorFraction: "long prompts are prefill-bound, so the sustained rate is within ~2× of half the prefill bound",
  maxDoublings: "2^12 above the anchor is beyond any physical rate",
  minLoad: "below 1% load a replica is idle: TTFT there is the single-request TTFT",
  maxAttempts: "each retry at least doubles the span; three cover a 4× misjudged run length",
  minTrendFraction: "a quarter of the requests is the smallest sample the E2E trend is stable on",
  tps: "tensor parallel in powers of two (head counts split evenly), limited to one node",
};

/**
 * Replicas for a target rate: ceil(target / λ per replica), whole replicas (a relative 1e-9 guards
 * against 10 / 2.5 = 4.000000000000001). GPUs = replicas · TP = ceil(target / (rps per GPU · TP)) · TP.
 */
export function replicasFor(targetRps: number, ratePerReplica: number): number {
  return Math.ceil((targetRps / ratePerReplica) * (1 - 1e-9));
}

const LINEAR: DtypeGroup[] = ["attention", "ffn", "experts"];

/** Weight dtypes of a precision: fp8 = per-tensor E4M3 linear weights, BF16 embedding/head/norms. */
export function precisionWeights(p: Precision): Partial<Record<DtypeGroup, Dtype>> {
  const out: Partial<Record<DtypeGroup, Dtype>> = {};
  if (p === "fp8") for (const g of LINEAR) out[g] = "fp8";
  else for (const g of [...LINEAR, "router", "embedding", "lm_head"] as DtypeGroup[]) out[g] = "bf16";
  return out;
}

/** Precisions a GPU can run: bf16 everywhere; fp8 where dense_tflops.fp8 exists (fp8 tensor cores). */
export function precisionsFor(hw: HardwareProfile): Precision[] {
  return hw.dense_tflops.fp8 ? ["bf16", "fp8"] : ["bf16"];
}

/** Check a positive finite number, naming the field in the error. */
export function positive(v: unknown, field: string, integer = false): number {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new InputError(`${field} must be ${integer ? "a whole number ≥ 1" : "a number > 0"} (got "${String(v)}")`);
  }
  return n;
}

