/**
 * Requests an overlap scheduler has not seen yet. Such a scheduler (vLLM async scheduling, TensorRT-LLM's
 * overlap scheduler, SGLang's overlap schedule; engine `schedule_ahead`) plans step n+1 while step n runs,
 * so a request that enters during step n is first visible to the plan of step n+2. An engine with nothing
 * to run plans at once.
 */
import type { Request } from "./request";

export class Entering {
  /** Entered during the running step (seen by the plan after next), and during the one before (seen by the next plan). */
  private now: Request[] = [];
  private before: Request[] = [];

  get size(): number {
    return this.now.length + this.before.length;
  }

  /** A request entering while a step runs. */
  add(r: Request): void {
    this.now.push(r);
  }

  /** At a step start: the requests the plan now sees (all of them when the engine would otherwise run nothing). */
  release(idle: boolean): Request[] {
    const seen = this.before;
    this.before = this.now;
    this.now = [];
    if (idle && seen.length === 0 && this.before.length) {
      const all = this.before;
      this.before = [];
      return all;
    }
    return seen;
  }
}
