/**
 * Decode-first chunked prefill under one token budget: every decoding sequence runs each step, then
 * partial prompts continue, then waiting requests are admitted in arrival order while the budget,
 * the sequence cap and the KV pool allow. When the KV pool cannot hold the decodes' next tokens, the
 * most recently admitted sequences are preempted and recomputed later.
 */
import type { ReplicaView, SchedulerPolicy, StepPlan } from "../scheduler";
import type { Request } from "../request";

export const DECODE_FIRST: SchedulerPolicy = {
  name: "decode-first-chunked-prefill",
  source: "vLLM V1 scheduler (vllm/v1/core/sched/scheduler.py, v0.11: running requests first, then waiting, one token budget); the generic policy of Mantile before per-engine policies",
  plan(v: ReplicaView): StepPlan {
    const lim = v.limits;
    let nDec = v.decoding;
    if (nDec && v.kvNeed(nDec, 0) > lim.kvCapacityTokens) {
      v.preemptFor(nDec);
      nDec = v.decoding;
    }
    let budget = lim.tokenBudget - nDec;
    let planned = nDec;
    const chunks: [Request, number][] = [];
    // Continue partial prefills first, then admit waiting requests in arrival order.
    for (const r of v.prefilling) {
      if (budget <= 0) break;
      const n = Math.min(budget, r.promptTarget - r.prefilled);
      if (v.kvNeed(planned + n, 0) > lim.kvCapacityTokens) break;
      chunks.push([r, n]);
      budget -= n;
      planned += n;
    }
    let admitted = 0;
    // Balancing: while decodes run, hold new prompts until the oldest has waited the configured steps.
    let holdFor = 0;
    if (lim.prefillWaitSteps > 0 && nDec > 0 && v.queued > 0) {
      const waited = v.stepCount - (v.headOfQueue().queuedStep ?? v.stepCount);
      holdFor = Math.max(0, lim.prefillWaitSteps - waited);
    }
    while (holdFor === 0 && budget > 0 && v.queued > 0 && v.running + admitted < lim.maxSeqs) {
      const r = v.headOfQueue();
      const n = Math.min(budget, r.promptTarget - r.prefilled);
      if (v.kvNeed(planned + n, admitted + 1) > lim.kvCapacityTokens) break;
      v.admitHead();
      admitted++;
      chunks.push([r, n]);
      budget -= n;
      planned += n;
    }
    return { decodes: true, chunks, admitted, holdFor };
  },
};
