import { attentionWindows } from "../model/build";
/**
 * Deployment sizing: for a model, a GPU, prompt/output lengths and a TTFT budget, search tensor
 * parallelism (within one node), weight precision and load with the serving simulator, and return
 * the configuration serving the most requests/s per GPU whose TTFT statistic meets the budget.
 *
 * Load model. Sizing charts quote "requests per second": a rate of independent users, not a number
 * of benchmark clients. We therefore drive each replica with an OPEN-LOOP Poisson workload at rate λ
 * (a closed loop at concurrency C would also give a rate, but its arrivals are throttled by its own
 * latency, so a slow configuration "meets" TTFT by slowing its clients down; an open loop cannot hide
 * queueing). λ is searched — geometric bracketing around an analytic anchor, then bisection in log
 * space to a relative tolerance (2% by default) — for the largest rate that is *sustained*:
 *   1. the TTFT statistic (mean, p90 or p99) over the steady part of the run is within the budget;
 *   2. the replica keeps up with arrivals: no unbounded queue. The service rate μ shows in the
 *      trend of latency: with μ < λ request i leaves at ≈ i/μ but arrived at ≈ i/λ, so its latency
 *      grows by λ/μ − 1 seconds per second of arrivals. We fit that slope (least squares of E2E and
 *      of TTFT against arrival time, after warm-up; see steadyStats) and report achieved =
 *      λ / (1 + slope), requiring achieved ≥ keepUp · λ (0.97). Unlike "requests / (last finish −
 *      first arrival)" this is not biased by the finite run's drain tail.
 * Every simulation of a candidate uses the same seed, so arrival times at rate λ are the same draws
 * scaled by 1/λ (common random numbers): feasibility moves smoothly with λ and the search is stable.
 *
 * Pruning (so a 16-row chart runs in about a minute on two cores):
 *   - memory: weights that do not fit, or a KV pool smaller than one request, rule a candidate out
 *     without simulating;
 *   - one request: its TTFT (one cheap simulation: a single prefill plus the frontend overhead) is
 *     the floor of every TTFT statistic at any load; above the budget the candidate is infeasible;
 *   - throughput bound: a replica cannot finish prompts faster than its cheapest prefill allows —
 *     the single-request prefill, or k prompts packed into one full token-budget step, per prompt
 *     (prefill is compute-bound: batching prompts beyond a full step does not make them cheaper) —
 *     so rps per GPU ≤ 1 / (prefill seconds per request · TP). Candidates are tried in decreasing
 *     order of that bound; one whose bound (with a safety slack for decode riding along) cannot
 *     beat the best rate found so
 *     far is skipped, unless `exhaustive` is set.
 */
import type { Dtype } from "../core/dtypes";
import { InputError, parseOrThrow } from "../core/validate";
import { getHardware } from "../hardware/registry";
import type { HardwareProfile } from "../hardware/schema";
import type { DtypeGroup, ModelIR } from "../model/ir";
import { loadModel } from "../model/registry";
import { distribution } from "../metrics/summary";
import { memoryReport } from "../parallel/memory";
import { ParallelPlan, simplePlan, type ParallelPlanInput } from "../parallel/plan";
import { validatePlan } from "../parallel/validate";
import { resolveCalibration, type Calibration } from "../reconcile/calibration";
import { getEngine, type EngineProfile, memoryPolicyOf } from "../serving/engine";
import type { Request } from "../serving/replica";
import { simulate } from "../serving/simulate";
import type { WorkloadInput } from "../serving/workload";
import { defaultEfficiency, type Efficiency } from "../step/efficiency";
import { buildStepModel } from "../step/estimate";
import { prefillBatch } from "../cost/batch";

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
  /** Fraction of the arrival span treated as warm-up at least (also ≥ 1.5 mean E2E, ≤ half the span). */
  warmupFraction: number;
  /** Slack on the prefill throughput bound when pruning (the bound is not exact for mixed batches). */
  pruneSlack: number;
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
  pruneSlack: 1.3,
};

