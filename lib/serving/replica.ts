/**
 * One engine replica stepping through time: decode-first scheduling with chunked prefill under a
 * token budget, a KV pool with preemption by recompute, and the step time of the actual mixed batch.
 * Runs of steps whose batch cannot change (pure decode, nothing admissible) are advanced together,
 * with the step time integrated over the run (Simpson's rule; exact for time linear in context).
 *
 * Decoding sequences all advance one token per step, so their state is kept relative to a tick
 * counter (tokens generated = generated at entry + ticks since entry) with running sums and a
 * min-heap of finish ticks: a step costs O(log B), not O(B), in the batch size B.
 */
import { causalPairs, windowKey, type AttentionWork, type BatchStats } from "../cost/batch";
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
  /** Replica step count when it was queued (for prefill batching waits). */
  queuedStep?: number;
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
  /**
   * Speculative decoding: each decode step verifies `draftTokens` proposals per sequence and yields
   * `tokensPerStep` tokens on average; drafting costs `draftFraction` of a plain decode pass.
   */
  speculative?: { draftTokens: number; tokensPerStep: number; draftFraction: number };
  /**
   * Attention-DP balancing (TensorRT-LLM attention_dp_config): new prompts wait up to this many decode
   * steps so that all DP ranks prefill together; 0 = admit at once.
   */
  prefillWaitSteps: number;
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

/** Per decoding request bookkeeping relative to the replica's tick counter. */
interface Slot {
  r: Request;
  index: number;
  tick0: number;
  gen0: number;
  kv0: number;
  admitted: number;
  finishTick: number;
}

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

/** Binary min-heap of slots by finish tick (stale entries skipped on read). */
class FinishHeap {
  private a: Slot[] = [];
  push(s: Slot): void {
    const a = this.a;
    a.push(s);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p].finishTick <= a[i].finishTick) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  peek(live: (s: Slot) => boolean): Slot | undefined {
    while (this.a.length && !live(this.a[0])) this.pop();
    return this.a[0];
  }
  pop(): Slot | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l].finishTick < a[m].finishTick) m = l;
        if (r < a.length && a[r].finishTick < a[m].finishTick) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

export class Replica {
  readonly waiting: Request[] = [];
  private waitHead = 0;
  /** Requests in prefill (admitted, prompt not complete), in admission order. */
  private readonly prefilling: Request[] = [];
  private readonly decoding: Slot[] = [];
  private readonly slotOf = new Map<Request, Slot>();
  private readonly heap = new FinishHeap();
  /** Decoding slots whose context may still be below the largest sliding window. */
  private short: Slot[] = [];
  /** Requests whose KV arrived from a prefill pool, joining at the next step. */
  private readonly joining: Request[] = [];
  private ticks = 0;
  private sumCtx = 0;
  private decodeKv = 0;
  private prefillKv = 0;
  private admissions = 0;
  private readonly maxWindow: number;
  /** Tokens a decoding sequence gains per step (1 without speculative decoding). */
  private readonly gain: number;
  private readonly draft: number;
  busyUntil = 0;
  stepCount = 0;
  readonly records: StepRecord[] = [];
  /** Inter-token gaps: step seconds and the number of decode tokens that waited that long. */
  readonly itlSeconds: number[] = [];
  readonly itlWeights: number[] = [];
  private pending: { end: number; k: number; decodes: number; chunks: [Request, number][] } | null = null;

  constructor(readonly cfg: ReplicaConfig) {
    const wins = cfg.windows.filter((w): w is number => !!w);
    this.maxWindow = wins.length ? Math.max(...wins) : 0;
    this.gain = cfg.speculative?.tokensPerStep ?? 1;
    this.draft = cfg.speculative?.draftTokens ?? 0;
  }

  enqueue(r: Request): void {
    r.queuedStep = this.stepCount;
    this.waiting.push(r);
  }

  get queued(): number {
    return this.waiting.length - this.waitHead;
  }

