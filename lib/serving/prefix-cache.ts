/**
 * A replica's prefix cache (engine prefix_caching): prompt prefixes resident in the KV pool, shared by the
 * requests using them and evictable (least recently used first) once none does. Reuse is counted in whole
 * blocks; a full hit still recomputes the last prompt token (vLLM kv_cache_manager.get_computed_blocks caps
 * a hit at prompt length − 1).
 */
import type { Request } from "./request";

/** A prompt prefix resident in a replica's KV pool: shared by the requests using it, evictable when none does. */
interface CachedPrefix {
  tokens: number;
  users: number;
  /** Step count of the last release (LRU eviction order). */
  lastUse: number;
}

export class PrefixCache {
  private readonly prefixes = new Map<number, CachedPrefix>();
  /** Tokens of the prefixes in use (counted in the replica's KV once) and of idle ones (in free space). */
  inUse = 0;
  idle = 0;
  /** Lookups at admission that hit, and the prompt tokens they saved. */
  hits = 0;
  hitTokens = 0;

  constructor(private readonly blockTokens: number) {}

  /** Prompt tokens of `r` found in the cache: its group's resident prefix, in whole blocks, leaving at least one prompt token to compute. */
  cachedPrefix(r: Request): number {
    const c = r.prefixGroup === undefined ? undefined : this.prefixes.get(r.prefixGroup);
    if (!c) return 0;
    return Math.floor(Math.min(c.tokens, r.prefixTokens!, r.promptTarget - 1) / this.blockTokens) * this.blockTokens;
  }

  /** A cache hit at admission: the request shares the resident prefix (its KV counted once, in inUse). */
  admit(r: Request): void {
    const c = this.prefixes.get(r.prefixGroup!)!;
    if (c.users++ === 0) {
      this.idle -= c.tokens;
      this.inUse += c.tokens;
    }
    r.prefixHeld = c.tokens;
    this.hits++;
    this.hitTokens += r.prefilled;
  }

  /** A request stops using its cached prefix (finished, preempted or handed off): the prefix stays, idle, until evicted. */
  release(r: Request, step: number): void {
    if (!r.prefixHeld) return;
    const c = this.prefixes.get(r.prefixGroup!)!;
    r.prefixHeld = 0;
    if (--c.users === 0) {
      this.inUse -= c.tokens;
      this.idle += c.tokens;
      c.lastUse = step;
    }
  }

  /** A request that computed its prefix leaves it in the cache (shared from now on) if its group has none resident. */
  store(r: Request, step: number): void {
    if (r.prefixGroup === undefined || r.prefixHeld || this.prefixes.has(r.prefixGroup)) return;
    const tokens = Math.floor(r.prefixTokens! / this.blockTokens) * this.blockTokens;
    if (tokens <= 0) return;
    this.prefixes.set(r.prefixGroup, { tokens, users: 1, lastUse: step });
    this.inUse += tokens;
    r.kv -= tokens;
    r.prefixHeld = tokens;
  }

  /** Idle prefixes live in free KV space: evict the least recently used while `overFull(idle tokens)` says the pool is over-full. */
  evict(overFull: (idle: number) => boolean): void {
    while (this.idle > 0 && overFull(this.idle)) {
      let victim: [number, CachedPrefix] | undefined;
      for (const e of this.prefixes) if (e[1].users === 0 && (!victim || e[1].lastUse < victim[1].lastUse)) victim = e;
      if (!victim) break;
      this.prefixes.delete(victim[0]);
      this.idle -= victim[1].tokens;
    }
  }
}
