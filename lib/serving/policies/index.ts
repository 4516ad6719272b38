/** Scheduler policies by the name engine profiles select them with (data/engines/*.json `scheduler.policy`), each built with the profile's parameters. */
import { InputError } from "../../core/validate";
import type { EngineProfile } from "../../engine/profile";
import type { SchedulerPolicy } from "../scheduler";
import { atomPolicy } from "./atom";
import { sglangPolicy } from "./sglang";
import { trtllmPolicy } from "./trtllm";
import { vllmPolicy } from "./vllm";

type Parameter = EngineProfile["scheduler"]["parameters"][string];

function param<T extends number | boolean | string>(e: EngineProfile, name: string, kind: "number" | "boolean" | "string"): T {
  const x: Parameter | undefined = e.scheduler.parameters[name];
  if (!x || typeof x.value !== kind) {
    throw new InputError(`engine profile data/engines/${e.id}.json: scheduler.parameters.${name} must be a ${kind} for the ${e.scheduler.policy} policy (with its source)`);
  }
  return x.value as T;
}

/** A fresh policy for one replica of `dp` attention-DP ranks (policies may hold per-replica state). */
export function makePolicy(e: EngineProfile, dp = 1): SchedulerPolicy {
  const source = `${e.scheduler.source} [data/engines/${e.id}.json, ${e.version}]`;
  if (e.scheduler.policy !== "trtllm" && e.dp_prefill_wait_steps.value !== 0) {
    throw new InputError(`engine profile data/engines/${e.id}.json: dp_prefill_wait_steps is TensorRT-LLM's attention-DP batching_wait_iters; the ${e.scheduler.policy} scheduler has no such wait: set it to 0`);
  }
  switch (e.scheduler.policy) {
    case "vllm-v1":
      return vllmPolicy();
    case "atom":
      return atomPolicy(source);
    case "sglang": {
      // DP attention scales schedule_conservativeness, and with it both ends of the new-token ratio.
      const scale = dp > 1 ? param<number>(e, "dp_attention_conservativeness", "number") : 1;
      return sglangPolicy(
        {
          initNewTokenRatio: scale * param<number>(e, "init_new_token_ratio", "number"),
          minNewTokenRatio: scale * param<number>(e, "min_new_token_ratio", "number"),
          decaySteps: param<number>(e, "new_token_ratio_decay_steps", "number"),
          clipMaxNewTokens: param<number>(e, "clip_max_new_tokens", "number"),
          maxPrefillTokens: param<number>(e, "max_prefill_tokens", "number"),
          mixedChunk: param<boolean>(e, "mixed_chunk", "boolean"),
          waitingRun: param<number>(e, "waiting_run", "number"),
        },
        source,
      );
    }
    case "trtllm": {
      const capacity = param<string>(e, "capacity", "string");
      if (capacity !== "guaranteed_no_evict" && capacity !== "max_utilization") throw new InputError(`engine profile data/engines/${e.id}.json: scheduler.parameters.capacity must be guaranteed_no_evict or max_utilization`);
      // Attention-DP balancing holds context requests only on a replica of several DP ranks; batching_wait_iters is the profile's dp_prefill_wait_steps.
      const timeoutIters = param<number>(e, "adp_balance_timeout_iters", "number");
      const batchingWaitIters = e.dp_prefill_wait_steps.value;
      const adpBalance = dp > 1 && (timeoutIters > 0 || batchingWaitIters > 0) ? { ranks: dp, batchingWaitIters, timeoutIters } : undefined;
      return trtllmPolicy({ capacity, chunkedContext: param<boolean>(e, "chunked_context", "boolean"), adpBalance }, source);
    }
  }
}

/** Whether the engine's prefill batches run alone, pausing the decoding batch (ATOM; SGLang without mixed chunks): the steady state's regime. */
export function prefillRunsAlone(e: EngineProfile): boolean {
  if (e.scheduler.policy === "atom") return true;
  return e.scheduler.policy === "sglang" && e.scheduler.parameters.mixed_chunk?.value === false;
}