  get running(): number {
    return this.prefilling.length + this.decoding.length;
  }

  get load(): number {
    return this.running + this.queued + this.joining.length;
  }

  get idle(): boolean {
    return this.pending === null;
  }

  get kvUsed(): number {
    return this.decodeKv + this.prefillKv;
  }

  private kvNeed(extraTokens: number, extraSeqs: number): number {
    return this.kvUsed + extraTokens + (this.running + extraSeqs) * this.cfg.windowTokensPerSeq;
  }

  private generatedOf(s: Slot): number {
    return Math.min(s.r.output, s.gen0 + (this.ticks - s.tick0) * this.gain);
  }

  /** Move a request whose prompt is in the cache into the decoding set. */
  private startDecoding(r: Request): void {
    const s: Slot = { r, index: this.decoding.length, tick0: this.ticks, gen0: r.generated, kv0: r.kv, admitted: this.admissions++, finishTick: this.ticks + Math.ceil((r.output - r.generated) / this.gain - 1e-9) };
    this.decoding.push(s);
    this.slotOf.set(r, s);
    this.heap.push(s);
    this.sumCtx += r.input + r.generated - 1;
    this.decodeKv += r.kv;
    if (r.input + r.generated - 1 < this.maxWindow) this.short.push(s);
  }

  /** Take a request out of the decoding set, writing its progress back. */
  private stopDecoding(s: Slot): void {
    const r = s.r;
    r.generated = Math.floor(this.generatedOf(s));
    r.kv = s.kv0 + (r.generated - s.gen0);
    this.sumCtx -= r.input + r.generated - 1;
    this.decodeKv -= r.kv;
    const last = this.decoding.pop()!;
    if (last !== s) {
      this.decoding[s.index] = last;
      last.index = s.index;
    }
    this.slotOf.delete(r);
  }

  private requeueFront(r: Request): void {
    if (this.waitHead > 0) this.waiting[--this.waitHead] = r;
    else this.waiting.unshift(r);
  }

  /** Preempt the most recently admitted sequences until `needTokens` more fit (vLLM recompute policy). */
  private preemptFor(needTokens: number): void {
    while (this.running > 1 && this.kvNeed(needTokens, 0) > this.cfg.kvCapacityTokens) {
      let victim: Request;
      if (this.prefilling.length) {
        victim = this.prefilling.pop()!;
        this.prefillKv -= victim.kv;
      } else {
        let latest = this.decoding[0];
        for (const s of this.decoding) if (s.admitted > latest.admitted) latest = s;
        this.stopDecoding(latest);
        victim = latest.r;
      }
      victim.kv = 0;
      victim.preemptions++;
      // Recompute: the prompt becomes input + tokens generated so far.
      victim.promptTarget = victim.input + victim.generated;
      victim.prefilled = 0;
      this.requeueFront(victim);
    }
  }

