/**
 * TensorRT-LLM: a capacity scheduler decides which requests are active, then a micro-batch scheduler
 * fills one step's token budget (max_num_tokens) with generation requests first and context (prefill)
 * chunks after. GUARANTEED_NO_EVICT (the default) activates a request only if the KV for its whole
 * length, prompt + max new tokens, can be reserved, so nothing is ever evicted; MAX_UTILIZATION
 * allocates as it goes and pauses the newest requests when KV runs out. Without chunked context a
 * prompt runs in one step and must fit the step's remaining budget.
 * Source: tensorrt_llm/_torch/pyexecutor/scheduler.py (capacity scheduler: GuaranteedNoEvictScheduler,
 * MaxUtilizationScheduler; micro-batch scheduler) and the C++ batch_manager of the TensorRT engine
 * backend (capacityScheduler.cpp, microBatchScheduler.cpp); version in the engine profile.
 */
import type { ReplicaView, SchedulerPolicy, StepPlan } from "../scheduler";
import { AdpBalance, type AdpBalanceSettings } from "./adp-balance";
import { admitInOrder, decodesThenPrefills } from "./shared";

export interface TrtllmParameters {
  capacity: "guaranteed_no_evict" | "max_utilization";
  chunkedContext: boolean;
  /** Attention-DP balancing of a replica with DP ranks (./adp-balance.ts); undefined = none. */
  adpBalance?: AdpBalanceSettings;
}

export function trtllmPolicy(p: TrtllmParameters, source: string): SchedulerPolicy {
  const balance = p.adpBalance && new AdpBalance(p.adpBalance);
  return {
    name: "trtllm",
    source,
    plan(v: ReplicaView): StepPlan {
      const lim = v.limits;
      // Only max-utilization pauses (preempts) requests; guaranteed-no-evict reserved their whole KV at admission.
      const start = decodesThenPrefills(v, p.capacity === "max_utilization");
      let reserved = p.capacity === "guaranteed_no_evict" ? v.fullReservation() : 0;
      return admitInOrder(v, start, (r, budget, planned, admitted) => {
        const rest = r.promptTarget - r.prefilled;
        // Without chunked context a prompt runs whole; one longer than the step budget could never run, so it is chunked.
        const n = p.chunkedContext || rest > lim.tokenBudget ? Math.min(budget, rest) : rest;
        if (n > budget) return undefined;
        if (p.capacity === "guaranteed_no_evict") {
          const whole = r.input + r.output;
          if (reserved + whole > lim.kvCapacityTokens) return undefined;
          reserved += whole;
        } else if (v.kvNeed(planned + n, admitted + 1) > lim.kvCapacityTokens) return undefined;
        return n;
      }, balance ? (view, decodes) => balance.holdSteps(view, decodes) : undefined);
    },
  };
}
