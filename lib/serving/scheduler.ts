/**
 * A scheduler is a policy (as in Vidur's replica schedulers): each engine step it decides which
 * prompt chunks run, which waiting requests are admitted, and whether the decoding sequences step.
 * State (queues, KV, decoding set) lives in the Replica; the policy reads it through this view and
 * asks the replica to admit or preempt. Adding an engine's behaviour = a policy + a profile.
 */
import type { Request } from "./request";

/** The replica as a policy sees it. */
export interface ReplicaView {
  readonly limits: {
    /** Tokens one step may process (prefill chunk tokens + one per decode). */
    tokenBudget: number;
    maxSeqs: number;
    kvCapacityTokens: number;
  };
  /** Sequences decoding now, and the requests in prefill (admitted, prompt not complete) in admission order. */
  readonly decoding: number;
  readonly prefilling: readonly Request[];
  /** Requests waiting for admission, and the first of them. */
  readonly queued: number;
  headOfQueue(): Request;
  /** The i-th waiting request (0 = the head), without taking it. */
  queuedAt(i: number): Request;
  readonly running: number;
  readonly stepCount: number;
  /** KV tokens needed if `extraTokens` more were written and `extraSeqs` more sequences ran (sliding-window KV included). */
  kvNeed(extraTokens: number, extraSeqs: number): number;
  /** Σ over decoding sequences of min(tokens still to generate, clip). */
  remainingOutput(clip: number): number;
  /** Σ over running requests (decoding and in prefill) of their whole length, prompt + output: what reserving each request in full holds. */
  fullReservation(): number;
  /** Take the head of the waiting queue (the policy then schedules its first chunk). */
  admitHead(): Request;
  /** Preempt sequences (recompute) until `needTokens` more KV tokens fit; returns how many were preempted. */
  preemptFor(needTokens: number): number;
}

/** One step's batch as the policy decided it. */
export interface StepPlan {
  /** Whether the decoding sequences run this step (false: a prefill-only step, decodes wait). */
  decodes: boolean;
  /** Prompt chunks this step: continuing prefills first, then newly admitted requests. */
  chunks: [Request, number][];
  /** How many of the chunks (the last ones) belong to newly admitted requests. */
  admitted: number;
  /** Steps new prompts are held back (attention-DP balancing); bounds a run of identical steps. */
  holdFor: number;
  /** Identical steps this plan stays valid for at most (policy state that evolves per step, e.g. SGLang's new-token ratio); default unbounded. */
  maxRun?: number;
}

export interface SchedulerPolicy {
  /** Name as data/engines profiles select it (`scheduler.policy`). */
  readonly name: string;
  /** The engine source (file and version) whose behaviour this follows. */
  readonly source: string;
  plan(view: ReplicaView): StepPlan;
  /** Told after each step: how many decode steps ran. Policies with per-step state (SGLang's new-token ratio) update it here. */
  afterStep?(decodeSteps: number): void;
}
