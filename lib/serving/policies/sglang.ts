/**
 * SGLang: a prefill batch runs on its own whenever one can be formed — waiting prompts take priority
 * and the decoding batch pauses for that step (mixed chunked prefill is off by default); otherwise
 * the running requests decode. A prompt is admitted only if its input plus its (clipped) output fits
 * the free KV after reserving, for every running request, its remaining output times the new-token
 * ratio; the ratio starts high and decays each decode step, and is raised again when a decode step
 * runs out of KV and requests are retracted (recomputed later).
 * Source: python/sglang/srt/managers/scheduler.py `get_next_batch_to_run`, `get_new_batch_prefill`,
 * `update_running_batch`; python/sglang/srt/managers/schedule_policy.py `PrefillAdder`
 * (`add_chunked_req`, `add_one_req`, `rem_total_tokens`); version and constants in the engine profile.
 */
import type { Request } from "../request";
import type { ReplicaView, SchedulerPolicy, StepPlan } from "../scheduler";
import { continuePrefills } from "./shared";

export interface SglangParameters {
  /** New-token ratio at start and after a retraction, its floor, and the decode steps it takes to decay from one to the other. */
  initNewTokenRatio: number;
  minNewTokenRatio: number;
  decaySteps: number;
  /** Output tokens counted per request when reserving KV (CLIP_MAX_NEW_TOKENS_ESTIMATION). */
  clipMaxNewTokens: number;
  /** Prompt tokens one prefill batch may hold (max_prefill_tokens). */
  maxPrefillTokens: number;
  /** enable_mixed_chunk: decodes ride along with a prefill batch. */
  mixedChunk: boolean;
  /** Identical decode steps advanced together at most while prompts wait (the ratio moves meanwhile). */
  waitingRun: number;
}

export function sglangPolicy(p: SglangParameters, source: string): SchedulerPolicy {
  let ratio = p.initNewTokenRatio;
  const decayPerStep = (p.initNewTokenRatio - p.minNewTokenRatio) / p.decaySteps;
  return {
    name: "sglang",
    source,
    plan(v: ReplicaView): StepPlan {
      const lim = v.limits;
      // 1. A prefill batch: the chunked request first, then waiting requests in arrival order (fcfs).
      if (v.prefilling.length || (v.queued > 0 && v.running < lim.maxSeqs)) {
        const mixed = p.mixedChunk ? v.decoding : 0;
        const cont = continuePrefills(v, lim.tokenBudget - mixed, mixed);
        const chunks = cont.chunks;
        let remChunk = cont.budget;
        let remInput = p.maxPrefillTokens - (lim.tokenBudget - mixed - cont.budget);
        // Free KV after what running requests reserve: remaining output × new-token ratio.
        let remTotal = lim.kvCapacityTokens - v.kvNeed(cont.planned, 0) - ratio * v.remainingOutput(p.clipMaxNewTokens);
        let admitted = 0;
        while (v.queued > 0 && v.running + admitted < lim.maxSeqs && remChunk > 0) {
          const r: Request = v.headOfQueue();
          const input = r.promptTarget - r.prefilled;
          const out = Math.min(r.output - r.generated, p.clipMaxNewTokens);
          if (input + out >= remTotal) break; // NO_TOKEN
          if (input > remInput && chunks.length > 0) break;
          v.admitHead();
          admitted++;
          if (input <= remChunk) {
            chunks.push([r, input]);
            remTotal -= input + out;
            remInput -= input;
            remChunk -= input;
          } else {
            // Chunked: this request takes the rest of the chunk and ends the batch.
            chunks.push([r, remChunk]);
            remChunk = 0;
          }
        }
        if (chunks.length) return { decodes: p.mixedChunk, chunks, admitted, holdFor: 0, maxRun: 1 };
      }
      // 2. Decode: retract (recompute later) when the next tokens do not fit, and raise the ratio again.
      if (v.decoding && v.kvNeed(v.decoding, 0) > lim.kvCapacityTokens && v.preemptFor(v.decoding) > 0) ratio = p.initNewTokenRatio;
      // While prompts wait, admission depends on the ratio, which decays every step: keep runs short.
      return { decodes: true, chunks: [], admitted: 0, holdFor: 0, maxRun: v.queued > 0 ? p.waitingRun : undefined };
    },
    afterStep(decodeSteps: number) {
      ratio = Math.max(p.minNewTokenRatio, ratio - decodeSteps * decayPerStep);
    },
  };
}
