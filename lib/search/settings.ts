/**
 * The deployment search's settings, each with its reason, and the small rules it applies: which
 * engines serve which modes, which precisions a GPU runs by default, what a load level is.
 * No number inside the search's logic: each is named here.
 */
import type { HardwareProfile } from "../hardware/schema";
import type { ModelIR } from "../model/ir";

/** An engine as the user names it, the Mantile profile it stands for, and how it is deployed. */
export interface EngineChoice {
  /** The name on the command line (vllm, sglang, trtllm, dynamo). */
  name: string;
  /** data/engines profile id. */
  profile: string;
  mode: "aggregated" | "disaggregated";
  why: string;
}

export const ENGINES: Record<string, EngineChoice> = {
  vllm: { name: "vllm", profile: "vllm", mode: "aggregated", why: "vllm serve: one OpenAI server per replica, prefill and decode in one batch (V1 scheduler)" },
  sglang: { name: "sglang", profile: "sglang", mode: "aggregated", why: "python -m sglang.launch_server: one server per replica, prefill-first scheduling" },
  trtllm: { name: "trtllm", profile: "trtllm", mode: "aggregated", why: "trtllm-serve: one server per replica, in-flight batching" },
  dynamo: {
    name: "dynamo", profile: "dynamo-trt", mode: "disaggregated",
    why: "Dynamo graph with TensorRT-LLM workers: prefill and decode pools, KV moved over NIXL (data/engines/dynamo-trt.json)",
  },
};

/** Parallel layout of one worker's stage: attention and MoE split (see space.ts). */
export type Variant = "tp" | "tp-ep" | "dp-ep";
export const VARIANTS: Variant[] = ["tp", "tp-ep", "dp-ep"];
export const VARIANT_TEXT: Record<Variant, string> = {
  tp: "tensor parallel everywhere (MoE experts split by TP)",
  "tp-ep": "tensor-parallel attention, experts split by expert parallelism",
  "dp-ep": "data-parallel attention (one rank per GPU), experts split by expert parallelism",
};

export interface SearchSettings {
  /** Worker widths tried: GPUs of one pipeline stage. */
  widths: number[];
  /** Pipeline stages tried. */
  pipelineStages: number[];
  /** Token budgets per step tried besides the engine's default (0 = the engine's default). */
  tokenBudgets: number[];
  /** Closed-loop clients per replica (aggregated) or per decode worker (disaggregated). */
  concurrencies: number[];
  /** Disaggregated units: prefill and decode workers per unit, each at most this many. */
  maxUnitWorkers: number;
  /** Clients of one replica or unit at most in a simulation (a larger candidate is not simulated). */
  maxSimulatedClients: number;
  /** Requests each client sends in a simulation … */
  requestsPerClient: number;
  /** … but no more requests than this per simulation … */
  maxSimulatedRequests: number;
  /** … and at least this many per client. */
  minRequestsPerClient: number;
  /** Request lengths uniform in [ratio·L, L] (1 = fixed lengths). */
  lengthRangeRatio: number;
  /** A screened point goes to the simulator when its analytic throughput per GPU is within this share of the analytic frontier at its interactivity. */
  frontierSlack: number;
  /** Simulations at most (the closest to the analytic frontier first). */
  maxSimulations: number;
  /** Screened points within this share of each other on both axes are simulated once. */
  duplicateTolerance: number;
  /** An analytic TPOT or E2E this many times over its SLO prunes a point before simulation. */
  latencyScreenSlack: number;
  /** An analytic TTFT this many times over its SLO prunes a point (the mean-value TTFT omits queueing: it is low). */
  ttftScreenSlack: number;
  /** Steps per octave of the grid that step times are looked up on while screening … */
  gridStepsPerOctave: number;
  /** … and of the decode-worker tables of disaggregated pools (interpolated in log-log between them). */
  decodeTableStepsPerOctave: number;
  /** Weight of the new estimate in each damped step of the disaggregated fixed point. */
  damping: number;
  /** Prefill-pool utilisation above which a disaggregated unit is prefill-bound. */
  maxPrefillUtilisation: number;
  /** Fixed-point iterations of the disaggregated mean-value model at most, and its relative tolerance. */
  maxIterations: number;
  tolerance: number;
}

export const DEFAULT_SETTINGS: SearchSettings = {
  widths: [1, 2, 4, 8, 16, 32, 64],
  pipelineStages: [1],
  tokenBudgets: [0, 2048, 16384],
  concurrencies: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096],
  maxUnitWorkers: 4,
  maxSimulatedClients: 4096,
  requestsPerClient: 10,
  maxSimulatedRequests: 8192,
  minRequestsPerClient: 3,
  lengthRangeRatio: 0.8,
  frontierSlack: 0.1,
  maxSimulations: 40,
  duplicateTolerance: 0.01,
  latencyScreenSlack: 1.15,
  ttftScreenSlack: 1.5,
  gridStepsPerOctave: 8,
  decodeTableStepsPerOctave: 4,
  damping: 0.5,
  maxPrefillUtilisation: 0.95,
  maxIterations: 100,
  tolerance: 1e-6,
};

