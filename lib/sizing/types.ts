/** What a sizing search is asked, and what it returns: candidates, every trial, the verdict. */
import type { Calibration } from "../calibration/profile";
import type { EngineProfile } from "../engine/profile";
import type { HardwareProfile } from "../hardware/schema";
import type { ModelIR } from "../model/ir";
import type { Prefix } from "../serving/workload";
import type { Precision, SearchSettings, TtftStat } from "./settings";

export interface SizingRequest {
  model: string | ModelIR;
  hardware: string | HardwareProfile;
  /** Prompt and output tokens per request (fixed lengths). */
  isl: number;
  osl: number;
  /** Shared prompt prefix (part of isl): a common system prompt or reused documents; the engine's prefix cache reuses it. */
  prefix?: Prefix;
  /** TTFT budget (seconds) for the chosen statistic. */
  ttftBudgetSec: number;
  ttftStat?: TtftStat;
  /** Requests/s to size for (default 10). */
  targetRps?: number;
  engine?: string | EngineProfile;
  /** "auto" (default): calibrationFor(hardware, engine); "none"; or a profile. */
  calibration?: "auto" | "none" | Calibration;
  /** TP degrees to consider (default 1, 2, 4, 8 up to the node size). */
  tps?: number[];
  /** Weight precisions (default bf16, plus fp8 where the GPU has fp8 tensor cores). */
  precisions?: Precision[];
  /**
   * Size so the TTFT budget holds at this one-sided confidence (e.g. 0.9): the budget applies to the
   * pessimistic TTFT, predicted × exp(q) with q the confidence-quantile of ln(actual/predicted) TTFT
   * errors measured for the request's basis (lib/uncertainty, data/uncertainty/widths.json).
   */
  confidence?: number;
  /** Search every candidate fully (no pruning): slower, gives the whole search space. */
  exhaustive?: boolean;
  useKernelTables?: boolean;
  seed?: number;
  settings?: Partial<SearchSettings>;
  /** Called after each candidate is decided (progress). */
  onCandidate?: (c: Candidate) => void;
}

/** One simulation (or a decision without one) of the search: a row of the search table. */
export interface Trial {
  tp: number;
  precision: Precision;
  gpus: number;
  /** fit: memory check; single: one request; rate: open loop at rate λ; pruned: skipped. */
  stage: "fit" | "single" | "rate" | "pruned";
  /** λ per replica (requests/s); 0 for the single-request run. */
  rate: number;
  requests: number;
  ttft: number;
  ttftMean: number;
  ttftP90: number;
  ttftP99: number;
  e2eMean: number;
  tpotMs: number;
  /** Service rate estimated from the growth of requests in the system (requests/s per replica). */
  achievedRate: number;
  keepUp: number;
  /** Mean requests in the system by Little's law (λ · mean E2E). */
  concurrency: number;
  rpsPerGpu: number;
  feasible: boolean;
  reason: string;
  seconds: number;
}

export interface Candidate {
  tp: number;
  precision: Precision;
  gpus: number;
  status: "feasible" | "infeasible" | "pruned";
  /** Why infeasible or pruned (empty when feasible). */
  reason: string;
  /** One of: plan, memory, single-request TTFT, load, pruned. */
  reasonKind: "" | "plan" | "memory" | "single" | "load" | "pruned";
  weightsGbPerGpu: number;
  kvCapacityTokens: number;
  singleTtft: number;
  singleE2e: number;
  /** Prefill seconds per request at best (alone, or packed into a full token-budget step). */
  prefillSec: number;
  /** Analytic bound on requests/s per GPU: 1 / (prefill seconds per request · TP). */
  boundRpsPerGpu: number;
  /** Best sustained λ per replica (requests/s) and its run. */
  rate: number;
  rpsPerGpu: number;
  best?: Trial;
  simulations: number;
}

export interface SizingResult {
  model: string;
  hardware: string;
  engine: string;
  calibration: string;
  isl: number;
  osl: number;
  ttftBudgetSec: number;
  ttftStat: TtftStat;
  targetRps: number;
  /** With a confidence: the margin on TTFT and the budget the predicted TTFT is held to (budget / factor). */
  confidence?: { level: number; factor: number; effectiveBudgetSec: number; basis: string; source: string };
  feasible: boolean;
  best?: Candidate;
  rpsPerGpu: number;
  /** Replicas of the best TP group for the target rate: ceil(target / λ per replica). */
  replicas: number;
  /** GPUs for the target: replicas · TP (whole replicas). */
  gpusForTarget: number;
  ttft: number;
  /** Little's law: λ · mean E2E, per replica. */
  concurrency: number;
  reason: string;
  /** Best single-request TTFT over every candidate that fits (the floor of any TTFT at any load). */
  bestSingleTtft: number;
  candidates: Candidate[];
  trials: Trial[];
  assumptions: { what: string; value: string; why: string }[];
  settings: SearchSettings;
  simulations: number;
  seconds: number;
}

