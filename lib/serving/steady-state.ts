/**
 * Analytic steady state of a closed loop (fast mode): C clients, each request a prefill then
 * (osl − 1) decode steps. Solves the fixed point
 *   step time t = f(decoding sequences B, prefill tokens per step p, mean context),
 *   E2E = front delay + TTFT + (osl − 1)·t,  λ = C / E2E,  p = λ·isl·t,  B = C·(osl − 1)·t / E2E,
 * with TTFT = front delay + ½ step (waiting for the running step) + one step more with an overlap
 * scheduler (the next step was planned before the request entered) + the steps its prompt takes + one step
 * more with deferred output (its first token streams when the next step ends); with a
 * prefix cache, only the prompt tokens not cached are prefilled (p = λ·(isl − cached)·t).
 * No finite-run tail and no queueing variance: it is a mean-value model; the simulator is the reference.
 */
import type { AttentionWork, BatchStats } from "../cost/batch";
import { windowKey } from "../cost/batch";
import type { StepModel } from "../step/step-model";

export interface SteadyStateInput {
  concurrency: number;
  meanInput: number;
  meanOutput: number;
  /** Mean prompt tokens per request served from the prefix cache (not computed); default 0. */
  cachedInput?: number;
  mixedModel: StepModel;
  decodeModel: StepModel;
  tokenBudget: number;
  frontDelay: number;
  /** Overlap scheduler (engine schedule_ahead): a request entering during a step first runs in the step after next. */
  scheduleAhead?: boolean;
  /** Deferred output (engine output_delay_steps): each token streams, and the end is seen, this many steps late. */
  outputLag?: number;
  /** Prefill batches run alone and the decoding batch pauses for them (ATOM; SGLang without mixed chunks): see below. */
  prefillAlone?: boolean;
  windows: (number | null)[];
  gpus: number;
}

export interface SteadyState {
  throughputPerGpu: number;
  outputThroughputPerGpu: number;
  ttft: number;
  tpot: number;
  e2e: number;
  decodingSeqs: number;
  prefillTokensPerStep: number;
  iterations: number;
}

/** `computed` prompt tokens per request after `cached` ones: chunks sit on average at position cached + computed / 2. */
function stats(decodes: number, ctx: number, prefillTokens: number, computed: number, cached: number, windows: (number | null)[]): BatchStats {
  const attention: Record<string, AttentionWork> = {};
  const prefillSeqs = prefillTokens / computed;
  const pos = cached + computed / 2;
  for (const w of windows) {
    const seen = w ? Math.min(ctx, w) : ctx;
    // A prompt chunk of p tokens from an average prompt position: causal pairs ≈ p·pos (full) or p·min(w, pos) (window).
    const pPairs = w ? prefillTokens * Math.min(w, pos) : prefillTokens * pos;
    const pKv = w ? prefillSeqs * Math.min(pos, w) : prefillSeqs * pos;
    attention[windowKey(w)] = { pairs: decodes * (seen + 1) + pPairs, kvRead: decodes * seen + pKv, prefillPairs: pPairs, prefillKvRead: pKv };
  }
  return { tokens: decodes + prefillTokens, seqs: decodes + prefillSeqs, logitRows: decodes + prefillSeqs, prefillSeqs, prefillTokens, attention };
}

export function steadyState(x: SteadyStateInput): SteadyState {
  const C = x.concurrency;
  const isl = x.meanInput;
  const osl = x.meanOutput;
  const cached = Math.min(x.cachedInput ?? 0, isl - 1);
  const computed = isl - cached;
  const ctx = isl + osl / 2;
  const lag = x.outputLag ?? 0;
  let t = x.decodeModel.time(stats(C, ctx, 0, computed, cached, x.windows));
  let e2e = 0;
  let ttft = 0;
  let B = C;
  let p = 0;
  let it = 0;
  for (; it < 200; it++) {
    if (x.prefillAlone) {
      // Prompts that arrive during a decode step prefill together in the next step, alone: n = max(1, λ·t_D)
      // prompts per prefill step (within the budget), which takes t_P; those steps fill a share f = (λ/n)·t_P of
      // the time, and every running sequence waits through them: a token every t_D / (1 − f).
      const tD = x.decodeModel.time(stats(B, ctx, 0, computed, cached, x.windows));
      const lambdaNow = e2e > 0 ? C / e2e : C / (x.frontDelay + osl * tD);
      const n = Math.max(1, Math.min(lambdaNow * tD, C, x.tokenBudget / computed));
      const tP = x.mixedModel.time(stats(0, ctx, n * computed, computed, cached, x.windows));
      const f = Math.min(0.95, (lambdaNow / n) * tP);
      const tNew = tD / (1 - f);
      ttft = x.frontDelay + (x.scheduleAhead ? 1.5 : 0.5) * tD + tP + lag * tD;
      e2e = ttft + (osl - 1) * tNew;
      p = n * computed;
      B = (C * (osl - 1) * tNew) / e2e;
      if (Math.abs(tNew - t) < 1e-9 * t) {
        t = tNew;
        break;
      }
      t = it === 0 ? tNew : 0.5 * t + 0.5 * tNew;
      continue;
    }
    const chunks = Math.max(1, Math.ceil(computed / x.tokenBudget));
    ttft = x.frontDelay + (x.scheduleAhead ? 1.5 : 0.5) * t + chunks * t + lag * t;
    e2e = ttft + (osl - 1) * t;
    const lambda = C / e2e;
    p = Math.min(x.tokenBudget, lambda * computed * t);
    B = (C * (osl - 1) * t) / e2e;
    // Steps with prefill work run the mixed (eager) model; the rest are pure decode.
    const mixedShare = Math.min(1, (lambda * t) * chunks);
    const tMixed = x.mixedModel.time(stats(B, ctx, p / Math.max(mixedShare, 1e-9) * (mixedShare > 0 ? 1 : 0), computed, cached, x.windows));
    const tDecode = x.decodeModel.time(stats(B, ctx, 0, computed, cached, x.windows));
    const tNew = mixedShare * tMixed + (1 - mixedShare) * tDecode;
    if (Math.abs(tNew - t) < 1e-9 * t) {
      t = tNew;
      break;
    }
    t = 0.5 * t + 0.5 * tNew;
  }
  const lambda = C / e2e;
  return {
    throughputPerGpu: (lambda * (isl + osl)) / x.gpus,
    outputThroughputPerGpu: (lambda * osl) / x.gpus,
    ttft, tpot: t, e2e, decodingSeqs: B, prefillTokensPerStep: p, iterations: it,
  };
}
