/** What a deployment search is asked, what it explores, and what it returns. */
import type { RunPrediction } from "../run/predict";
import type { ResolvedRun } from "../run/request";
import type { WorkloadInput } from "../serving/workload";
import type { SearchSettings, Variant } from "./settings";

/** Service-level objectives; each is optional. Latencies in seconds, interactivity in output tokens/s per user. */
export interface Slo {
  ttftP90?: number;
  ttftP99?: number;
  /** Mean time per output token. */
  tpot?: number;
  /** Output tokens/s one user sees: 1 / mean TPOT, at least. */
  tokensPerUser?: number;
  /** Mean end-to-end latency. */
  e2e?: number;
}

/** Metrics an interval hook can widen (issue 16): the pessimistic end is used for SLO checks. */
export type IntervalMetric = "ttftP90" | "ttftP99" | "tpot" | "e2e";
export interface Band {
  p10: number;
  p90: number;
}
/** The prediction interval of a run (p10, p90 of each metric it knows); a metric it leaves out keeps its point value. */
export type IntervalOf = (run: ResolvedRun, prediction: RunPrediction) => Partial<Record<IntervalMetric, Band>>;

/** How one worker (a replica, or one worker of a disaggregated pool) lays out its GPUs. */
export interface WorkerLayout {
  /** GPUs of one pipeline stage. */
  width: number;
  pp: number;
  variant: Variant;
}

/** A deployment shape without its load: engine, precision, speculative decoding, token budget and worker layouts. */
export interface Layout {
  /** Stable text id, e.g. "vllm fp4 TP4 tok0" or "dynamo fp8 P[DP8·EP8]×1 D[DP32·EP32]×2 mtp". */
  id: string;
  engine: string;
  profile: string;
  mode: "aggregated" | "disaggregated";
  precision: string;
  speculative: boolean;
  /** Token budget per step of the (prefill) workers; 0 = the engine's default. */
  tokenBudget: number;
  /** The replica (aggregated). */
  worker?: WorkerLayout;
  /** The pools (disaggregated): one unit is `ratio.prefill` prefill workers and `ratio.decode` decode workers. */
  prefill?: WorkerLayout;
  decode?: WorkerLayout;
  ratio?: { prefill: number; decode: number };
}

/** A layout at a load: closed-loop clients per replica (aggregated) or per unit (disaggregated). */
export interface Candidate {
  layout: Layout;
  concurrency: number;
}

/** How a candidate fills the GPUs given: whole replicas (units), all at the same load. */
export interface Deployment {
  /** Replicas (aggregated) or units (disaggregated). */
  units: number;
  gpusPerUnit: number;
  gpusUsed: number;
  /** Clients over the whole deployment. */
  concurrency: number;
  /** Disaggregated: prefill and decode workers over the whole deployment. */
  prefillWorkers?: number;
  decodeWorkers?: number;
}

/** A point's headline numbers: throughput (input + output tokens) and output throughput per GPU, interactivity, latencies. */
export interface PointMetrics {
  throughputPerGpu: number;
  outputThroughputPerGpu: number;
  /** Output tokens/s per user: 1 / mean TPOT. */
  tokPerUser: number;
  ttft: number;
  tpot: number;
  e2e: number;
}

export interface Screened {
  candidate: Candidate;
  analytic: PointMetrics;
}

export interface SloCheck {
  slo: keyof Slo;
  target: number;
  /** The value held to the target: the point value, or the pessimistic end of the interval with --confidence. */
  value: number;
  /** The point prediction. */
  point: number;
  met: boolean;
  /** Share of simulated requests that meet the target on their own (TTFT, TPOT, E2E); NaN for throughput-type SLOs. */
  shareOfRequests: number;
}

