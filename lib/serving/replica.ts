/**
 * One engine replica stepping through time: decode-first scheduling with chunked prefill under a
 * token budget, a KV pool with preemption by recompute, and the step time of the actual mixed batch.
 * Runs of steps whose batch cannot change (pure decode, nothing admissible) are advanced together,
 * with the step time integrated over the run (Simpson's rule; exact for time linear in context).
 */
import { causalPairs, windowKey, type AttentionWork, type BatchStats } from "../cost/batch";

interface BaseStats {
  decodes: number;
  sumCtx: number;
  short: number[];
  prefill: Record<string, AttentionWork>;
  tokens: number;
  logitRows: number;
  prefillTokens: number;
  prefillSeqs: number;
}
import type { StepModel } from "../step/step-model";

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
}

export type Role = "both" | "prefill" | "decode";

export interface ReplicaConfig {
  name: string;
  role: Role;
  gpus: number;
  /** Step models: for steps with prefill work (eager or piecewise) and for pure decode (CUDA graphs). */
  mixedModel: StepModel;
  decodeModel: StepModel;
  tokenBudget: number;
  maxSeqs: number;
  /** KV pool in tokens of full-attention context; each running sequence also holds `windowTokensPerSeq`. */
  kvCapacityTokens: number;
  windowTokensPerSeq: number;
  windows: (number | null)[];
  /** Upper bound on steps advanced together (1 = strictly step by step). */
  maxRun: number;
}

export interface StepRecord {
  t: number;
  steps: number;
  seconds: number;
  running: number;
  decodes: number;
  prefillTokens: number;
  kvUsed: number;
}

export interface StepOutcome {
  /** Requests that produced their first token in this step (role both/prefill). */
  firstTokens: Request[];
  /** Requests whose prompt finished on a prefill-only replica: to hand to decode. */
  prefilled: Request[];
  finished: Request[];
}

export class Replica {
  readonly waiting: Request[] = [];
  private waitHead = 0;
  readonly running: Request[] = [];
  kvUsed = 0;
  busyUntil = 0;
  stepCount = 0;
  readonly records: StepRecord[] = [];
  /** Inter-token gaps: step seconds and the number of decode tokens that waited that long. */
  readonly itlSeconds: number[] = [];
  readonly itlWeights: number[] = [];
  private pending: { end: number; k: number; decodes: Request[]; chunks: [Request, number][] } | null = null;

  constructor(readonly cfg: ReplicaConfig) {}

  enqueue(r: Request): void {
    this.waiting.push(r);
  }

  get queued(): number {
    return this.waiting.length - this.waitHead;
  }

  get load(): number {
    return this.running.length + this.queued;
  }

  get idle(): boolean {
    return this.pending === null;
  }

  private kvNeed(extraTokens: number, extraSeqs: number): number {
    return this.kvUsed + extraTokens + (this.running.length + extraSeqs) * this.cfg.windowTokensPerSeq;
  }

  /** Preempt the most recently admitted sequences until `needTokens` more fit (vLLM recompute policy). */
  private preemptFor(needTokens: number): void {
    while (this.running.length > 1 && this.kvNeed(needTokens, 0) > this.cfg.kvCapacityTokens) {
      const victim = this.running.pop()!;
      this.kvUsed -= victim.kv;
      victim.kv = 0;
      victim.preemptions++;
      // Recompute: the prompt becomes input + tokens generated so far.
      victim.promptTarget = victim.input + victim.generated;
      victim.prefilled = 0;
      this.waitHead--;
      if (this.waitHead < 0) {
        this.waiting.unshift(victim);
        this.waitHead = 0;
      } else this.waiting[this.waitHead] = victim;
    }
  }