export interface SizingRequest {
  model: string | ModelIR;
  hardware: string | HardwareProfile;
  /** Prompt and output tokens per request (fixed lengths). */
  isl: number;
  osl: number;
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

/** GPUs per node: scale-up domain, at most 8 (an HGX / PCIe server). */
export function nodeGpus(hw: HardwareProfile): number {
  return Math.min(8, hw.scale_up.domain_gpus.value);
}

/** Check a positive finite number, naming the field in the error. */
export function positive(v: unknown, field: string, integer = false): number {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new InputError(`${field} must be ${integer ? "a whole number ≥ 1" : "a number > 0"} (got "${String(v)}")`);
  }
  return n;
}

function slopeOf(xs: number[], ys: number[]): number {
  if (xs.length < 3) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : 0;
}

type SteadyStats = Omit<Trial, "tp" | "precision" | "gpus" | "stage" | "feasible" | "reason" | "seconds" | "rpsPerGpu"> & { span: number; trendRequests: number };

/**
 * Simulated requests → statistics over the steady part of the run.
 *  - warm-up: arrivals in the first max(warmupFraction · span, 1.5 · mean E2E) (≤ half the span) see
 *    an emptier system than steady state and are dropped;
 *  - TTFT statistics: every arrival after warm-up;
 *  - queue growth: least-squares slope of E2E and of TTFT against arrival time, over the requests
 *    after warm-up that also finished before the last arrival (a request still running after the
 *    last arrival decodes with fewer peers: its E2E would understate the load). With a service rate
 *    μ < λ, request i leaves at ≈ i/μ and arrives at ≈ i/λ, so its latency grows at λ/μ − 1 per
 *    second: achieved μ = λ / (1 + slope), with the larger of the two slopes (a backlog shows in
 *    TTFT when requests wait for admission, in E2E when the running batch grows). The number in the
 *    system, arrivals − completions, has the same slope in expectation but its Poisson fluctuations
 *    (±√L) make it an order of magnitude noisier.
 */
function steadyStats(requests: Request[], rate: number, s: SearchSettings): SteadyStats {
  const byArrival = [...requests].sort((a, b) => a.arrival - b.arrival);
  const t0 = byArrival[0].arrival;
  const tLast = byArrival[byArrival.length - 1].arrival;
  const span = tLast - t0;
  const e2eAll = byArrival.reduce((a, r) => a + (r.finish - r.arrival), 0) / byArrival.length;
  const warmup = Math.min(0.5 * span, Math.max(s.warmupFraction * span, 1.5 * e2eAll));
  const steady = byArrival.filter((r) => r.arrival - t0 >= warmup);
  const ttft = distribution(steady.map((r) => r.firstToken - r.arrival));
  const e2e = steady.reduce((a, r) => a + (r.finish - r.arrival), 0) / steady.length;
  const tpots = steady.filter((r) => r.output > 1).map((r) => (r.finish - r.firstToken) / (r.output - 1));
  const tpot = tpots.length ? tpots.reduce((a, b) => a + b, 0) / tpots.length : NaN;
  const trend = steady.filter((r) => r.finish <= tLast);
  const xs = trend.map((r) => r.arrival);
  const slope = Math.max(0, slopeOf(xs, trend.map((r) => r.finish - r.arrival)), slopeOf(xs, trend.map((r) => r.firstToken - r.arrival)));
  const achievedRate = rate / (1 + slope);
  return {
    rate, requests: requests.length, ttft: NaN, ttftMean: ttft.mean, ttftP90: ttft.p90, ttftP99: ttft.p99, e2eMean: e2e, tpotMs: tpot * 1e3,
    achievedRate, keepUp: achievedRate / rate, concurrency: rate * e2e, span, trendRequests: trend.length,
  };
}

const statOf = (t: { ttftMean: number; ttftP90: number; ttftP99: number }, s: TtftStat): number => (s === "mean" ? t.ttftMean : s === "p90" ? t.ttftP90 : t.ttftP99);

