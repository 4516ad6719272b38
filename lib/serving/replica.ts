/**
 * One engine replica stepping through time: its state (waiting queue, prompts in prefill, decoding
 * set, KV pool with preemption by recompute) and the step time of the actual mixed batch. What runs
 * each step is the engine's scheduler policy (./scheduler.ts). Runs of steps whose batch cannot change
 * (pure decode, nothing admissible) are advanced together, with the step time integrated over the run
 * (Simpson's rule; exact for time linear in context).
 */
import type { StepModel } from "../step/step-model";
import { baseStats, statsAhead, type BaseStats } from "./batch-stats";
import { DecodeSet } from "./decode-set";
import { Entering } from "./entering";
import { GapLog } from "./gaps";
import { PrefixCache } from "./prefix-cache";
import type { Request, Role } from "./request";
import type { ReplicaView, SchedulerPolicy, StepPlan } from "./scheduler";

export interface ReplicaConfig {
  name: string;
  role: Role;
  gpus: number;
  policy: SchedulerPolicy;
  /** Step models: for steps with prefill work or decode batches above the CUDA-graph limit (eager), and for pure decode (CUDA graphs). */
  mixedModel: StepModel;
  decodeModel: StepModel;
  tokenBudget: number;
  maxSeqs: number;
  /** Decode batches of more sequences than this (all attention-DP ranks) run without CUDA graphs. */
  graphBatchLimit: number;
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
  /** Prefix cache (engine prefix_caching): reuse is counted in whole blocks of this many tokens; absent = no prefix cache. */
  prefixBlockTokens?: number;
  /** Overlap scheduler (engine schedule_ahead): a request entering during step n is first planned in step n+2 (./entering.ts). */
  scheduleAhead?: boolean;
  /**
   * Deferred output (engine output_delay_steps = 1): a step's tokens reach the host when the next step ends, so a
   * prompt's first token streams at the end of the replica's next step (of any kind) and a sequence is seen to
   * finish one step after its last token: at the end of its next decode step (it decodes once more) or of a
   * prefill-only step that runs first. 0 or 1 (the engine profile's output_delay_steps is bounded to these).
   */
  outputLag?: number;
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
  /** Requests whose prompt finished on a prefill-only replica: to hand to decode. */
  prefilled: Request[];
  finished: Request[];
}

export class Replica implements ReplicaView {
  readonly waiting: Request[] = [];
  private waitHead = 0;
  /** Requests in prefill (admitted, prompt not complete), in admission order. */
  readonly prefilling: Request[] = [];
  private readonly decodeSet: DecodeSet;
  /** Requests whose KV arrived from a prefill pool, joining at the next step. */
  private readonly joining: Request[] = [];
  /** Joined requests whose first token the client has not seen yet: it streams with their first decode step here. */
  private readonly awaitingFirst: Request[] = [];
  /** Deferred output: requests whose first token streams when the next step ends. */
  private readonly deferredFirst: Request[] = [];
  /** Steps a token waits before it reaches the host (ReplicaConfig.outputLag). */
  private readonly lag: number;
  private prefillKv = 0;
  private readonly draft: number;
  readonly limits: ReplicaView["limits"];
  busyUntil = 0;
  stepCount = 0;
  readonly records: StepRecord[] = [];
  /** Inter-token gaps as the client sees them (./gaps.ts). */
  private readonly gaps = new GapLog();
  private pending: { start: number; end: number; k: number; decodes: number; chunks: [Request, number][] } | null = null;
  /** Overlap scheduler: requests entered but not yet seen by a plan (./entering.ts). */
  private readonly entering = new Entering();
  /** Prefix cache (engine prefix_caching), absent without one. */
  private readonly prefix?: PrefixCache;

  constructor(readonly cfg: ReplicaConfig) {
    const wins = cfg.windows.filter((w): w is number => !!w);
    this.lag = cfg.outputLag ?? 0;
    this.decodeSet = new DecodeSet(cfg.speculative?.tokensPerStep ?? 1, wins.length ? Math.max(...wins) : 0, this.lag);
    this.draft = cfg.speculative?.draftTokens ?? 0;
    this.limits = { tokenBudget: cfg.tokenBudget, maxSeqs: cfg.maxSeqs, kvCapacityTokens: cfg.kvCapacityTokens };
    if (cfg.prefixBlockTokens) this.prefix = new PrefixCache(cfg.prefixBlockTokens);
  }

