/**
 * The simulator's named events on one priority queue (as Vidur's event queue): ordered by time, then
 * by kind (a request entering the engine, a planned arrival, a KV hand-off landing, a step ending — at
 * equal times in that order), then by insertion (or replica index for steps), so a run is deterministic.
 */
import { MinHeap } from "../core/heap";
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
  private readonly heap = new MinHeap<Entry>(before);
  private seq = 0;

  get size(): number {
    return this.heap.size;
  }

  push(e: SimEvent): void {
    this.heap.push({ e, rank: RANK[e.kind], tie: e.kind === "step-done" ? e.index : this.seq++ });
  }

  /** Time of the next event (Infinity when none). */
  peekTime(): number {
    return this.heap.top()?.e.t ?? Infinity;
  }

  pop(): SimEvent | undefined {
    return this.heap.pop()?.e;
  }
}
