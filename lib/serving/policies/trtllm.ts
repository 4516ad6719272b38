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
import { continuePrefills, dpHoldSteps } from "./shared";

export interface TrtllmParameters {
  capacity: "guaranteed_no_evict" | "max_utilization";
  chunkedContext: boolean;
}

export function trtllmPolicy(p: TrtllmParameters, source: string): SchedulerPolicy {
  return {
    name: "trtllm",
    source,
    plan(v: ReplicaView): StepPlan {
      const lim = v.limits;
      let nDec = v.decoding;
      if (p.capacity === "max_utilization" && nDec && v.kvNeed(nDec, 0) > lim.kvCapacityTokens) {
        v.preemptFor(nDec);
        nDec = v.decoding;
      }
      const cont = continuePrefills(v, lim.tokenBudget - nDec, nDec);
      const chunks = cont.chunks;
      let budget = cont.budget;
      let planned = cont.planned;
      let reserved = p.capacity === "guaranteed_no_evict" ? v.fullReservation() : 0;
      let admitted = 0;
      const holdFor = dpHoldSteps(v, nDec);
      while (holdFor === 0 && budget > 0 && v.queued > 0 && v.running + admitted < lim.maxSeqs) {
        const r = v.headOfQueue();
        const rest = r.promptTarget - r.prefilled;
        // Without chunked context a prompt runs whole; one longer than the step budget could never run, so it is chunked.
        const n = p.chunkedContext || rest > lim.tokenBudget ? Math.min(budget, rest) : rest;
        if (n > budget) break;
        if (p.capacity === "guaranteed_no_evict") {
          const whole = r.input + r.output;
          if (reserved + whole > lim.kvCapacityTokens) break;
          reserved += whole;
        } else if (v.kvNeed(planned + n, admitted + 1) > lim.kvCapacityTokens) break;
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