  /** Prefix-cache lookups at admission that hit, and the prompt tokens they saved. */
  get prefixHits(): number {
    return this.prefix?.hits ?? 0;
  }

  get prefixHitTokens(): number {
    return this.prefix?.hitTokens ?? 0;
  }

  enqueue(r: Request): void {
    // A step is running and the next one was planned when it started: this request waits for the plan after.
    if (this.cfg.scheduleAhead && this.pending) this.entering.add(r);
    else this.waiting.push(r);
  }

  /** Inter-token gap lengths (seconds) and how many decode chunks waited that long. */
  get itlSeconds(): number[] {
    return this.gaps.seconds;
  }

  get itlWeights(): number[] {
    return this.gaps.weights;
  }

  get queued(): number {
    return this.waiting.length - this.waitHead;
  }

  get decoding(): number {
    return this.decodeSet.size;
  }

  get running(): number {
    return this.prefilling.length + this.decodeSet.size;
  }

  get load(): number {
    return this.running + this.queued + this.joining.length + this.entering.size;
  }

  get idle(): boolean {
    return this.pending === null;
  }

  get kvUsed(): number {
    return this.decodeSet.kv + this.prefillKv + (this.prefix?.inUse ?? 0);
  }

  /** The next waiting request; with a prefix cache, its cached leading blocks are already computed (as the engine looks them up when scheduling it). */
  headOfQueue(): Request {
    const r = this.waiting[this.waitHead];
    if (this.prefix && r.prefixGroup !== undefined && r.kv === 0) r.prefilled = this.prefix.cachedPrefix(r);
    return r;
  }

  queuedAt(i: number): Request { return this.waiting[this.waitHead + i]; }

  admitHead(): Request {
    const r = this.waiting[this.waitHead++];
    if (this.prefix && r.prefilled > 0 && r.kv === 0) this.prefix.admit(r);
    return r;
  }

  private releasePrefix(r: Request): void {
    this.prefix?.release(r, this.stepCount);
  }

  kvNeed(extraTokens: number, extraSeqs: number): number {
    return this.kvUsed + extraTokens + (this.running + extraSeqs) * this.cfg.windowTokensPerSeq;
  }

  private requeueFront(r: Request): void {
    if (this.waitHead > 0) this.waiting[--this.waitHead] = r;
    else this.waiting.unshift(r);
  }

  remainingOutput(clip: number): number {
    return this.decodeSet.remainingOutput(clip);
  }

  fullReservation(): number {
    let s = this.decodeSet.whole;
    for (const r of this.prefilling) s += r.input + r.output;
    return s;
  }

  /** Preempt the most recently admitted sequences until `needTokens` more fit (recompute); returns how many. */
  preemptFor(needTokens: number): number {
    let n = 0;
    while (this.running > 1 && this.kvNeed(needTokens, 0) > this.cfg.kvCapacityTokens) {
      let victim: Request;
      if (this.prefilling.length) {
        victim = this.prefilling.pop()!;
        this.prefillKv -= victim.kv;
      } else {
        const latest = this.decodeSet.latest();
        this.decodeSet.remove(latest);
        victim = latest.r;
      }
      victim.kv = 0;
      this.releasePrefix(victim);
      victim.preemptions++;
      // Recompute: the prompt becomes input + tokens generated so far.
      victim.promptTarget = victim.input + victim.generated;
      victim.prefilled = 0;
      this.requeueFront(victim);
      n++;
    }
    return n;
  }

  /** Start a step at `now` if there is work; returns its end time or null when idle. */
  start(now: number, nextExternalEvent = Infinity): number | null {
    const cfg = this.cfg;
    while (this.joining.length) {
      const r = this.joining.shift()!;
      if (r.firstToken < 0) this.awaitingFirst.push(r);
      this.decodeSet.add(r);
    }
    if (this.entering.size) for (const r of this.entering.release(this.queued === 0 && this.running === 0 && this.joining.length === 0)) this.waiting.push(r);
    this.prefix?.evict((idle) => this.kvNeed(0, 0) + idle > this.cfg.kvCapacityTokens);
    const plan: StepPlan = cfg.policy.plan(this);
    const { chunks } = plan;
    const nDec = plan.decodes ? this.decodeSet.size : 0;
    for (let i = chunks.length - plan.admitted; i < chunks.length; i++) this.prefilling.push(chunks[i][0]);
    if (this.waitHead > 1024 && this.waitHead * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitHead);
      this.waitHead = 0;
    }
    if (nDec === 0 && chunks.length === 0) return null;

