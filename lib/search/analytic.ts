/**
 * The analytic screen of an aggregated replica: the steady state of lib/serving/steady-state.ts (the
 * fixed point predictSteadyState solves) with the run's own step models, built once per layout and
 * looked up on a grid, so that every load level of a layout costs a few step evaluations:
 *  - grid: a step's decodes and prefill tokens are rounded to settings.gridStepsPerOctave steps per
 *    octave and the batch rescaled to them; each grid point is timed once;
 *  - speculative decoding: a decode step verifies 1 + k tokens per sequence and drafts k blocks (as
 *    lib/serving/replica.ts prices it) and yields `tokensPerStep` tokens, so a request needs
 *    (osl − 1) / tokensPerStep decode steps.
 */
import type { AttentionWork, BatchStats } from "../cost/batch";
import type { Speculative } from "../engine/speculative";
import { attentionWindows } from "../model/build";
import type { ResolvedRun } from "../run/request";
import { prefillRunsAlone } from "../serving/policies/index";
import { steadyState } from "../serving/steady-state";
import { buildStepModel } from "../step/build";
import type { StepModel } from "../step/step-model";
import type { WorkloadShape } from "./request";
import { gridValue } from "./settings";
import type { PointMetrics } from "./types";

/** The decodes of a batch (sequences not in prefill). */
const decodesOf = (s: BatchStats) => s.seqs - s.prefillSeqs;

/** A batch with its decodes scaled by `fd` and its prefill part by `fp` (attention work is linear in each). */
export function rescaleBatch(s: BatchStats, fd: number, fp: number): BatchStats {
  const attention: Record<string, AttentionWork> = {};
  for (const [k, a] of Object.entries(s.attention)) {
    attention[k] = {
      pairs: (a.pairs - a.prefillPairs) * fd + a.prefillPairs * fp,
      kvRead: (a.kvRead - a.prefillKvRead) * fd + a.prefillKvRead * fp,
      prefillPairs: a.prefillPairs * fp,
      prefillKvRead: a.prefillKvRead * fp,
    };
  }
  const d = decodesOf(s) * fd;
  const p = s.prefillSeqs * fp;
  const emitting = s.logitRows - decodesOf(s);
  return { tokens: d + s.prefillTokens * fp, seqs: d + p, logitRows: d + emitting * fp, prefillSeqs: p, prefillTokens: s.prefillTokens * fp, attention };
}

/**
 * A step model whose times are taken at grid points: decodes and prefill tokens rounded to `k` steps
 * per octave (the batch rescaled to them), each grid point timed once. Valid for one workload (its
 * contexts are fixed per batch size).
 */
export function gridStepModel(model: StepModel, k: number): StepModel {
  const cache = new Map<string, number>();
  const time = (s: BatchStats): number => {
    const d = decodesOf(s);
    const p = s.prefillTokens;
    const dg = d > 0 ? gridValue(d, k) : 0;
    const pg = p > 0 ? gridValue(p, k) : 0;
    const key = `${dg}|${pg}`;
    let t = cache.get(key);
    if (t === undefined) {
      t = model.time(rescaleBatch(s, d > 0 ? dg / d : 0, p > 0 ? pg / p : 0));
      cache.set(key, t);
    }
    return t;
  };
  return Object.assign(Object.create(model) as StepModel, { time });
}

/** The verification batch of a speculative step: each decode carries 1 + k query tokens over the same context. */
export function verifyBatch(s: BatchStats, draft: number): BatchStats {
  const q = 1 + draft;
  const d = decodesOf(s);
  const attention: Record<string, AttentionWork> = {};
  for (const [key, a] of Object.entries(s.attention)) attention[key] = { ...a, pairs: (a.pairs - a.prefillPairs) * q + a.prefillPairs };
  return { ...s, tokens: s.tokens + draft * d, logitRows: s.logitRows + draft * d, attention };
}

/** A step model pricing speculative decoding as the replica does: verification plus drafting (a share of a plain decode pass). */
export function speculativeStepModel(model: StepModel, spec: Speculative, blocks: number): StepModel {
  const draftShare = (spec.draftTokens * spec.draftBlocks) / blocks;
  const time = (s: BatchStats): number => model.time(verifyBatch(s, spec.draftTokens)) + draftShare * model.gpuTime(s);
  return Object.assign(Object.create(model) as StepModel, { time });
}

/** The screen of one aggregated layout: its two step models, built once, and the steady state at any load. */
export class AggregatedScreen {
  private readonly mixed: StepModel;
  private readonly decode: StepModel;
  private readonly windows: (number | null)[];

  constructor(
    private readonly run: ResolvedRun,
    private readonly shape: WorkloadShape,
    gridSteps: number,
  ) {
    const pool = run.aggregated!;
    // Speculation priced first, then looked up on the grid (so the grid caches the whole step).
    const wrap = (m: StepModel) => gridStepModel(run.speculative ? speculativeStepModel(m, run.speculative, run.model.blocks) : m, gridSteps);
    this.mixed = wrap(buildStepModel(run.model, run.hardware, pool.plan, "prefill", pool.engine, run.efficiency, run.useKernelTables));
    this.decode = wrap(buildStepModel(run.model, run.hardware, pool.plan, "decode", pool.engine, run.efficiency, run.useKernelTables));
    this.windows = attentionWindows(run.model);
  }

  /** Steady state at `concurrency` clients with a token budget per step of `tokenBudget` per rank. */
  at(concurrency: number, tokenBudget: number): PointMetrics {
    const pool = this.run.aggregated!;
    const g = this.run.speculative?.tokensPerStep ?? 1;
    const osl = this.shape.meanOutput;
    const isl = this.shape.meanInput;
    // With speculation a request takes (osl − 1) / g decode steps: the steady state runs those as its "outputs".
    const ss = steadyState({
      concurrency, meanInput: isl, meanOutput: 1 + (osl - 1) / g,
      mixedModel: this.mixed, decodeModel: this.decode,
      tokenBudget: tokenBudget * pool.plan.decode.attention.dp,
      frontDelay: pool.engine.request_overhead_ms.value / 1e3,
      scheduleAhead: pool.engine.schedule_ahead.value,
      outputLag: pool.engine.output_delay_steps.value,
      prefillAlone: prefillRunsAlone(pool.engine),
      windows: this.windows, gpus: this.run.gpusCounted,
    });
    const lambda = concurrency / ss.e2e;
    return {
      throughputPerGpu: (lambda * (isl + osl)) / this.run.gpusCounted,
      outputThroughputPerGpu: (lambda * osl) / this.run.gpusCounted,
      tokPerUser: g / ss.tpot, ttft: ss.ttft, tpot: ss.tpot / g, e2e: ss.e2e,
    };
  }
}
