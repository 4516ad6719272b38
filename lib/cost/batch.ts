/**
 * What one engine step processes, reduced to the sums that costs depend on.
 * Attention work depends on each sequence's context, so it is summed per attention window.
 */

export interface AttentionWork {
  /** Σ over sequences of causal (query, key) pairs computed this step. */
  pairs: number;
  /** Σ over sequences of KV tokens read from the cache (prior context, capped by the window). */
  kvRead: number;
  /** The part of pairs / kvRead that belongs to sequences in prefill (they run the prefill kernel). */
  prefillPairs: number;
  prefillKvRead: number;
}

export interface BatchStats {
  /** New tokens this step: prefill chunk tokens + one per decoding sequence. */
  tokens: number;
  /** Sequences in the step. */
  seqs: number;
  /** Sequences that emit a token this step (decodes + prefills that finish their prompt): rows of the LM head. */
  logitRows: number;
  /** Sequences in prefill (for kernel choice and accounting). */
  prefillSeqs: number;
  prefillTokens: number;
  /** Per attention window: key "full" or the window size as text. */
  attention: Record<string, AttentionWork>;
}

export const windowKey = (w: number | null): string => (w ? String(w) : "full");

/** Causal pairs for `n` new tokens appended after `ctx` cached tokens, each query seeing at most `w` keys. */
export function causalPairs(ctx: number, n: number, w: number | null): number {
  if (!w) return n * ctx + (n * (n + 1)) / 2;
  // Query j (1-based among new tokens) sees min(ctx + j, w) keys.
  const full = Math.max(0, Math.min(n, w - ctx)); // queries still below the window
  const below = full > 0 ? full * ctx + (full * (full + 1)) / 2 : 0;
  return below + (n - full) * w;
}

/** Build batch stats from explicit sequences (context before this step, new tokens this step). */
export function batchOf(
  seqs: { context: number; newTokens: number; emitsToken?: boolean }[],
  windows: (number | null)[],
): BatchStats {
  const attention: Record<string, AttentionWork> = {};
  const keys = [...new Set(windows.map(windowKey))];
  for (const k of keys) attention[k] = { pairs: 0, kvRead: 0, prefillPairs: 0, prefillKvRead: 0 };
  let tokens = 0;
  let logitRows = 0;
  let prefillSeqs = 0;
  let prefillTokens = 0;
  for (const s of seqs) {
    tokens += s.newTokens;
    if (s.emitsToken ?? true) logitRows++;
    const prefill = s.newTokens > 1 || s.context === 0;
    if (prefill) {
      prefillSeqs++;
      prefillTokens += s.newTokens;
    }
    for (const k of keys) {
      const w = k === "full" ? null : Number(k);
      const pairs = causalPairs(s.context, s.newTokens, w);
      const kv = w ? Math.min(s.context, w) : s.context;
      const a = attention[k];
      a.pairs += pairs;
      a.kvRead += kv;
      if (prefill) {
        a.prefillPairs += pairs;
        a.prefillKvRead += kv;
      }
    }
  }
  return { tokens, seqs: seqs.length, logitRows, prefillSeqs, prefillTokens, attention };
}

/** Prefill of `batch` prompts of `seqLen` tokens each, from an empty cache. */
export function prefillBatch(batch: number, seqLen: number, windows: (number | null)[]): BatchStats {
  return batchOf(Array.from({ length: batch }, () => ({ context: 0, newTokens: seqLen })), windows);
}

/** One decode step: `batch` sequences each with `context` cached tokens produce one token. */
export function decodeBatch(batch: number, context: number, windows: (number | null)[]): BatchStats {
  const attention: Record<string, AttentionWork> = {};
  for (const w of windows) {
    const seen = w ? Math.min(context, w) : context;
    // The new token attends to the cached keys (capped) plus itself.
    attention[windowKey(w)] = { pairs: batch * Math.min(seen + 1, w ?? Infinity), kvRead: batch * seen, prefillPairs: 0, prefillKvRead: 0 };
  }
  return { tokens: batch, seqs: batch, logitRows: batch, prefillSeqs: 0, prefillTokens: 0, attention };
}

/**
 * One of `m` equal micro-batches of a step: every sum divided by m. Pipeline parallelism runs a step as
 * micro-batches in flight on different stages (vLLM V1 EngineCore batch_queue of max_concurrent_batches =
 * pipeline_parallel_size, vllm/v1/engine/core.py v0.11; TensorRT-LLM PyExecutor micro-batches = pp_size).
 */
export function microBatch<T extends { tokens: number; seqs: number; logitRows: number; prefillTokens: number; prefillSeqs: number; attention: Record<string, AttentionWork> }>(s: T, m: number): T {
  if (m === 1) return s;
  const attention: Record<string, AttentionWork> = {};
  for (const [k, w] of Object.entries(s.attention)) attention[k] = { pairs: w.pairs / m, kvRead: w.kvRead / m, prefillPairs: w.prefillPairs / m, prefillKvRead: w.prefillKvRead / m };
  return { ...s, tokens: s.tokens / m, seqs: s.seqs / m, logitRows: s.logitRows / m, prefillTokens: s.prefillTokens / m, prefillSeqs: s.prefillSeqs / m, attention };
}
