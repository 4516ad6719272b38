/**
 * TensorRT-LLM attention-DP balancing (`attention_dp_config: enable_balance`), as its PyTorch executor
 * runs it every iteration (tensorrt_llm/_torch/pyexecutor/py_executor.py `_balance_adp_requests`; the same
 * rule in scheduler.py `should_wait_for_context_batching`; defaults in tensorrt_llm/llmapi/llm_args.py
 * `AttentionDpConfig`: timeout_iters 50, batching_wait_iters 10). The ranks all-gather how many context and
 * generation requests each scheduled, then:
 * - every rank has a context request: the timeout counter resets to 0; if every rank also has generation
 *   requests, context waits `batching_wait_iters` iterations (a counter that resets when context runs),
 *   else it runs now;
 * - otherwise context waits; the timeout counter advances by one every such iteration — with or without
 *   context anywhere — and context runs when it reaches `timeout_iters` (counter back to 0), or at once
 *   (counter back to 0) when some rank has no generation request.
 * The replica aggregates the DP ranks, so two facts are approximated: a rank "has generation requests" while
 * the decoding sequences are at least the ranks; a waiting request's rank is a fixed pseudo-random function
 * of its id — TensorRT-LLM gives a new request to the rank with the fewest active requests, i.e. the rank
 * whose request finished last, and in a loaded closed loop requests finish on the ranks in random order.
 */
import type { ReplicaView } from "../scheduler";

export interface AdpBalanceSettings {
  ranks: number;
  /** attention_dp_config.batching_wait_iters (engine profile dp_prefill_wait_steps). */
  batchingWaitIters: number;
  /** attention_dp_config.timeout_iters. */
  timeoutIters: number;
}

/** The DP rank a request is assigned to: a fixed integer hash of its id (deterministic, spread like random). */
export function adpRank(id: number, ranks: number): number {
  // MurmurHash3's 32-bit finaliser, then the top bits (the best mixed) scaled to the ranks.
  let h = id | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return Math.floor(((h >>> 0) / 2 ** 32) * ranks);
}

export class AdpBalance {
  /** Iteration at which the timeout counter was last 0. */
  private lastReset = 0;
  private batched = 0;

  constructor(readonly s: AdpBalanceSettings) {}

  /** Whether the waiting requests cover every rank (each rank has a context request to schedule). */
  private everyRankHasContext(v: ReplicaView): boolean {
    const seen = new Set<number>();
    for (let i = 0; i < v.queued && seen.size < this.s.ranks; i++) seen.add(adpRank(v.queuedAt(i).id, this.s.ranks));
    return seen.size === this.s.ranks;
  }

  /** Steps the waiting prompts are still held at this iteration (0 = they may run now). */
  holdSteps(v: ReplicaView, decodes: number): number {
    const step = v.stepCount;
    if (decodes < this.s.ranks) {
      // Some rank has no generation request: context runs now, the timeout counter restarts.
      this.lastReset = step;
      return 0;
    }
    if (v.queued === 0) return 0;
    if (this.everyRankHasContext(v)) {
      this.lastReset = step;
      if (this.batched < this.s.batchingWaitIters) {
        this.batched++;
        return 1;
      }
      this.batched = 0;
      return 0;
    }
    const T = this.s.timeoutIters;
    if (T <= 0) return 0;
    // The counter reaches T at iterations lastReset + T, + 2T, … (it advances while nothing waits too).
    const into = (step - this.lastReset) % T;
    if (into === 0 && step > this.lastReset) {
      this.lastReset = step;
      return 0;
    }
    return T - into;
  }
}
