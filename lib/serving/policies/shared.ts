/** Pieces several engines' schedulers share. */
import type { Request } from "../request";
import type { ReplicaView, StepPlan } from "../scheduler";

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
  hold?: (v: ReplicaView, decodes: number) => number,
): StepPlan {
  const chunks = start.chunks;
  let { budget, planned } = start;
  let admitted = 0;
  // An engine rule that holds waiting prompts (TensorRT-LLM attention-DP balancing, ./adp-balance.ts): steps still to wait.
  const holdFor = hold ? hold(v, start.nDec) : 0;
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
