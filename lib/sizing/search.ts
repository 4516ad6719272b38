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
import { InputError } from "../core/validate";
import { getEngine } from "../engine/profile";
import { getHardware, nodeGpus } from "../hardware/registry";
import { loadModel } from "../model/registry";
import { simplePlan, type ParallelPlanInput } from "../parallel/plan";
import { resolveRun } from "../run/resolve";
import { simulate } from "../serving/simulate";
import type { WorkloadInput } from "../serving/workload";
import { confidenceMargin } from "../uncertainty/interval";
import { fmt, searchRate } from "./rate";
import { blankTrial, screenCandidate } from "./screen";
import { DEFAULT_SETTINGS, positive, precisionsFor, precisionWeights, TTFT_STATS, type Precision, type SearchSettings, type TtftStat } from "./settings";
import type { Candidate, SizingRequest, SizingResult, Trial } from "./types";
import { verdict } from "./verdict";

export * from "./settings";
export * from "./types";
export { tableRows, TABLE_COLUMNS } from "./verdict";

export function sizeDeployment(req: SizingRequest): SizingResult {
  const started = Date.now();
  const s: SearchSettings = { ...DEFAULT_SETTINGS, ...(req.settings ?? {}) };
  const isl = positive(req.isl, "isl (input tokens)", true);
  const osl = positive(req.osl, "osl (output tokens)", true);
  const userBudget = positive(req.ttftBudgetSec, "ttft budget (seconds)");
  const targetRps = positive(req.targetRps ?? 10, "target rps");
  const stat: TtftStat = req.ttftStat ?? "mean";
  if (!TTFT_STATS.includes(stat)) throw new InputError(`ttft statistic must be one of ${TTFT_STATS.join(", ")} (got "${String(stat)}")`);
  const ir = typeof req.model === "string" ? loadModel(req.model) : req.model;
  const hw = typeof req.hardware === "string" ? getHardware(req.hardware) : req.hardware;
  const baseEngine = typeof req.engine === "object" ? req.engine : getEngine(req.engine ?? "vllm");
  const node = nodeGpus(hw);
  const tps = (req.tps ?? s.tps).filter((t) => t <= node);
  if (!tps.length) throw new InputError(`tp: none of ${(req.tps ?? []).join(", ")} fits one node of ${node} ${hw.id} GPUs`);
  const available = precisionsFor(hw);
  const precisions = req.precisions ?? available;
  for (const p of precisions) if (!available.includes(p)) throw new InputError(`precision ${p}: ${hw.id} has no ${p} tensor cores (dense_tflops.${p} missing); use ${available.join(" or ")}`);
  const planFor = (tp: number, p: Precision): ParallelPlanInput => simplePlan({ tp, weights: precisionWeights(p), kvCache: "bf16" });
  // Every candidate is resolved like any prediction: calibration (per hardware × engine) applied once per run.
  const resolve = (tp: number, p: Precision) =>
    resolveRun({ model: ir, hardware: hw, engine: baseEngine, aggregated: { plan: planFor(tp, p), workers: 1 }, calibration: req.calibration, seed: req.seed ?? 1, useKernelTables: req.useKernelTables ?? true });
  const first = resolve(tps[0], precisions[0]);
  const cal = first.calibration;
  // With a confidence, the predicted TTFT is held to budget / margin, so the pessimistic TTFT meets the budget.
  const margin = req.confidence === undefined ? undefined : confidenceMargin(first, "ttft", positive(req.confidence, "confidence"), "open");
  const budget = margin ? userBudget / margin.factor.value : userBudget;

  const assumptions: SizingResult["assumptions"] = [
    { what: "engine", value: `${baseEngine.name} (data/engines/${baseEngine.id}.json)`, why: "scheduler limits, memory policy and host overheads of every replica" },
    { what: "calibration", value: cal ? cal.name : "none", why: cal ? cal.description : req.calibration === "none" ? "calibration disabled (--calibration none): defaults from data/efficiency and data/engines" : `no profile in data/calibration applies to ${hw.id} × ${baseEngine.id}: defaults from data/efficiency and data/engines` },
    { what: "parallelism", value: `tensor parallel ${tps.join(", ")} within one node (≤ ${node} GPUs), one replica per TP group, no PP/EP`, why: "sizing chart setting: one model replica per GPU group" },
    { what: "precision", value: precisions.map((p) => (p === "fp8" ? "fp8 (E4M3 per-tensor linear weights, BF16 embedding/head)" : "bf16")).join(" and "), why: hw.dense_tflops.fp8 ? `${hw.id} has fp8 tensor cores (dense_tflops.fp8)` : `${hw.id} has no fp8 tensor cores: bf16 only` },
    { what: "KV cache", value: "bf16", why: "engines' default kv_cache_dtype auto = model dtype" },
    { what: "workload", value: `open-loop Poisson arrivals, fixed ${isl} input / ${osl} output tokens, ≥ ${s.minRequests} requests and ≥ ${s.minSpanSec} s of arrivals per run, warm-up dropped`, why: "a sizing chart's requests/s is an arrival rate of independent users" },
    ...(req.prefix
      ? [{ what: "shared prefix", value: `${req.prefix.tokens} of the ${isl} prompt tokens shared by ${(100 * req.prefix.reuse).toFixed(0)}% of requests (${req.prefix.groups ?? 1} distinct)`, why: `${baseEngine.name} prefix cache ${baseEngine.prefix_caching.enabled ? "on" : "off"}: ${baseEngine.prefix_caching.source}` }]
      : []),
    { what: "sustained", value: `TTFT ${stat} ≤ ${fmt(budget)} s${margin ? " (predicted: the budget ÷ the confidence margin)" : ""} and achieved rate ≥ ${s.keepUp}·λ (service rate λ / (1 + slope), slope = growth of E2E or TTFT per second of arrivals)`, why: "no unbounded queue" },
    { what: "TTFT", value: "client-side: arrival → first token, including the engine's request_overhead_ms (HTTP, tokenisation)", why: "as benchmark_serving measures it" },
    { what: "GPUs for target", value: `ceil(${targetRps} / (λ per replica)) replicas × TP GPUs`, why: "whole replicas of the chosen TP group" },
  ];
  if (margin) {
    assumptions.push({
      what: "confidence",
      value: `TTFT ${stat} at the ${margin.confidence} one-sided quantile = predicted × ${fmt(margin.factor.value)}: predicted TTFT held to ${fmt(userBudget)} / ${fmt(margin.factor.value)} = ${fmt(budget)} s`,
      why: `${margin.basis.phrase}; ${margin.source} (measured on mean TTFT, applied to the ${stat})`,
    });
  }

  const candidates: Candidate[] = [];
  const trials: Trial[] = [];
  const runs = new Map<Candidate, ReturnType<typeof resolve>>();
  let simulations = 0;
  const simulateRun = (run: ReturnType<typeof resolve>, workload: WorkloadInput) => {
    simulations++;
    return simulate({ ...run, workload });
  };

  // 1. Screen every candidate: plan, memory, one request alone, prefill bound.
  for (const tp of tps) {
    for (const precision of precisions) {
      const c: Candidate = {
        tp, precision, gpus: tp, status: "infeasible", reason: "", reasonKind: "", weightsGbPerGpu: NaN, kvCapacityTokens: NaN, singleTtft: NaN, singleE2e: NaN,
        prefillSec: NaN, boundRpsPerGpu: NaN, rate: 0, rpsPerGpu: 0, simulations: 0,
      };
      candidates.push(c);
      const run = resolve(tp, precision);
      runs.set(c, run);
      trials.push(screenCandidate(c, run, { isl, osl, budget, prefix: req.prefix, simulate: (w) => simulateRun(run, w) }));
    }
  }
  for (const c of candidates) if (c.reasonKind !== "") req.onCandidate?.(c);

  // 2. Rate search, most promising candidates first; a candidate whose bound cannot beat the best found is pruned.
  let bestPerGpu = 0;
  const order = candidates.filter((c) => c.reasonKind === "" && Number.isFinite(c.boundRpsPerGpu)).sort((a, b) => b.boundRpsPerGpu - a.boundRpsPerGpu || a.tp - b.tp);
  for (const c of order) {
    if (!req.exhaustive && c.boundRpsPerGpu * s.pruneSlack <= bestPerGpu) {
      c.status = "pruned";
      c.reasonKind = "pruned";
      c.reason = `not simulated: prefill bound ${fmt(c.boundRpsPerGpu)} rps/GPU (× ${s.pruneSlack} slack) ≤ best found ${fmt(bestPerGpu)}`;
      trials.push(blankTrial(c, "pruned", c.reason));
      req.onCandidate?.(c);
      continue;
    }
    const run = runs.get(c)!;
    searchRate(c, planFor(c.tp, c.precision), { settings: s, stat, budget, isl, osl, prefix: req.prefix, trials, simulate: (_plan, w) => simulateRun(run, w) });
    if (c.status === "feasible") bestPerGpu = Math.max(bestPerGpu, c.rpsPerGpu);
    req.onCandidate?.(c);
  }

  // 3. The answer.
  const v = verdict(candidates, { tps, precisions, budget, stat, targetRps });
  return {
    model: ir.id, hardware: hw.id, engine: first.engine.id, calibration: cal?.name ?? "none", isl, osl, ttftBudgetSec: userBudget, ttftStat: stat, targetRps,
    confidence: margin && { level: margin.confidence, factor: margin.factor.value, effectiveBudgetSec: budget, basis: margin.basis.phrase, source: margin.source },
    feasible: v.feasible, best: v.best, rpsPerGpu: v.best?.rpsPerGpu ?? 0, replicas: v.replicas, gpusForTarget: v.gpusForTarget,
    ttft: v.best?.best?.ttft ?? NaN, concurrency: v.best?.best?.concurrency ?? NaN, reason: v.reason, bestSingleTtft: v.bestSingleTtft,
    candidates, trials, assumptions, settings: s, simulations, seconds: (Date.now() - started) / 1e3,
  };
}
