/** Pieces several engines' schedulers share. */
import type { Request } from "../request";
import type { ReplicaView } from "../scheduler";

/**
 * Attention-DP balancing (TensorRT-LLM attention_dp_config enable_balance / batching_wait_iters):
 * while decodes run, new prompts wait until the oldest has waited the configured steps, so that all
 * DP ranks prefill together. Returns the steps still to wait (0 = admit now).
 */
export function dpHoldSteps(v: ReplicaView, decodes: number): number {
  const lim = v.limits;
  if (!(lim.prefillWaitSteps > 0 && decodes > 0 && v.queued > 0)) return 0;
  const waited = v.stepCount - (v.headOfQueue().queuedStep ?? v.stepCount);
  return Math.max(0, lim.prefillWaitSteps - waited);
}

/** Continue the prompts already in prefill, in admission order, within `budget` tokens (chunked) and the KV pool. */
export function continuePrefills(v: ReplicaView, budget: number, planned: number): { chunks: [Request, number][]; budget: number; planned: number } {
  const chunks: [Request, number][] = [];
  for (const r of v.prefilling) {
    if (budget <= 0) break;
    const n = Math.min(budget, r.promptTarget - r.prefilled);
    if (v.kvNeed(planned + n, 0) > v.limits.kvCapacityTokens) break;
    chunks.push([r, n]);
    budget -= n;
    planned += n;
  }
  return { chunks, budget, planned };
}
