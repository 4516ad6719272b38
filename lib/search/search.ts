/**
 * `mantile search`: the deployments of a model on N GPUs of one kind — aggregated replicas and
 * disaggregated prefill/decode units, each engine, precision, worker layout (TP, EP, DP-attention,
 * PP), speculative decoding on or off, token budget, and load — and the throughput-per-GPU vs
 * tokens-per-user frontier of those that meet the SLOs.
 *
 *  1. generate (space.ts) the layouts;
 *  2. screen (tasks.ts → screen.ts) on worker threads: plan and memory fit, then the analytic steady
 *     state at every load level the KV cache holds (aggregated: lib/serving/steady-state.ts over the
 *     layout's step models, first at the engine's default token budget, the other budgets only for
 *     layouts near the frontier; disaggregated: each pool tabulated once and combined per unit
 *     ratio); drop what already misses an SLO;
 *  3. simulate (evaluate.ts) the points near the analytic frontier of each mode, resolved and
 *     predicted like every prediction (resolveRun → simulateRun);
 *  4. the frontier (frontier.ts) of the simulated points that meet the SLOs, the point to deploy and
 *     why its neighbours lose (explain.ts).
 */
import { InputError } from "../core/validate";
import { getHardware } from "../hardware/registry";
import { loadModel } from "../model/registry";
import { weightsFor } from "../reconcile/row-precision";
import { searchAssumptions } from "./assumptions";
import { finishEvaluation, type FinishContext } from "./evaluate";
import { choose, neighbours } from "./explain";
import { closeness, frontierOf, nearFrontier } from "./frontier";
import { shapeOf } from "./request";
import { aggregatedTasks, analyticMiss, collectAggregated, combineDisaggregated, countStages, poolTasks, sloScreen } from "./screen";
import { DEFAULT_SETTINGS, defaultPrecisions, ENGINES, hasMtp, PRECISION_REASON, SETTING_REASONS, type SearchSettings } from "./settings";
import { aggregatedLayouts, disaggregatedCount, poolSpaces } from "./space";
import { requestContext, type TaskContext, type TaskResult } from "./tasks";
import { defaultJobs, taskRunner, type TaskRunner } from "./threads";
import type { Candidate, Evaluated, Layout, Pruned, Screened, SearchProgress, SearchRequest, SearchResult, Slo } from "./types";

export { SETTING_REASONS, DEFAULT_SETTINGS };

const xOf = (p: Evaluated) => p.tokPerUser;
const yOf = (p: Evaluated) => p.throughputPerGpu;
const ax = (p: Screened) => p.analytic.tokPerUser;
const ay = (p: Screened) => p.analytic.throughputPerGpu;
const modeOf = (p: Screened) => p.candidate.layout.mode;

function checkSlo(slo: Slo): Slo {
  for (const [k, v] of Object.entries(slo)) {
    if (v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v > 0)) throw new InputError(`SLO ${k} must be a number > 0 (got ${v})`);
  }
  return slo;
}

function speculativeStates(req: SearchRequest, mtp: boolean, model: string): boolean[] {
  const mode = req.speculative ?? "auto";
  if (mode === "on" && !mtp) throw new InputError(`--speculative on: ${model} has no multi-token-prediction module (num_nextn_predict_layers); use auto or off`);
  return mode === "off" || !mtp ? [false] : mode === "on" ? [true] : [false, true];
}

/** An aggregated layout without its token budget (what the refinement pass widens). */
const familyOf = (l: Layout) => `${l.engine}|${l.precision}|${JSON.stringify(l.worker)}|${l.speculative}`;

/** Progress reporting shared by the phases. */
class Progress {
  screened = 0;
  constructor(private readonly started: number, private readonly on?: (p: SearchProgress) => void) {}
  report(phase: SearchProgress["phase"], done: number, total: number, simulated: number): void {
    this.on?.({ phase, done, total, screened: this.screened, simulated, seconds: (Date.now() - this.started) / 1e3 });
  }
}

