/**
 * vLLM V1: one token budget per step; running requests first (decodes, then partial prefills), then
 * waiting requests in arrival order while the budget, max_num_seqs and the free KV blocks allow; KV is
 * allocated for the tokens scheduled, and when a running request cannot get its next block the most
 * recently admitted requests are preempted and recomputed later.
 * Source: vllm/v1/core/sched/scheduler.py `Scheduler.schedule` (v0.11): "First, schedule the RUNNING
 * requests … Next, schedule the WAITING requests"; `_preempt_request` takes `self.running.pop()`.
 */
import type { ReplicaView, SchedulerPolicy, StepPlan } from "../scheduler";
import { continuePrefills, dpHoldSteps } from "./shared";

export function vllmPolicy(): SchedulerPolicy {
  return {
    name: "vllm-v1",
    source: "vllm/v1/core/sched/scheduler.py Scheduler.schedule (v0.11)",
    plan(v: ReplicaView): StepPlan {
      const lim = v.limits;
      let nDec = v.decoding;
      if (nDec && v.kvNeed(nDec, 0) > lim.kvCapacityTokens) {
        v.preemptFor(nDec);
        nDec = v.decoding;
      }
      // Continue partial prefills first, then admit waiting requests in arrival order.
      const cont = continuePrefills(v, lim.tokenBudget - nDec, nDec);
      const chunks = cont.chunks;
      let budget = cont.budget;
      let planned = cont.planned;
      let admitted = 0;
      const holdFor = dpHoldSteps(v, nDec);
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
}