  /** Start a step at `now` if there is work; returns its end time or null when idle. */
  start(now: number, nextExternalEvent = Infinity): number | null {
    const cfg = this.cfg;
    while (this.joining.length) this.startDecoding(this.joining.shift()!);
    let nDec = this.decoding.length;
    if (nDec && this.kvNeed(nDec, 0) > cfg.kvCapacityTokens) {
      this.preemptFor(nDec);
      nDec = this.decoding.length;
    }
    let budget = cfg.tokenBudget - nDec;
    let planned = nDec;
    const chunks: [Request, number][] = [];
    // Continue partial prefills first, then admit waiting requests in arrival order.
    for (const r of this.prefilling) {
      if (budget <= 0) break;
      const n = Math.min(budget, r.promptTarget - r.prefilled);
      if (this.kvNeed(planned + n, 0) > cfg.kvCapacityTokens) break;
      chunks.push([r, n]);
      budget -= n;
      planned += n;
    }
    let admitted = 0;
    // Balancing: while decodes run, hold new prompts until the oldest has waited the configured steps.
    let holdFor = 0;
    if (cfg.prefillWaitSteps > 0 && nDec > 0 && this.queued > 0) {
      const waited = this.stepCount - (this.waiting[this.waitHead].queuedStep ?? this.stepCount);
      holdFor = Math.max(0, cfg.prefillWaitSteps - waited);
    }
    while (holdFor === 0 && budget > 0 && this.queued > 0 && this.running + admitted < cfg.maxSeqs) {
      const r = this.waiting[this.waitHead];
      const n = Math.min(budget, r.promptTarget - r.prefilled);
      if (this.kvNeed(planned + n, admitted + 1) > cfg.kvCapacityTokens) break;
      this.waitHead++;
      admitted++;
      chunks.push([r, n]);
      budget -= n;
      planned += n;
    }
    for (let i = chunks.length - admitted; i < chunks.length; i++) this.prefilling.push(chunks[i][0]);
    if (this.waitHead > 1024 && this.waitHead * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitHead);
      this.waitHead = 0;
    }
    if (nDec === 0 && chunks.length === 0) return null;

