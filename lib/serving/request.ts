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
  /** Shared prompt prefix: its group and length (part of `input`). */
  prefixGroup?: number;
  prefixTokens?: number;
  /** Prefix tokens this request uses from a replica's prefix cache (shared, not in `kv`); 0 = none. */
  prefixHeld?: number;
}

/** What a replica does: both phases (aggregated), or one pool of a disaggregated deployment. */
export type Role = "both" | "prefill" | "decode";