export interface Evaluated extends PointMetrics {
  id: string;
  candidate: Candidate;
  deployment: Deployment;
  ttftP90: number;
  ttftP99: number;
  e2eP90: number;
  slo: SloCheck[];
  meetsSlo: boolean;
  /** USD per million tokens (input + output) and per million output tokens, at the hardware's price per GPU-hour. */
  costPerMillionTokens: number;
  costPerMillionOutputTokens: number;
  bottleneck: string;
  /** Memory of the (decode) worker and of the prefill worker. */
  memory: { weightsPerGpuGB: number; kvPoolPerGpuGB: number; kvCapacityTokens: number };
  prefillMemory?: { weightsPerGpuGB: number; kvPoolPerGpuGB: number; kvCapacityTokens: number };
  /** The engine settings the prediction assumed, per worker (what the launch config sets). */
  engineSettings: { decode: WorkerSettings; prefill?: WorkerSettings };
  analytic: PointMetrics;
  typicalDecode: { batch: number; context: number };
  preemptions: number;
  requests: number;
  calibration: string;
  seconds: number;
}

/** Engine settings of one worker: per attention-DP rank batch cap, token budget per rank, memory fraction, KV dtype. */
export interface WorkerSettings {
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  gpuMemoryUtilization: number;
  memoryBasis: "total" | "free";
  kvCacheDtype: string;
  cudaGraphMaxBatch: number;
  kvBlockSize: number;
}

export type PruneStage = "plan" | "memory" | "kv" | "slo" | "dominated" | "not-simulated" | "simulation";

export interface Pruned {
  layoutId: string;
  /** Clients, when the decision is about one load level of the layout. */
  concurrency?: number;
  stage: PruneStage;
  reason: string;
  /** How many layouts or points this record stands for (default 1). */
  count?: number;
}

export interface SearchRequest {
  model: string;
  hardware: string;
  gpus: number;
  /** Prompt and output tokens per request (nominal lengths; spread by settings.lengthRangeRatio). */
  isl?: number;
  osl?: number;
  /** A workload file's content instead of isl / osl: its length distributions are used (closed, open, offline), or its mean lengths (trace). */
  workload?: WorkloadInput;
  slo?: Slo;
  engines?: string[];
  precisions?: string[];
  /** Speculative decoding: tried on and off where the model has MTP ("auto"), or forced. */
  speculative?: "auto" | "on" | "off";
  calibration?: "auto" | "none";
  useKernelTables?: boolean;
  seed?: number;
  /** With an interval hook: SLOs are checked at this quantile's pessimistic end (0.5–0.9). */
  confidence?: number;
  intervalOf?: IntervalOf;
  /** Worker threads (default: every core; 1 = this thread). */
  jobs?: number;
  settings?: Partial<SearchSettings>;
  onProgress?: (p: SearchProgress) => void;
}

export interface SearchProgress {
  phase: "screen" | "simulate" | "done";
  done: number;
  total: number;
  screened: number;
  simulated: number;
  seconds: number;
}

export interface Neighbour {
  /** What differs from the chosen point (e.g. "engine", "precision", "load"). */
  dimension: string;
  id: string;
  /** The neighbour's own value of that dimension. */
  value: string;
  throughputPerGpu: number;
  tokPerUser: number;
  /** Relative difference from the chosen point (neighbour / chosen − 1). */
  throughputDelta: number;
  tokPerUserDelta: number;
  /** Simulated, or known only from the analytic screen (its numbers scaled by the chosen point's simulated / analytic ratio). */
  source: "simulated" | "analytic";
  verdict: string;
}

export interface SearchResult {
  model: string;
  hardware: string;
  gpus: number;
  isl: number;
  osl: number;
  slo: Slo;
  confidence?: number;
  engines: string[];
  precisions: string[];
  usdPerGpuHour: number;
  counts: { layouts: number; layoutsPruned: number; screened: number; simulated: number };
  prunedCounts: Partial<Record<PruneStage, number>>;
  /** Layout-level prunes and the not-simulated reasons (load-level prunes are counted in prunedCounts). */
  pruned: Pruned[];
  evaluated: Evaluated[];
  frontier: Evaluated[];
  chosen?: Evaluated;
  neighbours: Neighbour[];
  assumptions: { what: string; value: string; why: string }[];
  settings: SearchSettings;
  seconds: { screen: number; simulate: number; total: number };
  jobs: number;
}
