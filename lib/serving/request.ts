/** A request as the simulator tracks it, from arrival to its last token. */
export interface Request {
  id: number;
  arrival: number;
  input: number;
  output: number;
  /** Prompt tokens already in the KV cache (for recompute after preemption: input + generated). */
  prefilled: number;
  /** Tokens of prompt to (re)compute before decoding. */
  promptTarget: number;
  generated: number;
  /** Tokens this request holds in the KV cache of its current replica. */
  kv: number;
  firstToken: number;
  finish: number;
  preemptions: number;
  /** Time the request reached the decode pool (disaggregated), else arrival. */
  decodeArrival: number;
  /** Replica step count when it was queued (for prefill batching waits). */
  queuedStep?: number;
}

/** What a replica does: both phases (aggregated), or one pool of a disaggregated deployment. */
export type Role = "both" | "prefill" | "decode";
