/** Client metrics from a record of requests, derived by hand. */
import { describe, expect, it } from "vitest";
import { goodput, summarise, waitingTimeline } from "../../lib/metrics/summary";
import type { Request } from "../../lib/serving/request";

const req = (id: number, arrival: number, firstToken: number, finish: number, output: number): Request => ({
  id, arrival, input: 100, output, prefilled: 100, promptTarget: 100, generated: output, kv: 0, firstToken, finish, preemptions: 0, decodeArrival: arrival,
});

// Three requests over 0 … 4 s:
//   A: sent 0, first token 0.5, done 2.5, 11 tokens → TTFT 0.5, TPOT (2.5 − 0.5)/10 = 0.2,  E2E 2.5
//   B: sent 1, first token 1.2, done 2.2, 11 tokens → TTFT 0.2, TPOT (2.2 − 1.2)/10 = 0.1,  E2E 1.2
//   C: sent 2, first token 3.0, done 4.0,  1 token  → TTFT 1.0, no TPOT (one output token),  E2E 2.0
const rs = [req(0, 0, 0.5, 2.5, 11), req(1, 1, 1.2, 2.2, 11), req(2, 2, 3.0, 4.0, 1)];

describe("metrics as the clients define them", () => {
  it("TTFT from send, TPOT without the first token, rates over first arrival → last finish", () => {
    const m = summarise(rs, [], 2);
    expect(m.ttft.mean).toBeCloseTo((0.5 + 0.2 + 1.0) / 3, 12);
    expect(m.tpot.mean).toBeCloseTo((0.2 + 0.1) / 2, 12); // C has no TPOT
    expect(m.e2e.mean).toBeCloseTo((2.5 + 1.2 + 2.0) / 3, 12);
    expect(m.requestsPerSec).toBeCloseTo(3 / 4, 12); // 3 requests over 4 s
    expect(m.outputThroughputPerGpu).toBeCloseTo(23 / 4 / 2, 12); // 23 output tokens / 4 s / 2 GPUs
    expect(m.throughputPerGpu).toBeCloseTo((300 + 23) / 4 / 2, 12);
  });

  it("goodput counts the requests meeting every SLO bound, per second of the run", () => {
    // TTFT ≤ 0.6 s: A, B meet it (C 1.0 does not) → 2 of 3, 2 / 4 s = 0.5 /s.
    expect(goodput(rs, { ttftSec: 0.6 })).toEqual({ perSec: 0.5, fraction: 2 / 3, met: 2 });
    // TTFT ≤ 0.6 and TPOT ≤ 0.15: only B (A's TPOT 0.2) → 0.25 /s.
    expect(goodput(rs, { ttftSec: 0.6, tpotSec: 0.15 })).toEqual({ perSec: 0.25, fraction: 1 / 3, met: 1 });
    // E2E ≤ 2.0: B (1.2) and C (2.0, bound inclusive).
    expect(goodput(rs, { e2eSec: 2.0 }).met).toBe(2);
    // No bound: every completed request.
    expect(goodput(rs, {}).met).toBe(3);
    // A request that never finished counts nowhere.
    expect(goodput([...rs, req(3, 3, -1, -1, 5)], {}).met).toBe(3);
  });
});

describe("requests waiting for their first token", () => {
  it("counts arrived requests without a token at evenly spaced times", () => {
    // Run 0 … 4 s, 4 intervals → t = 0, 1, 2, 3, 4.
    // t=0: A arrived (token at 0.5) → 1.  t=1: B arrived (token 1.2), A has its token → 1.
    // t=2: C arrived (token 3.0) → 1.  t=3: C's token at 3.0 counts as given (−1 sorts before +1 at a tie) → 0.  t=4: 0.
    const w = waitingTimeline(rs, 4);
    expect(w.t).toEqual([0, 1, 2, 3, 4]);
    expect(w.waiting).toEqual([1, 1, 1, 0, 0]);
  });
});