  /** Start a step at `now` if there is work; returns its end time or null when idle. */
  start(now: number, nextExternalEvent = Infinity): number | null {
    const cfg = this.cfg;
    const decodes: Request[] = [];
    const prefills: Request[] = [];
    for (const r of this.running) (r.prefilled >= r.promptTarget ? decodes : prefills).push(r);
    if (decodes.length && this.kvNeed(decodes.length, 0) > cfg.kvCapacityTokens) {
      this.preemptFor(decodes.length);
      return this.start(now, nextExternalEvent);
    }
    let budget = cfg.tokenBudget - decodes.length;
    let planned = decodes.length;
    const chunks: [Request, number][] = [];
    // Continue partial prefills first, then admit waiting requests in arrival order.
    for (const r of prefills) {
      if (budget <= 0) break;
      const n = Math.min(budget, r.promptTarget - r.prefilled);
      if (this.kvNeed(planned + n, 0) > cfg.kvCapacityTokens) break;
      chunks.push([r, n]);
      budget -= n;
      planned += n;
    }
    let admitted = 0;
    while (budget > 0 && this.queued > 0 && this.running.length + admitted < cfg.maxSeqs) {
      const r = this.waiting[this.waitHead];
      const n = Math.min(budget, r.promptTarget - r.prefilled);
      if (this.kvNeed(planned + n, admitted + 1) > cfg.kvCapacityTokens) break;
      this.waitHead++;
      admitted++;
      chunks.push([r, n]);
      budget -= n;
      planned += n;
    }
    // Newly admitted requests join the running list (partial prefills are already in it).
    for (let i = chunks.length - admitted; i < chunks.length; i++) this.running.push(chunks[i][0]);
    if (this.waitHead > 1024 && this.waitHead * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitHead);
      this.waitHead = 0;
    }
    if (decodes.length === 0 && chunks.length === 0) return null;