export const SETTING_REASONS: Record<keyof SearchSettings, string> = {
  widths: "powers of two: head counts and expert counts split evenly; limited to one scale-up domain and to the GPUs given",
  pipelineStages:
    "pipeline parallelism off by default: a pipelined step runs min(pp, sequences) micro-batches and each token passes all pp stages (lib/step/step-model.ts microBatches), so within one scale-up domain PP only adds hand-offs and idle stages at small batches; give --pp 1,2,4 to include it (multi-node layouts)",
  tokenBudgets: "the engine's default, a small budget (short mixed steps, smooth inter-token latency) and a large one (fewer prefill chunks, lower TTFT for long prompts); the non-default budgets of an aggregated layout are screened only when its default comes within frontierSlack of the frontier",
  concurrencies: "powers of two from one client to 4096 per replica: the frontier's points lie along load, and doubling is the resolution benchmark sweeps use",
  maxUnitWorkers: "prefill:decode worker ratios from 4:1 to 1:4 (with worker widths from 1 to 64 GPUs, GPU ratios from 256:1 to 1:256); larger units cost minutes to simulate",
  maxSimulatedClients: "a unit of more clients needs more than maxSimulatedRequests requests at minRequestsPerClient each: its simulation would take minutes",
  requestsPerClient: "InferenceMAX's client sends 10 requests per client (benchmark_serving.py --num-prompts 10×CONC)",
  maxSimulatedRequests: "bounds one simulation to about a second on a 2-core machine; fewer requests per client only at the largest loads",
  minRequestsPerClient: "three waves of requests: the first (all clients at t = 0) stays a third of the sample",
  lengthRangeRatio: "InferenceMAX / vllm bench serve --random-range-ratio 0.8: lengths uniform in [0.8·L, L]",
  frontierSlack: "the steady state is within ~2% of the simulator on throughput (README 'How accurate, how fast'); 10% keeps every point that could still reach the simulated frontier",
  maxSimulations: "40 simulations of about a second (20 per mode when both are searched) trace each mode's frontier and fit the 60 s target on two cores with the screening",
  duplicateTolerance: "points within 1% on both axes (e.g. token budgets that do not change a decode-heavy load) are one point to the frontier: the closest stands for them",
  latencyScreenSlack: "the steady-state TPOT is within a few percent of the simulator's mean; 15% leaves room for its error",
  ttftScreenSlack: "the mean-value TTFT leaves out queueing and so is below the simulated TTFT; 1.5× keeps borderline points for the simulator",
  gridStepsPerOctave: "1/8 octave (9%) in batch and prefill tokens changes a step time by a few percent at most, and lets the fixed point reuse evaluations",
  decodeTableStepsPerOctave: "a decode step's time is smooth in batch between quarter octaves (log-log interpolation); 4 points per octave keep a 64-GPU worker's table to ~50 step evaluations",
  damping: "half the new estimate, as lib/serving/steady-state.ts damps its fixed point: converges without oscillating between load levels",
  maxPrefillUtilisation: "a prefill pool above 95% busy queues without bound in a closed loop's mean-value model",
  maxIterations: "the damped fixed point converges in 20–40 iterations; 100 bounds a pathological case",
  tolerance: "relative change of the step time between iterations below one part in a million",
};

/** Precisions tried by default: FP4 and FP8 where the GPU has tensor cores for them, else BF16. */
export const DEFAULT_PRECISIONS = ["fp4", "fp8"] as const;
export const PRECISION_REASON =
  "FP4 and FP8 weights where the GPU has tensor cores for them (dense_tflops.fp4 / fp8 in data/hardware): served checkpoints of large models are FP8 or FP4; BF16 when the GPU has neither (--precisions bf16 to include it)";

export function defaultPrecisions(hw: HardwareProfile): string[] {
  const have = DEFAULT_PRECISIONS.filter((p) => hw.dense_tflops[p] !== undefined);
  return have.length ? [...have] : ["bf16"];
}

/** Whether the model carries a multi-token-prediction module (speculative decoding by MTP applies). */
export function hasMtp(ir: ModelIR): boolean {
  return ir.extraModules.some((m) => m.name.startsWith("multi-token prediction"));
}

/** Speculative method tried (data/speculative.json) when the model has MTP modules. */
export const SPECULATIVE_METHOD = "mtp";

/** Round x to the geometric grid with `k` steps per octave. */
export function gridValue(x: number, k: number): number {
  return Math.pow(2, Math.round(Math.log2(x) * k) / k);
}
