/**
 * The sequences of a replica that are decoding. They all advance `gain` tokens per step, so their
 * state is kept relative to a tick counter (tokens generated = generated at entry + ticks since entry ·
 * gain) with running sums and a min-heap of finish ticks: a step costs O(log B), not O(B), in the batch B.
 */
import { MinHeap } from "../core/heap";
import type { Request } from "./request";

/** Per decoding request bookkeeping relative to the tick counter. */
export interface Slot {
  r: Request;
  index: number;
  tick0: number;
  gen0: number;
  kv0: number;
  admitted: number;
  finishTick: number;
}

/** Min-heap of slots by finish tick (stale entries skipped on read). */
class FinishHeap extends MinHeap<Slot> {
  constructor() {
    super((x, y) => x.finishTick < y.finishTick);
  }
  peek(live: (s: Slot) => boolean): Slot | undefined {
    while (this.size && !live(this.top()!)) this.pop();
    return this.top();
  }
}

export class DecodeSet {
  readonly slots: Slot[] = [];
  private readonly slotOf = new Map<Request, Slot>();
  private readonly heap = new FinishHeap();
  /** Slots whose context may still be below the largest sliding window. */
  private short: Slot[] = [];
  ticks = 0;
  /** Σ over decoding sequences of their context (input + generated − 1). */
  sumCtx = 0;
  /** KV tokens the decoding sequences hold. */
  kv = 0;
  /** Σ over decoding sequences of their whole length, prompt + output. */
  whole = 0;
  private admissions = 0;

  constructor(
    /** Tokens a sequence gains per step (1 without speculative decoding). */
    readonly gain: number,
    private readonly maxWindow: number,
    /** Deferred output: steps a sequence keeps decoding after its last token before the engine sees it finish. */
    private readonly lag = 0,
  ) {}

  get size(): number {
    return this.slots.length;
  }

  generatedOf(s: Slot): number {
    return Math.min(s.r.output, s.gen0 + (this.ticks - s.tick0) * this.gain);
  }

  private live = (s: Slot): boolean => this.slotOf.get(s.r) === s;

  /** Add a request whose prompt is in the cache. */
  add(r: Request): void {
    const s: Slot = { r, index: this.slots.length, tick0: this.ticks, gen0: r.generated, kv0: r.kv, admitted: this.admissions++, finishTick: this.ticks + Math.ceil((r.output - r.generated) / this.gain - 1e-9) + this.lag };
    this.slots.push(s);
    this.slotOf.set(r, s);
    this.heap.push(s);
    this.sumCtx += r.input + r.generated - 1;
    this.kv += r.kv;
    this.whole += r.input + r.output;
    if (r.input + r.generated - 1 < this.maxWindow) this.short.push(s);
  }

  /** Take a slot out, writing its progress back to the request. */
  remove(s: Slot): void {
    const r = s.r;
    r.generated = Math.floor(this.generatedOf(s));
    r.kv = s.kv0 + (r.generated - s.gen0);
    this.sumCtx -= r.input + r.generated - 1;
    this.kv -= r.kv;
    this.whole -= r.input + r.output;
    const last = this.slots.pop()!;
    if (last !== s) {
      this.slots[s.index] = last;
      last.index = s.index;
    }
    this.slotOf.delete(r);
  }

  /** The most recently admitted slot (the preemption victim of a recompute policy). */
  latest(): Slot {
    let latest = this.slots[0];
    for (const s of this.slots) if (s.admitted > latest.admitted) latest = s;
    return latest;
  }

  /** Steps until the first sequence finishes (1 when empty). */
  stepsToFirstFinish(): number {
    const first = this.heap.peek(this.live);
    return first ? first.finishTick - this.ticks : 1;
  }

  /** Advance `k` steps of a batch of `decodes` sequences: each gains k · gain tokens (and KV entries). */
  advance(k: number, decodes: number): void {
    this.ticks += k;
    this.sumCtx += k * decodes * this.gain;
    this.kv += k * decodes * this.gain;
  }

  /** Remove and return the sequences that have produced all their tokens (`early`: that many steps before their finish tick, for deferred output). */
  popFinished(early = 0): Request[] {
    const out: Request[] = [];
    for (;;) {
      const s = this.heap.peek(this.live);
      if (!s || s.finishTick - early > this.ticks) break;
      this.heap.pop();
      this.remove(s);
      out.push(s.r);
    }
    return out;
  }

  /** Σ over decoding sequences of min(tokens still to generate, clip). O(B): policies ask only while prompts wait. */
  remainingOutput(clip: number): number {
    let s = 0;
    for (const x of this.slots) s += Math.min(x.r.output - this.generatedOf(x), clip);
    return s;
  }

  /** Contexts of the sequences still below the largest sliding window (rare: prompts shorter than it). */
  shortContexts(): number[] {
    const out: number[] = [];
    if (this.short.length) {
      this.short = this.short.filter((s) => this.live(s) && s.r.input + this.generatedOf(s) - 1 < this.maxWindow);
      for (const s of this.short) out.push(s.r.input + this.generatedOf(s) - 1);
    }
    return out;
  }

  /** Forget the running sums once nothing decodes (guards against drift). */
  clearSums(): void {
    this.kv = 0;
    this.sumCtx = 0;
    this.whole = 0;
  }
}