const fmt = (x: number, d = 3): string => (Number.isFinite(x) ? Number(x.toPrecision(d)).toString() : String(x));

export function sizeDeployment(req: SizingRequest): SizingResult {
  const started = Date.now();
  const s: SearchSettings = { ...DEFAULT_SETTINGS, ...(req.settings ?? {}) };
  const isl = positive(req.isl, "isl (input tokens)", true);
  const osl = positive(req.osl, "osl (output tokens)", true);
  const budget = positive(req.ttftBudgetSec, "ttft budget (seconds)");
  const targetRps = positive(req.targetRps ?? 10, "target rps");
  const stat: TtftStat = req.ttftStat ?? "mean";
  if (!TTFT_STATS.includes(stat)) throw new InputError(`ttft statistic must be one of ${TTFT_STATS.join(", ")} (got "${String(stat)}")`);
  const ir = typeof req.model === "string" ? loadModel(req.model) : req.model;
  const hw = typeof req.hardware === "string" ? getHardware(req.hardware) : req.hardware;
  const baseEngine = typeof req.engine === "object" ? req.engine : getEngine(req.engine ?? "vllm");
  const cal = resolveCalibration(req.calibration, hw.id, baseEngine.id);
  const node = nodeGpus(hw);
  const tps = (req.tps ?? [1, 2, 4, 8]).filter((t) => t <= node);
  if (!tps.length) throw new InputError(`tp: none of ${(req.tps ?? []).join(", ")} fits one node of ${node} ${hw.id} GPUs`);
  const available = precisionsFor(hw);
  const precisions = req.precisions ?? available;
  for (const p of precisions) if (!available.includes(p)) throw new InputError(`precision ${p}: ${hw.id} has no ${p} tensor cores (dense_tflops.${p} missing); use ${available.join(" or ")}`);
  const useTables = req.useKernelTables ?? true;
  const seed = req.seed ?? 1;

  const assumptions: SizingResult["assumptions"] = [
    { what: "engine", value: `${baseEngine.name} (data/engines/${baseEngine.id}.json)`, why: "scheduler limits, memory policy and host overheads of every replica" },
    { what: "calibration", value: cal ? cal.name : "none", why: cal ? cal.describe() : req.calibration === "none" ? "calibration disabled (--calibration none): defaults from data/efficiency and data/engines" : `no profile in data/calibration applies to ${hw.id} × ${baseEngine.id}: defaults from data/efficiency and data/engines` },
    { what: "parallelism", value: `tensor parallel ${tps.join(", ")} within one node (≤ ${node} GPUs), one replica per TP group, no PP/EP`, why: "sizing chart setting: one model replica per GPU group" },
    { what: "precision", value: precisions.map((p) => (p === "fp8" ? "fp8 (E4M3 per-tensor linear weights, BF16 embedding/head)" : "bf16")).join(" and "), why: hw.dense_tflops.fp8 ? `${hw.id} has fp8 tensor cores (dense_tflops.fp8)` : `${hw.id} has no fp8 tensor cores: bf16 only` },
    { what: "KV cache", value: "bf16", why: "engines' default kv_cache_dtype auto = model dtype" },
    { what: "workload", value: `open-loop Poisson arrivals, fixed ${isl} input / ${osl} output tokens, ≥ ${s.minRequests} requests and ≥ ${s.minSpanSec} s of arrivals per run, warm-up dropped`, why: "a sizing chart's requests/s is an arrival rate of independent users" },
    { what: "sustained", value: `TTFT ${stat} ≤ ${budget} s and achieved rate ≥ ${s.keepUp}·λ (service rate λ / (1 + slope), slope = growth of E2E or TTFT per second of arrivals)`, why: "no unbounded queue" },
    { what: "TTFT", value: "client-side: arrival → first token, including the engine's request_overhead_ms (HTTP, tokenisation)", why: "as benchmark_serving measures it" },
    { what: "GPUs for target", value: `ceil(${targetRps} / (λ per replica)) replicas × TP GPUs`, why: "whole replicas of the chosen TP group" },
  ];

  const candidates: Candidate[] = [];
  const trials: Trial[] = [];
  let simulations = 0;
  const planFor = (tp: number, p: Precision): ParallelPlanInput => simplePlan({ tp, weights: precisionWeights(p), kvCache: "bf16" });

  // Engine and efficiency after calibration (the profile is per hardware × engine, not per plan).
  let engine = baseEngine;
  let eff: Efficiency = defaultEfficiency();
  if (cal) {
    const applied = cal.apply({ model: ir, hardware: hw, engine: baseEngine, workload: { kind: "closed", concurrency: 1, requests: 1, input: { kind: "fixed", value: isl }, output: { kind: "fixed", value: osl } }, aggregated: { plan: planFor(1, "bf16"), workers: 1, engine: baseEngine }, gpusCounted: 1, assumptions: [] });
    engine = applied.request.engine;
    eff = applied.efficiency;
  }
  const frontSec = engine.request_overhead_ms.value / 1e3;
  const windows = attentionWindows(ir);

  const run = (plan: ParallelPlanInput, workload: WorkloadInput) => {
    simulations++;
    return simulate({ model: ir, hardware: hw, efficiency: eff, workload, aggregated: { plan, workers: 1, engine }, seed, useKernelTables: useTables });
  };

  // 1. Fit and single request for every candidate.
  for (const tp of tps) {
    for (const precision of precisions) {
      const c: Candidate = {
        tp, precision, gpus: tp, status: "infeasible", reason: "", reasonKind: "", weightsGbPerGpu: NaN, kvCapacityTokens: NaN, singleTtft: NaN, singleE2e: NaN,
        prefillSec: NaN, boundRpsPerGpu: NaN, rate: 0, rpsPerGpu: 0, simulations: 0,
      };
      candidates.push(c);
      const blank = (stage: Trial["stage"], reason: string): Trial => ({
        tp, precision, gpus: tp, stage, rate: 0, requests: 0, ttft: NaN, ttftMean: NaN, ttftP90: NaN, ttftP99: NaN, e2eMean: NaN, tpotMs: NaN,
        achievedRate: NaN, keepUp: NaN, concurrency: NaN, rpsPerGpu: 0, feasible: false, reason, seconds: 0,
      });
      const plan = parseOrThrow(ParallelPlan, planFor(tp, precision), "parallelism plan");
      const errors = validatePlan(ir, plan).filter((v) => v.severity === "error");
      if (errors.length) {
        c.reasonKind = "plan";
        c.reason = `TP ${tp} is not a valid split: ${errors.map((e) => e.message).filter((m, i, a) => a.indexOf(m) === i).join("; ")}`;
        trials.push(blank("fit", c.reason));
        continue;
      }
      const mem = memoryReport(ir, hw, plan, plan.prefill, memoryPolicyOf(engine));
      c.weightsGbPerGpu = mem.weightsPerGpu.value / 1e9;
      c.kvCapacityTokens = Math.floor(mem.kvCapacityTokens.value);
      const reserve = engine.runtime_reserve_gb.value;
      if (mem.kvPoolPerGpu.value <= 0) {
        c.reasonKind = "memory";
        c.reason = `weights do not fit: ${fmt(c.weightsGbPerGpu)} GB/GPU + ${fmt(reserve)} GB runtime reserve exceed the usable ${fmt(mem.usablePerGpu.value / 1e9)} GB (${engine.gpu_memory_utilization.value} × ${hw.memory.capacity_gb.value} GB)`;
        trials.push(blank("fit", c.reason));
        continue;
      }
      if (c.kvCapacityTokens < isl + osl) {
        c.reasonKind = "memory";
        c.reason = `KV cache does not hold one request: pool of ${c.kvCapacityTokens} tokens < ${isl + osl} (weights ${fmt(c.weightsGbPerGpu)} GB/GPU)`;
        trials.push(blank("fit", c.reason));
        continue;
      }
      const t1 = Date.now();
      const one = run(planFor(tp, precision), { kind: "closed", concurrency: 1, requests: 1, input: { kind: "fixed", value: isl }, output: { kind: "fixed", value: osl } });
      c.simulations++;
      const r = one.requests[0];
      c.singleTtft = r.firstToken - r.arrival;
      c.singleE2e = r.finish - r.arrival;
      // Prefill seconds per request at the engine's most efficient: alone (chunked as the engine
      // would), or packed k to a step when k prompts fit the token budget (bigger GEMMs run closer
      // to peak, so a standing queue can make prefill cheaper per request than the one-request run).
      let prefill = Math.max(c.singleTtft - frontSec, 1e-6);
      const k = Math.floor(engine.max_num_batched_tokens.value / isl);
      if (k >= 2) {
        const model = buildStepModel(ir, hw, plan, "prefill", engine, eff, useTables);
        prefill = Math.min(prefill, model.time(prefillBatch(k, isl, windows)) / k);
      }
      c.prefillSec = prefill;
      c.boundRpsPerGpu = 1 / prefill / tp;
      const st: Trial = {
        ...blank("single", ""), rate: 0, requests: 1, ttft: c.singleTtft, ttftMean: c.singleTtft, ttftP90: c.singleTtft, ttftP99: c.singleTtft,
        e2eMean: c.singleE2e, tpotMs: ((c.singleE2e - c.singleTtft) / Math.max(1, osl - 1)) * 1e3, concurrency: 1, feasible: c.singleTtft <= budget, seconds: (Date.now() - t1) / 1e3,
      };
      if (c.singleTtft > budget) {
        c.reasonKind = "single";
        c.reason = `TTFT over budget even for one request: ${fmt(c.singleTtft)} s > ${budget} s`;
        st.reason = c.reason;
      }
      trials.push(st);
    }
  }

  for (const c of candidates) if (c.reasonKind !== "") req.onCandidate?.(c);

  // 2. Rate search, most promising candidates first.
  let bestPerGpu = 0;
  const order = candidates.filter((c) => c.reasonKind === "" && Number.isFinite(c.boundRpsPerGpu)).sort((a, b) => b.boundRpsPerGpu - a.boundRpsPerGpu || a.tp - b.tp);
  for (const c of order) {
    if (!req.exhaustive && c.boundRpsPerGpu * s.pruneSlack <= bestPerGpu) {
      c.status = "pruned";
      c.reasonKind = "pruned";
      c.reason = `not simulated: prefill bound ${fmt(c.boundRpsPerGpu)} rps/GPU (× ${s.pruneSlack} slack) ≤ best found ${fmt(bestPerGpu)}`;
      trials.push({ ...emptyTrial(c), stage: "pruned", reason: c.reason });
      req.onCandidate?.(c);
      continue;
    }
    const plan = planFor(c.tp, c.precision);
    const cache = new Map<number, Trial>();
    const evaluate = (rate: number): Trial => {
      const hit = cache.get(rate);
      if (hit) return hit;
      const t1 = Date.now();
      // Arrivals over ≥ minSpanSec and ≥ minSpanE2E single-request E2Es. Under load E2E can be many
      // times the single-request one (prefill-heavy steps slow every decode): if the run turns out
      // shorter than minSpanLoadedE2E loaded E2Es, or leaves too few requests for the trend, rerun longer.
      let span = Math.max(s.minSpanSec, s.minSpanE2E * c.singleE2e);
      let st: SteadyStats | undefined;
      for (let attempt = 0; attempt < 3; attempt++) {
        const n = Math.min(s.maxRequests, Math.max(s.minRequests, Math.ceil(rate * span)));
        const sim = run(plan, { kind: "open", rate, arrival: "poisson", requests: n, input: { kind: "fixed", value: isl }, output: { kind: "fixed", value: osl } });
        c.simulations++;
        st = steadyStats(sim.requests, rate, s);
        const wanted = s.minSpanLoadedE2E * st.e2eMean;
        if ((st.span >= wanted && st.trendRequests >= 0.25 * n) || n >= s.maxRequests) break;
        // Over budget already: a longer run only adds queueing (and drops less warm-up), never less.
        if (!(statOf(st, stat) <= budget)) break;
        span = Math.max(wanted, 2 * span);
      }
      st = st!;
      const ttft = statOf(st, stat);
      const reasons: string[] = [];
      if (!(ttft <= budget)) reasons.push(`TTFT ${stat} ${fmt(ttft)} s > ${budget} s`);
      if (!(st.keepUp >= s.keepUp)) reasons.push(`does not keep up: achieved ${fmt(st.achievedRate)} < ${s.keepUp}·λ (queue grows)`);
      const t: Trial = {
        tp: c.tp, precision: c.precision, gpus: c.gpus, stage: "rate", rate, requests: st.requests, ttft, ttftMean: st.ttftMean, ttftP90: st.ttftP90, ttftP99: st.ttftP99,
        e2eMean: st.e2eMean, tpotMs: st.tpotMs, achievedRate: st.achievedRate, keepUp: st.keepUp, concurrency: st.concurrency, rpsPerGpu: rate / c.gpus,
        feasible: reasons.length === 0, reason: reasons.join("; "), seconds: (Date.now() - t1) / 1e3,
      };
      cache.set(rate, t);
      trials.push(t);
      return t;
    };
    const bound = c.boundRpsPerGpu * c.tp; // per replica
    let lo = 0;
    let hi = 0;
    let loTrial: Trial | undefined;
    let hiTrial: Trial | undefined;
    // Anchor: half the prefill bound (long prompts: prefill dominates, so the answer is within ~2× of it).
    const anchor = 0.5 * bound;
    const first = evaluate(anchor);
    if (first.feasible) {
      lo = anchor;
      loTrial = first;
      for (let k = 0; k < 12; k++) {
        const t = evaluate(lo * 2);
        if (!t.feasible) {
          hi = lo * 2;
          hiTrial = t;
          break;
        }
        lo *= 2;
        loTrial = t;
      }
    } else {
      hi = anchor;
      hiTrial = first;
      // Going down: stop when a rate is feasible, or when it is too small to matter (λ·E2E < 1%).
      for (let r = anchor / 2; r * c.singleE2e >= 0.01; r /= 2) {
        const t = evaluate(r);
        if (t.feasible) {
          lo = r;
          loTrial = t;
          break;
        }
        hi = r;
        hiTrial = t;
      }
    }
    if (loTrial && hi > 0) {
      while (hi / lo > 1 + s.tolerance) {
        const mid = Math.sqrt(lo * hi);
        const t = evaluate(mid);
        if (t.feasible) {
          lo = mid;
          loTrial = t;
        } else {
          hi = mid;
          hiTrial = t;
        }
      }
    }
    if (loTrial) {
      c.status = "feasible";
      c.rate = lo;
      c.rpsPerGpu = lo / c.gpus;
      c.best = loTrial;
      bestPerGpu = Math.max(bestPerGpu, c.rpsPerGpu);
    } else {
      c.reasonKind = "load";
      c.reason = `over budget at every sustained rate tried down to ${fmt(hi)} req/s per replica (${hiTrial?.reason ?? ""}; one request alone: ${fmt(c.singleTtft)} s)`;
    }
    req.onCandidate?.(c);
  }

  // 3. The answer.
  const feasible = candidates.filter((c) => c.status === "feasible").sort((a, b) => b.rpsPerGpu - a.rpsPerGpu || a.gpus - b.gpus);
  const fits = candidates.filter((c) => Number.isFinite(c.singleTtft));
  const bestSingle = fits.length ? Math.min(...fits.map((c) => c.singleTtft)) : NaN;
  const best = feasible[0];
  let reason = "";
  if (!best) {
    if (fits.length === 0) {
      const mem = candidates.filter((c) => c.reasonKind === "memory");
      const smallest = [...mem].sort((a, b) => a.weightsGbPerGpu - b.weightsGbPerGpu)[0];
      reason = mem.length
        ? `the weights do not fit at any TP ≤ ${Math.max(...tps)} (${precisions.join("/")}): even at TP ${smallest.tp} ${smallest.precision}, ${smallest.reason}`
        : `no valid TP split: ${candidates.map((c) => c.reason).join(" | ")}`;
    } else if (fits.every((c) => c.reasonKind === "single")) {
      const b = fits.reduce((a, x) => (x.singleTtft < a.singleTtft ? x : a));
      reason = `TTFT over budget even for one request at every TP/precision: best single-request TTFT ${fmt(b.singleTtft)} s (TP ${b.tp} ${b.precision}) > ${budget} s`;
    } else {
      reason = `no sustained rate meets TTFT ${stat} ≤ ${budget} s (best single-request TTFT ${fmt(bestSingle)} s): ` + candidates.filter((c) => c.reasonKind === "load").map((c) => `TP ${c.tp} ${c.precision}: ${c.reason}`).join("; ");
    }
  }
  const replicas = best ? replicasFor(targetRps, best.rate) : NaN;
  return {
    model: ir.id, hardware: hw.id, engine: engine.id, calibration: cal?.name ?? "none", isl, osl, ttftBudgetSec: budget, ttftStat: stat, targetRps,
    feasible: !!best, best, rpsPerGpu: best?.rpsPerGpu ?? 0, replicas, gpusForTarget: best ? replicas * best.gpus : NaN,
    ttft: best?.best?.ttft ?? NaN, concurrency: best?.best?.concurrency ?? NaN, reason, bestSingleTtft: bestSingle,
    candidates, trials, assumptions, settings: s, simulations, seconds: (Date.now() - started) / 1e3,
  };
}

