/**
 * vLLM V1: one token budget per step; running requests first (decodes, then partial prefills), then
 * waiting requests in arrival order while the budget, max_num_seqs and the free KV blocks allow; KV is
 * allocated for the tokens scheduled, and when a running request cannot get its next block the most
 * recently admitted requests are preempted and recomputed later.
 * Source: vllm/v1/core/sched/scheduler.py `Scheduler.schedule` (v0.11): "First, schedule the RUNNING
 * requests … Next, schedule the WAITING requests"; `_preempt_request` takes `self.running.pop()`.
 */
import type { ReplicaView, SchedulerPolicy, StepPlan } from "../scheduler";
import { admitInOrder, decodesThenPrefills } from "./shared";

export function vllmPolicy(): SchedulerPolicy {
  return {
    name: "vllm-v1",
    source: "vllm/v1/core/sched/scheduler.py Scheduler.schedule (v0.11)",
    plan(v: ReplicaView): StepPlan {
      const lim = v.limits;
      // Decodes (preempting by recompute when the pool is short), partial prefills, then waiting requests in arrival order.
      return admitInOrder(v, decodesThenPrefills(v, true), (r, budget, planned, admitted) => {
        const n = Math.min(budget, r.promptTarget - r.prefilled);
        return v.kvNeed(planned + n, admitted + 1) > lim.kvCapacityTokens ? undefined : n;
      });
    },
  };
}