/** Screening on the runner: default-budget aggregated layouts and every pool, then the other budgets of the layouts near the frontier. */
async function screenAll(runner: TaskRunner, agg: Layout[], pools: ReturnType<typeof poolSpaces>, t: TaskContext, gpus: number, progress: Progress) {
  const s = t.settings;
  const first = agg.filter((l) => l.tokenBudget === s.tokenBudgets[0]);
  const { tasks: pTasks, entries } = poolTasks(pools, first.length);
  let done = 0;
  let total = first.length + pTasks.length;
  const onResult = (r: TaskResult) => {
    if (r.kind === "aggregated") progress.screened += r.points.length;
    progress.report("screen", ++done, total, 0);
  };
  const results = await runner.run([...aggregatedTasks(first, 0), ...pTasks], onResult);
  const a1 = collectAggregated(first, results.slice(0, first.length));
  // Refinement: the other token budgets of the families that came within frontierSlack of the aggregated frontier.
  const ok = sloScreen(a1.screened, t.slo, s).kept;
  const front = frontierOf(ok, ax, ay);
  const near = new Set(ok.filter((p) => closeness(p, front, ax, ay) >= 1 - s.frontierSlack).map((p) => familyOf(p.candidate.layout)));
  const second = agg.filter((l) => l.tokenBudget !== s.tokenBudgets[0] && near.has(familyOf(l)));
  total += second.length;
  const a2 = collectAggregated(second, await runner.run(aggregatedTasks(second, 0), onResult));
  const dis = combineDisaggregated(pools, entries, results.slice(first.length), t.shape, s, gpus);
  const skipped = agg.length - first.length - second.length;
  const pruned = [...a1.pruned, ...a2.pruned, ...dis.pruned];
  if (skipped) {
    pruned.push({ layoutId: "*", stage: "dominated", count: skipped, reason: `${skipped} aggregated layouts with a non-default token budget not screened: at the default budget their layout stayed more than ${100 * s.frontierSlack}% below the analytic frontier` });
  }
  return { screened: [...a1.screened, ...a2.screened, ...dis.screened], pruned };
}

/** The analytic numbers of a candidate that was not screened. */
const NOT_SCREENED = { throughputPerGpu: NaN, outputThroughputPerGpu: NaN, tokPerUser: NaN, ttft: NaN, tpot: NaN, e2e: NaN };

/**
 * Simulate given candidates through the search's own path (resolveRun → simulateRun, SLO checks,
 * prices) without searching: to place known configurations (e.g. measured ones) beside a frontier.
 */
export async function evaluateCandidates(req: SearchRequest, candidates: Candidate[]): Promise<Evaluated[]> {
  const { t, ir, fin } = prepare(req);
  const runner = taskRunner(Math.max(1, Math.min(req.jobs ?? defaultJobs(), candidates.length)), t, ir);
  try {
    const sims = await runner.run(candidates.map((candidate, index) => ({ kind: "simulate" as const, index, candidate })));
    return sims.map((r, i) => {
      if (r.kind !== "simulate" || !r.raw) throw new InputError(`${candidates[i].layout.id}: ${r.kind === "simulate" ? r.error : "not simulated"}`);
      return finishEvaluation(candidates[i], r.raw, NOT_SCREENED, fin);
    });
  } finally {
    await runner.close();
  }
}

/** What every search (or evaluation) of a request shares: settings, SLOs, model, GPU, the threads' context and the SLO/price context. */
function prepare(req: SearchRequest) {
  const s: SearchSettings = { ...DEFAULT_SETTINGS, ...(req.settings ?? {}) };
  if (!Number.isInteger(req.gpus) || req.gpus < 1) throw new InputError(`--gpus must be a whole number ≥ 1 (got ${req.gpus})`);
  const slo = checkSlo({ ...(req.slo ?? {}) });
  const ir = loadModel(req.model);
  const hw = getHardware(req.hardware);
  const shape = shapeOf(req, s);
  const t: TaskContext = {
    model: req.model, hardware: req.hardware, shape, settings: s, calibration: req.calibration ?? "auto",
    useKernelTables: req.useKernelTables ?? true, seed: req.seed ?? 1, slo,
  };
  const fin: FinishContext = { request: requestContext(t, ir), slo, gpus: req.gpus, usdPerGpuHour: hw.cost_per_hour_usd.value, confidence: req.confidence, intervalOf: req.intervalOf };
  return { s, slo, ir, hw, shape, t, fin };
}

