/**
 * Analytic steady state of a closed loop (fast mode): C clients, each request a prefill then
 * (osl − 1) decode steps. Solves the fixed point
 *   step time t = f(decoding sequences B, prefill tokens per step p, mean context),
 *   E2E = front delay + TTFT + (osl − 1)·t,  λ = C / E2E,  p = λ·isl·t,  B = C·(osl − 1)·t / E2E,
 * with TTFT = front delay + ½ step (waiting for the running step) + the steps its prompt takes.
 * No finite-run tail and no queueing variance: it is a mean-value model; the simulator is the reference.
 */
import type { AttentionWork, BatchStats } from "../cost/batch";
import { windowKey } from "../cost/batch";
import type { StepModel } from "../step/step-model";

export interface SteadyStateInput {
  concurrency: number;
  meanInput: number;
  meanOutput: number;
  mixedModel: StepModel;
  decodeModel: StepModel;
  tokenBudget: number;
  frontDelay: number;
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

function stats(decodes: number, ctx: number, prefillTokens: number, isl: number, windows: (number | null)[]): BatchStats {
  const attention: Record<string, AttentionWork> = {};
  const prefillSeqs = prefillTokens / isl;
  for (const w of windows) {
    const seen = w ? Math.min(ctx, w) : ctx;
    // A prompt chunk of p tokens from an average prompt position: causal pairs ≈ p·(isl/2) (full) or p·w (window).
    const pPairs = w ? prefillTokens * Math.min(w, isl / 2) : prefillTokens * (isl / 2);
    const pKv = w ? prefillSeqs * Math.min(isl / 2, w) : prefillSeqs * (isl / 2);
    attention[windowKey(w)] = { pairs: decodes * (seen + 1) + pPairs, kvRead: decodes * seen + pKv, prefillPairs: pPairs, prefillKvRead: pKv };
  }
  return { tokens: decodes + prefillTokens, seqs: decodes + prefillSeqs, logitRows: decodes + prefillSeqs, prefillSeqs, prefillTokens, attention };
}

export function steadyState(x: SteadyStateInput): SteadyState {
  const C = x.concurrency;
  const isl = x.meanInput;
  const osl = x.meanOutput;
  const ctx = isl + osl / 2;
  let t = x.decodeModel.time(stats(C, ctx, 0, isl, x.windows));
  let e2e = 0;
  let ttft = 0;
  let B = C;
  let p = 0;
  let it = 0;
  for (; it < 200; it++) {
    const chunks = Math.max(1, Math.ceil(isl / x.tokenBudget));
    ttft = x.frontDelay + 0.5 * t + chunks * t;
    e2e = ttft + (osl - 1) * t;
    const lambda = C / e2e;
    p = Math.min(x.tokenBudget, lambda * isl * t);
    B = (C * (osl - 1) * t) / e2e;
    // Steps with prefill work run the mixed (eager) model; the rest are pure decode.
    const mixedShare = Math.min(1, (lambda * t) * chunks);
    const tMixed = x.mixedModel.time(stats(B, ctx, p / Math.max(mixedShare, 1e-9) * (mixedShare > 0 ? 1 : 0), isl, x.windows));
    const tDecode = x.decodeModel.time(stats(B, ctx, 0, isl, x.windows));
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