    // Steps this batch repeats unchanged: no prefill, and until the first sequence finishes or KV runs out.
    let k = 1;
    if (chunks.length === 0 && cfg.maxRun > 1) {
      let minLeft = Infinity;
      for (const r of decodes) minLeft = Math.min(minLeft, r.output - r.generated);
      const kvRoom = Math.floor((cfg.kvCapacityTokens - this.kvNeed(0, 0)) / decodes.length);
      k = Math.max(1, Math.min(minLeft, kvRoom, cfg.maxRun));
    }
    const base = this.baseStats(decodes, chunks);
    const stats = this.statsAhead(base, 0);
    const model = chunks.length ? cfg.mixedModel : cfg.decodeModel;
    let seconds: number;
    const t0 = model.time(stats);
    if (k === 1) seconds = t0;
    else {
      const tm = model.time(this.statsAhead(base, (k - 1) / 2));
      const t1 = model.time(this.statsAhead(base, k - 1));
      seconds = (k * (t0 + 4 * tm + t1)) / 6;
      // Stop early at an external event (e.g. an open-loop arrival) so it is not delayed by the run.
      if (now + seconds > nextExternalEvent) {
        const kk = Math.max(1, Math.floor((nextExternalEvent - now) / t0));
        if (kk < k) {
          k = kk;
          seconds = k === 1 ? t0 : (k * (t0 + model.time(this.statsAhead(base, k - 1)))) / 2;
        }
      }
    }
    const prefillTokens = chunks.reduce((s, c) => s + c[1], 0);
    this.records.push({ t: now, steps: k, seconds, running: this.running.length, decodes: decodes.length, prefillTokens, kvUsed: this.kvNeed(0, 0) / cfg.kvCapacityTokens });
    if (decodes.length) {
      this.itlSeconds.push(seconds / k);
      this.itlWeights.push(decodes.length * k);
    }
    this.stepCount += k;
    this.pending = { end: now + seconds, k, decodes, chunks };
    this.busyUntil = now + seconds;
    return now + seconds;
  }

  /**
   * Sums over this step's sequences that costs depend on. Decode contexts are kept as Σ context plus
   * the few contexts still below a sliding window, so a run of identical steps is re-evaluated in O(1).
   */
  private baseStats(decodes: Request[], chunks: [Request, number][]): BaseStats {
    const wins = this.cfg.windows.filter((w): w is number => !!w);
    const maxW = wins.length ? Math.max(...wins) : 0;
    let sumCtx = 0;
    const short: number[] = [];
    for (const r of decodes) {
      const ctx = r.input + r.generated - 1; // tokens cached before this step's token
      sumCtx += ctx;
      if (ctx < maxW) short.push(ctx);
    }
    const prefill: Record<string, AttentionWork> = {};
    let tokens = decodes.length;
    let logitRows = decodes.length;
    let prefillTokens = 0;
    for (const w of this.cfg.windows) prefill[windowKey(w)] = { pairs: 0, kvRead: 0, prefillPairs: 0, prefillKvRead: 0 };
    for (const [r, n] of chunks) {
      tokens += n;
      prefillTokens += n;
      if (r.prefilled + n >= r.promptTarget) logitRows++;
      for (const w of this.cfg.windows) {
        const a = prefill[windowKey(w)];
        const pairs = causalPairs(r.prefilled, n, w);
        const seen = w ? Math.min(r.prefilled, w) : r.prefilled;
        a.pairs += pairs;
        a.kvRead += seen;
      }
    }
    return { decodes: decodes.length, sumCtx, short, prefill, tokens, logitRows, prefillTokens, prefillSeqs: chunks.length };
  }

  private statsAhead(b: BaseStats, ahead: number): BatchStats {
    const attention: BatchStats["attention"] = {};
    for (const w of this.cfg.windows) {
      const p = b.prefill[windowKey(w)];
      let kv: number;
      let pairs: number;
      if (!w) {
        kv = b.sumCtx + ahead * b.decodes;
        pairs = kv + b.decodes;
      } else {
        // Sequences past the window read exactly w keys; the short ones read their whole context.
        let shortKv = 0;
        let shortPairs = 0;
        for (const c of b.short) {
          shortKv += Math.min(c + ahead, w);
          shortPairs += Math.min(c + ahead + 1, w);
        }
        kv = (b.decodes - b.short.length) * w + shortKv;
        pairs = (b.decodes - b.short.length) * w + shortPairs;
      }
      attention[windowKey(w)] = { pairs: pairs + p.pairs, kvRead: kv + p.kvRead, prefillPairs: p.pairs, prefillKvRead: p.kvRead };
    }
    return { tokens: b.tokens, seqs: b.decodes + b.prefillSeqs, logitRows: b.logitRows, prefillSeqs: b.prefillSeqs, prefillTokens: b.prefillTokens, attention };
  }

  /** Apply the finished step at its end time. */
  complete(): StepOutcome {
    const p = this.pending!;
    this.pending = null;
    const out: StepOutcome = { firstTokens: [], prefilled: [], finished: [] };
    const t = p.end;
    for (const r of p.decodes) {
      r.generated += p.k;
      r.kv += p.k;
      this.kvUsed += p.k;
      if (r.generated >= r.output) {
        r.finish = t;
        out.finished.push(r);
      }
    }
    for (const [r, n] of p.chunks) {
      r.prefilled += n;
      r.kv += n;
      this.kvUsed += n;
      if (r.prefilled >= r.promptTarget) {
        const firstTime = r.firstToken < 0;
        if (this.cfg.role === "prefill") {
          r.firstToken = t;
          out.prefilled.push(r);
          continue;
        }
        if (firstTime) {
          r.firstToken = t;
          r.generated = 1; // its KV is written by the next decode step
          out.firstTokens.push(r);
          if (r.generated >= r.output) {
            r.finish = t;
            out.finished.push(r);
          }
        }
      }
    }
    if (out.finished.length || out.prefilled.length) {
      const leaving = new Set<Request>([...out.finished, ...out.prefilled]);
      for (const r of leaving) {
        this.kvUsed -= r.kv;
        r.kv = 0;
      }
      const keep = this.running.filter((r) => !leaving.has(r));
      this.running.length = 0;
      this.running.push(...keep);
    }
    return out;
  }

  /** Accept a request whose KV arrived from a prefill replica (disaggregated decode). */
  admitPrefilled(r: Request): boolean {
    if (this.running.length >= this.cfg.maxSeqs) return false;
    if (this.kvNeed(r.input, 1) > this.cfg.kvCapacityTokens) return false;
    r.prefilled = r.promptTarget;
    if (r.generated < 1) r.generated = 1;
    r.kv = r.promptTarget;
    this.kvUsed += r.kv;
    this.running.push(r);
    return true;
  }
}
