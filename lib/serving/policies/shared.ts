/** Pieces several engines' schedulers share. */
import type { Request } from "../request";
import type { ReplicaView, StepPlan } from "../scheduler";

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

/**
 * The start of a decode-first step (vLLM V1, TensorRT-LLM): every decoding sequence runs — after preempting
 * the newest ones when `preempt` and their next tokens do not fit the KV pool — then the prompts already in
 * prefill continue within what is left of the token budget.
 */
export function decodesThenPrefills(v: ReplicaView, preempt: boolean): { nDec: number; chunks: [Request, number][]; budget: number; planned: number } {
  let nDec = v.decoding;
  if (preempt && nDec && v.kvNeed(nDec, 0) > v.limits.kvCapacityTokens) {
    v.preemptFor(nDec);
    nDec = v.decoding;
  }
  return { nDec, ...continuePrefills(v, v.limits.tokenBudget - nDec, nDec) };
}

/**
 * Admit waiting requests in arrival order after `start` (decodesThenPrefills) while the token budget, the
 * sequence cap and the engine's own rule allow: `take(r, budget, planned, admitted)` is the prompt tokens the
 * head request runs this step, or undefined to stop admitting (it does not fit).
 */
export function admitInOrder(
  v: ReplicaView,
  start: ReturnType<typeof decodesThenPrefills>,
  take: (r: Request, budget: number, planned: number, admitted: number) => number | undefined,
  hold: (v: ReplicaView, decodes: number) => number = dpHoldSteps,
): StepPlan {
  const chunks = start.chunks;
  let { budget, planned } = start;
  let admitted = 0;
  const holdFor = hold(v, start.nDec);
  while (holdFor === 0 && budget > 0 && v.queued > 0 && v.running + admitted < v.limits.maxSeqs) {
    const r = v.headOfQueue();
    const n = take(r, budget, planned, admitted);
    if (n === undefined) break;
    v.admitHead();
    admitted++;
    chunks.push([r, n]);
    budget -= n;
    planned += n;
  }
  return { decodes: true, chunks, admitted, holdFor };
}
