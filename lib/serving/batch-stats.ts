/**
 * The sums a step's cost depends on (lib/cost/batch.ts BatchStats), built from a replica's state:
 * decode contexts as Σ context plus the few contexts still below a sliding window, so a run of
 * identical steps is re-evaluated `ahead` steps later in O(1).
 */
import { causalPairs, windowKey, type AttentionWork, type BatchStats } from "../cost/batch";
import type { DecodeSet } from "./decode-set";
import type { Request } from "./request";

/** A step's batch before it advances: decodes, prompt chunks, and their attention work. */
export interface BaseStats {
  decodes: number;
  sumCtx: number;
  short: number[];
  prefill: Record<string, AttentionWork>;
  tokens: number;
  logitRows: number;
  prefillTokens: number;
  prefillSeqs: number;
}

/** The step's batch: the decoding sequences (unless the policy paused them) and the prompt chunks. */
export function baseStats(decoding: DecodeSet, chunks: [Request, number][], windows: (number | null)[], includeDecodes = true): BaseStats {
  const decodes = includeDecodes ? decoding.size : 0;
  const short = includeDecodes ? decoding.shortContexts() : [];
  const prefill: Record<string, AttentionWork> = {};
  let tokens = decodes;
  let logitRows = decodes;
  let prefillTokens = 0;
  for (const w of windows) prefill[windowKey(w)] = { pairs: 0, kvRead: 0, prefillPairs: 0, prefillKvRead: 0 };
  for (const [r, n] of chunks) {
    tokens += n;
    prefillTokens += n;
    if (r.prefilled + n >= r.promptTarget) logitRows++;
    for (const w of windows) {
      const a = prefill[windowKey(w)];
      a.pairs += causalPairs(r.prefilled, n, w);
      a.kvRead += w ? Math.min(r.prefilled, w) : r.prefilled;
    }
  }
  return { decodes, sumCtx: includeDecodes ? decoding.sumCtx : 0, short, prefill, tokens, logitRows, prefillTokens, prefillSeqs: chunks.length };
}

/**
 * The batch `ahead` steps later (each decode gained `ahead · gain` tokens of context). With speculative
 * decoding, verification runs 1 + draft query tokens per decoding sequence over the same cached context.
 */
export function statsAhead(b: BaseStats, ahead: number, gain: number, windows: (number | null)[], draft = 0): BatchStats {
  const q = 1 + draft;
  const attention: BatchStats["attention"] = {};
  for (const w of windows) {
    const p = b.prefill[windowKey(w)];
    let kv: number;
    let pairs: number;
    if (!w) {
      kv = b.sumCtx + ahead * b.decodes * gain;
      pairs = q * (kv + b.decodes);
    } else {
      // Sequences past the window read exactly w keys; the short ones read their whole context.
      let shortKv = 0;
      let shortPairs = 0;
      for (const c of b.short) {
        shortKv += Math.min(c + ahead * gain, w);
        shortPairs += Math.min(c + ahead * gain + 1, w);
      }
      kv = (b.decodes - b.short.length) * w + shortKv;
      pairs = q * ((b.decodes - b.short.length) * w + shortPairs);
    }
    attention[windowKey(w)] = { pairs: pairs + p.pairs, kvRead: kv + p.kvRead, prefillPairs: p.pairs, prefillKvRead: p.kvRead };
  }
  const extra = draft * b.decodes;
  return { tokens: b.tokens + extra, seqs: b.decodes + b.prefillSeqs, logitRows: b.logitRows + extra, prefillSeqs: b.prefillSeqs, prefillTokens: b.prefillTokens, attention };
}