    // Steps this batch repeats unchanged: no prefill, and until the first sequence finishes or KV runs out.
    let k = 1;
    if (chunks.length === 0 && cfg.maxRun > 1) {
      const first = this.heap.peek((s) => this.slotOf.get(s.r) === s);
      const minLeft = first ? first.finishTick - this.ticks : 1;
      const kvRoom = Math.floor((cfg.kvCapacityTokens - this.kvNeed(0, 0)) / (nDec * this.gain));
      k = Math.max(1, Math.min(minLeft, kvRoom, cfg.maxRun, holdFor > 0 ? holdFor : Infinity));
    }
    const base = this.baseStats(chunks);
    const model = chunks.length ? cfg.mixedModel : cfg.decodeModel;
    let seconds: number;
    const t0 = this.stepSeconds(model, base, 0);
    if (k === 1) seconds = t0;
    else {
      const tm = this.stepSeconds(model, base, (k - 1) / 2);
      const t1 = this.stepSeconds(model, base, k - 1);
      seconds = (k * (t0 + 4 * tm + t1)) / 6;
      // Stop early at an external event (e.g. an arrival) so it is not delayed by the run.
      if (now + seconds > nextExternalEvent) {
        const kk = Math.max(1, Math.floor((nextExternalEvent - now) / t0));
        if (kk < k) {
          k = kk;
          seconds = k === 1 ? t0 : (k * (t0 + this.stepSeconds(model, base, k - 1))) / 2;
        }
      }
    }
    const prefillTokens = planned - nDec;
    this.records.push({ t: now, steps: k, seconds, running: this.running, decodes: nDec, prefillTokens, kvUsed: this.kvNeed(0, 0) / cfg.kvCapacityTokens });
    if (nDec) {
      this.itlSeconds.push(seconds / k / this.gain);
      this.itlWeights.push(Math.round(nDec * k * this.gain));
    }
    this.stepCount += k;
    this.pending = { end: now + seconds, k, decodes: nDec, chunks };
    this.busyUntil = now + seconds;
    return now + seconds;
  }

  /**
   * Sums over this step's sequences that costs depend on. Decode contexts are Σ context plus the few
   * contexts still below a sliding window, so a run of identical steps is re-evaluated in O(1).
   */
  private baseStats(chunks: [Request, number][]): BaseStats {
    const short: number[] = [];
    if (this.short.length) {
      // Rare: sequences whose context is still shorter than the window (prompts shorter than it).
      this.short = this.short.filter((s) => this.slotOf.get(s.r) === s && s.r.input + this.generatedOf(s) - 1 < this.maxWindow);
      for (const s of this.short) short.push(s.r.input + this.generatedOf(s) - 1);
    }
    const prefill: Record<string, AttentionWork> = {};
    let tokens = this.decoding.length;
    let logitRows = this.decoding.length;
    let prefillTokens = 0;
    for (const w of this.cfg.windows) prefill[windowKey(w)] = { pairs: 0, kvRead: 0, prefillPairs: 0, prefillKvRead: 0 };
    for (const [r, n] of chunks) {
      tokens += n;
      prefillTokens += n;
      if (r.prefilled + n >= r.promptTarget) logitRows++;
      for (const w of this.cfg.windows) {
        const a = prefill[windowKey(w)];
        a.pairs += causalPairs(r.prefilled, n, w);
        a.kvRead += w ? Math.min(r.prefilled, w) : r.prefilled;
      }
    }
    return { decodes: this.decoding.length, sumCtx: this.sumCtx, short, prefill, tokens, logitRows, prefillTokens, prefillSeqs: chunks.length };
  }

  /** One step's time; with speculative decoding, the verification pass plus the drafting passes. */
  private stepSeconds(model: StepModel, b: BaseStats, ahead: number): number {
    const verify = model.time(this.statsAhead(b, ahead, this.draft));
    const spec = this.cfg.speculative;
    if (!spec || b.decodes === 0) return verify;
    return verify + spec.draftFraction * model.gpuTime(this.statsAhead(b, ahead, 0));
  }

  private statsAhead(b: BaseStats, ahead: number, draft = 0): BatchStats {
    // Verification runs 1 + draft query tokens per decoding sequence over the same cached context.
    const q = 1 + draft;
    const gain = this.gain;
    const attention: BatchStats["attention"] = {};
    for (const w of this.cfg.windows) {
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

  /** Apply the finished step at its end time. */
  complete(): StepOutcome {
    const p = this.pending!;
    this.pending = null;
    const out: StepOutcome = { firstTokens: [], prefilled: [], finished: [] };
    const t = p.end;
    // Every decoding sequence produced k · gain tokens (and wrote as many KV entries).
    this.ticks += p.k;
    this.sumCtx += p.k * p.decodes * this.gain;
    this.decodeKv += p.k * p.decodes * this.gain;
    for (;;) {
      const s = this.heap.peek((x) => this.slotOf.get(x.r) === x);
      if (!s || s.finishTick > this.ticks) break;
      this.heap.pop();
      this.stopDecoding(s);
      s.r.finish = t;
      out.finished.push(s.r);
    }
    for (const [r, n] of p.chunks) {
      r.prefilled += n;
      r.kv += n;
      this.prefillKv += n;
      if (r.prefilled < r.promptTarget) continue;
      this.prefilling.splice(this.prefilling.indexOf(r), 1);
      this.prefillKv -= r.kv;
      if (this.cfg.role === "prefill") {
        r.firstToken = t;
        out.prefilled.push(r);
        r.kv = 0;
        continue;
      }
      if (r.firstToken < 0) {
        r.firstToken = t;
        r.generated = 1; // its KV is written by the next decode step
        out.firstTokens.push(r);
      }
      if (r.generated >= r.output) {
        r.finish = t;
        r.kv = 0;
        out.finished.push(r);
      } else this.startDecoding(r);
    }
    if (this.decoding.length === 0 && this.prefilling.length === 0) {
      this.decodeKv = 0;
      this.prefillKv = 0;
      this.sumCtx = 0;
    }
    return out;
  }

  /** Accept a request whose KV arrived from a prefill replica (disaggregated decode); it joins at the next step. */
  admitPrefilled(r: Request): boolean {
    if (this.running + this.joining.length >= this.cfg.maxSeqs) return false;
    const joiningKv = this.joining.reduce((s, x) => s + x.promptTarget, 0);
    if (this.kvNeed(joiningKv + r.input, this.joining.length + 1) > this.cfg.kvCapacityTokens) return false;
    r.prefilled = r.promptTarget;
    if (r.generated < 1) r.generated = 1;
    r.kv = r.promptTarget;
    this.joining.push(r);
    return true;
  }
}
