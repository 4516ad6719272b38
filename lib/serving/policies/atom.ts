/**
 * ATOM (AMD, v0.1.x, before chunked prefill): prefill first, whole prompts only. Whenever prompts wait, the
 * step is a prefill-only batch of waiting prompts in arrival order while each whole prompt fits what is
 * left of max_num_batched_tokens and its KV blocks can be allocated; the running sequences do not decode
 * in that step. Otherwise every running sequence decodes, preempting the most recently admitted ones
 * (recomputed later) when the next token does not fit the KV pool.
 * Source: github.com/ROCm/ATOM atom/model_engine/scheduler.py `Scheduler.schedule` at 7e9125821
 * (2026-01, the code of the atom0.1.1 image; chunked prefill arrived only with #740, 2026-05-29): "while
 * self.waiting and num_seqs_prefill < self.max_num_seqs … if num_batched_tokens + num_new_tokens >
 * self.max_num_batched_tokens or not self.block_manager.can_allocate(seq): break", and "if num_seqs_prefill
 * > 0: … return" before any decode is scheduled; `preempt(self.running.pop())` in the decode loop.
 * ATOM counts max_num_seqs per prefill batch and per decode batch; Mantile keeps the running sequences
 * within it (the same whenever clients ≤ max_num_seqs, 512 by default).
 */
import { InputError } from "../../core/validate";
import type { Request } from "../request";
import type { ReplicaView, SchedulerPolicy, StepPlan } from "../scheduler";

export function atomPolicy(source: string): SchedulerPolicy {
  return {
    name: "atom",
    source,
    plan(v: ReplicaView): StepPlan {
      const lim = v.limits;
      const chunks: [Request, number][] = [];
      let budget = lim.tokenBudget;
      let planned = 0;
      while (v.queued > 0 && v.running + chunks.length < lim.maxSeqs) {
        const r = v.headOfQueue();
        const n = r.promptTarget - r.prefilled;
        // A prompt longer than the whole budget never fits a batch: ATOM would wait on it for ever.
        if (n > lim.tokenBudget) throw new InputError(`a prompt of ${n} tokens exceeds max_num_batched_tokens (${lim.tokenBudget} per replica): ATOM schedules whole prompts only (no chunked prefill); raise max_num_tokens to at least the longest prompt`);
        if (n > budget || v.kvNeed(planned + n, chunks.length + 1) > lim.kvCapacityTokens) break;
        v.admitHead();
        chunks.push([r, n]);
        budget -= n;
        planned += n;
      }
      if (chunks.length) return { decodes: false, chunks, admitted: chunks.length, holdFor: 0, maxRun: 1 };
      if (v.decoding && v.kvNeed(v.decoding, 0) > lim.kvCapacityTokens) v.preemptFor(v.decoding);
      return { decodes: true, chunks: [], admitted: 0, holdFor: 0 };
    },
  };
}