    // Steps this batch repeats unchanged: no prefill, and until the first sequence finishes or KV runs out.
    let k = 1;
    if (chunks.length === 0 && cfg.maxRun > 1) {
      const minLeft = this.decodeSet.stepsToFirstFinish();
      const kvRoom = Math.floor((cfg.kvCapacityTokens - this.kvNeed(0, 0)) / (nDec * this.decodeSet.gain));
      // Requests entered but not yet visible to the plan: the next step boundary must come (one step).
      const entering = this.entering.size > 0 ? 1 : Infinity;
      k = Math.max(1, Math.min(minLeft, kvRoom, cfg.maxRun, plan.holdFor > 0 ? plan.holdFor : Infinity, plan.maxRun ?? Infinity, entering));
    }
    const base = baseStats(this.decodeSet, chunks, cfg.windows, plan.decodes);
    const model = chunks.length || nDec > cfg.graphBatchLimit ? cfg.mixedModel : cfg.decodeModel;
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
    const prefillTokens = base.prefillTokens;
    this.records.push({ t: now, steps: k, seconds, running: this.running, decodes: nDec, prefillTokens, kvUsed: this.kvNeed(0, 0) / cfg.kvCapacityTokens });
    if (nDec) this.gaps.decodeRun(seconds, k, nDec);
    else if (this.decodeSet.size > 0) this.gaps.pause(seconds, this.decodeSet.size);
    this.stepCount += k;
    this.pending = { start: now, end: now + seconds, k, decodes: nDec, chunks };
    this.busyUntil = now + seconds;
    return now + seconds;
  }

  /** One step's time; with speculative decoding, the verification pass plus the drafting passes. */
  private stepSeconds(model: StepModel, b: BaseStats, ahead: number): number {
    const gain = this.decodeSet.gain;
    const verify = model.time(statsAhead(b, ahead, gain, this.cfg.windows, this.draft));
    const spec = this.cfg.speculative;
    if (!spec || b.decodes === 0) return verify;
    return verify + spec.draftFraction * model.gpuTime(statsAhead(b, ahead, gain, this.cfg.windows, 0));
  }

  /** Apply the finished step at its end time. */
  complete(): StepOutcome {
    const p = this.pending!;
    this.pending = null;
    const out: StepOutcome = { prefilled: [], finished: [] };
    const t = p.end;
    // Every decoding sequence produced k · gain tokens (and wrote as many KV entries).
    if (p.decodes) this.decodeSet.advance(p.k, p.decodes);
    // Disaggregated: the client's first token is the decode worker's first streamed chunk, at the end of the
    // request's first decode step here (the prefill worker's token goes back with the KV hand-off, not to the client).
    const first = p.start + (p.end - p.start) / p.k;
    if (p.decodes && this.awaitingFirst.length) for (const r of this.awaitingFirst.splice(0)) r.firstToken = first;
    // Deferred output: the tokens of the prompts completed by the previous step stream now, whatever this step was.
    for (const r of this.deferredFirst.splice(0)) r.firstToken = first;
    this.cfg.policy.afterStep?.(p.decodes ? p.k : 0);
    // A prefill-only step also returns the previous decode step's tokens: sequences whose last token that was finish now.
    for (const r of this.decodeSet.popFinished(p.decodes ? 0 : this.lag)) {
      r.finish = t;
      this.releasePrefix(r);
      out.finished.push(r);
    }
    for (const [r, n] of p.chunks) {
      r.prefilled += n;
      r.kv += n;
      this.prefillKv += n;
      if (r.prefilled < r.promptTarget) continue;
      this.prefilling.splice(this.prefilling.indexOf(r), 1);
      this.prefillKv -= r.kv;
      this.prefix?.store(r, this.stepCount);
      if (this.cfg.role === "prefill") {
        out.prefilled.push(r);
        r.kv = 0;
        this.releasePrefix(r);
        continue;
      }
      if (r.firstToken < 0) {
        if (this.lag) this.deferredFirst.push(r);
        else r.firstToken = t;
        r.generated = 1; // its KV is written by the next decode step
      }
      if (r.generated >= r.output && !this.lag) {
        r.finish = t;
        r.kv = 0;
        this.releasePrefix(r);
        out.finished.push(r);
      } else this.decodeSet.add(r);
    }
    if (this.decodeSet.size === 0 && this.prefilling.length === 0) {
      this.decodeSet.clearSums();
      this.prefillKv = 0;
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