export async function searchDeployments(req: SearchRequest): Promise<SearchResult> {
  const started = Date.now();
  const { s, slo, ir, hw, shape, t, fin } = prepare(req);
  const engines = req.engines ?? Object.keys(ENGINES);
  const precisions = req.precisions ?? defaultPrecisions(hw);
  for (const p of precisions) weightsFor(p, ir, [], hw.vendor);
  const space = { ir, hw, gpus: req.gpus, engines, precisions, speculative: speculativeStates(req, hasMtp(ir), ir.id), settings: s };
  const agg = aggregatedLayouts(space);
  const pools = poolSpaces(space);
  if (!agg.length && !pools.length) throw new InputError(`no layout to search: no worker of ${ir.id} fits ${req.gpus} ${hw.id} GPUs with widths ${s.widths.join(", ")}`);

  const jobs = Math.max(1, Math.min(req.jobs ?? defaultJobs(), agg.length + pools.length * s.widths.length));
  const runner = taskRunner(jobs, t, ir);
  const progress = new Progress(started, req.onProgress);
  const pruned: Pruned[] = [];
  const evaluated: Evaluated[] = [];
  let screened: Screened[] = [];

  let screenSeconds = 0;
  try {
    const sc = await screenAll(runner, agg, pools, t, req.gpus, progress);
    pruned.push(...sc.pruned);
    screened = sc.screened;
    progress.screened = sc.screened.length;
    const ok = sloScreen(sc.screened, slo, s);
    if (ok.example) pruned.push({ ...ok.example, count: ok.missed, reason: `${ok.missed} screened points miss an SLO analytically, e.g. ${ok.example.reason}` });
    const simulable = ok.kept.filter((p) => p.candidate.concurrency <= s.maxSimulatedClients);
    const tooLarge = ok.kept.length - simulable.length;
    if (tooLarge) pruned.push({ layoutId: "*", stage: "not-simulated", count: tooLarge, reason: `${tooLarge} screened points have more than ${s.maxSimulatedClients} clients per unit (settings.maxSimulatedClients: ${SETTING_REASONS.maxSimulatedClients})` });
    const chosen = nearFrontier(simulable, modeOf, ax, ay, s.frontierSlack, s.maxSimulations, s.duplicateTolerance);
    const notSimulated = simulable.length - chosen.length;
    if (notSimulated) {
      pruned.push({ layoutId: "*", stage: "not-simulated", count: notSimulated, reason: `${notSimulated} screened points are more than ${100 * s.frontierSlack}% below the analytic frontier of their mode at their interactivity, within ${100 * s.duplicateTolerance}% of a point simulated, or beyond the ${s.maxSimulations} simulations` });
    }
    screenSeconds = (Date.now() - started) / 1e3;

    let simDone = 0;
    const sims = await runner.run(
      chosen.map((p, i) => ({ kind: "simulate" as const, index: i, candidate: p.candidate })),
      () => progress.report("simulate", ++simDone, chosen.length, simDone),
    );
    sims.forEach((r, i) => {
      if (r.kind !== "simulate") return;
      const c = chosen[i];
      if (r.raw) evaluated.push(finishEvaluation(c.candidate, r.raw, c.analytic, fin));
      else pruned.push({ layoutId: c.candidate.layout.id, concurrency: c.candidate.concurrency, stage: "simulation", reason: r.error ?? "simulation failed" });
    });
  } finally {
    await runner.close();
  }

  const frontier = frontierOf(evaluated.filter((e) => e.meetsSlo), xOf, yOf);
  const pick = choose(frontier);
  const total = (Date.now() - started) / 1e3;
  progress.report("done", evaluated.length, evaluated.length, evaluated.length);
  const prunedCounts = countStages(pruned);
  return {
    model: ir.id, hardware: hw.id, gpus: req.gpus, isl: shape.meanInput, osl: shape.meanOutput, slo, confidence: req.confidence, engines, precisions,
    usdPerGpuHour: hw.cost_per_hour_usd.value,
    counts: {
      layouts: agg.length + pools.reduce((n, sp) => n + disaggregatedCount(sp, req.gpus, s.maxUnitWorkers), 0),
      layoutsPruned: (prunedCounts.plan ?? 0) + (prunedCounts.memory ?? 0) + (prunedCounts.kv ?? 0) + (prunedCounts.dominated ?? 0),
      screened: progress.screened, simulated: evaluated.length,
    },
    prunedCounts,
    pruned, evaluated, frontier, chosen: pick, neighbours: pick ? neighbours(pick, evaluated, screened, (p) => analyticMiss(p, slo, s)) : [],
    assumptions: searchAssumptions({ shape, hw, precisionsGiven: req.precisions !== undefined, precisionReason: PRECISION_REASON, confidence: req.confidence, hook: req.intervalOf !== undefined, settings: s, engines }),
    settings: s, seconds: { screen: screenSeconds, simulate: total - screenSeconds, total }, jobs,
  };
}