function emptyTrial(c: Candidate): Trial {
  return {
    tp: c.tp, precision: c.precision, gpus: c.gpus, stage: "pruned", rate: 0, requests: 0, ttft: NaN, ttftMean: NaN, ttftP90: NaN, ttftP99: NaN, e2eMean: NaN, tpotMs: NaN,
    achievedRate: NaN, keepUp: NaN, concurrency: NaN, rpsPerGpu: 0, feasible: false, reason: "", seconds: 0,
  };
}

/** The search as table rows (one per trial), for --table and --json. */
export const TABLE_COLUMNS = [
  "tp", "precision", "gpus", "stage", "rate_per_replica", "rps_per_gpu", "requests", "ttft_stat_sec", "ttft_mean_sec", "ttft_p90_sec", "ttft_p99_sec",
  "e2e_mean_sec", "tpot_ms", "achieved_rate", "keep_up", "concurrency", "feasible", "chosen", "reason",
] as const;

export function tableRows(r: SizingResult): Record<(typeof TABLE_COLUMNS)[number], string | number | boolean>[] {
  const round = (x: number, d = 4) => (Number.isFinite(x) ? Number(x.toPrecision(d)) : "");
  return r.trials.map((t) => {
    const c = r.candidates.find((x) => x.tp === t.tp && x.precision === t.precision);
    return {
      tp: t.tp, precision: t.precision, gpus: t.gpus, stage: t.stage, rate_per_replica: round(t.rate), rps_per_gpu: round(t.rpsPerGpu), requests: t.requests,
      ttft_stat_sec: round(t.ttft), ttft_mean_sec: round(t.ttftMean), ttft_p90_sec: round(t.ttftP90), ttft_p99_sec: round(t.ttftP99), e2e_mean_sec: round(t.e2eMean),
      tpot_ms: round(t.tpotMs), achieved_rate: round(t.achievedRate), keep_up: round(t.keepUp), concurrency: round(t.concurrency), feasible: t.feasible,
      chosen: !!(c && c.best === t && r.best === c), reason: t.reason,
    };
  });
}
