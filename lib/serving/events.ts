/**
 * The simulator's named events on one priority queue (as Vidur's event queue): ordered by time, then
 * by kind (a request entering the engine, a planned arrival, a KV hand-off landing, a step ending — at
 * equal times in that order), then by insertion (or replica index for steps), so a run is deterministic.
 */
import type { Request } from "./request";
import type { Replica } from "./replica";

export type SimEvent =
  | { kind: "enter"; t: number; r: Request }
  | { kind: "arrival"; t: number; input: number; output: number; prefix?: { group: number; tokens: number } }
  | { kind: "kv-transfer-done"; t: number; r: Request }
  | { kind: "step-done"; t: number; replica: Replica; index: number };

const RANK: Record<SimEvent["kind"], number> = { enter: 0, arrival: 1, "kv-transfer-done": 2, "step-done": 3 };

interface Entry {
  e: SimEvent;
  rank: number;
  tie: number;
}

const before = (a: Entry, b: Entry): boolean => a.e.t < b.e.t || (a.e.t === b.e.t && (a.rank < b.rank || (a.rank === b.rank && a.tie < b.tie)));

export class EventQueue {
  private a: Entry[] = [];
  private seq = 0;

  get size(): number {
    return this.a.length;
  }

  push(e: SimEvent): void {
    const x: Entry = { e, rank: RANK[e.kind], tie: e.kind === "step-done" ? e.index : this.seq++ };
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i], a[p])) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }

  /** Time of the next event (Infinity when none). */
  peekTime(): number {
    return this.a.length ? this.a[0].e.t : Infinity;
  }

  pop(): SimEvent | undefined {
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
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top?.e;
  }
}
