/**
 * TensorRT-LLM attention-DP balancing (py_executor.py _balance_adp_requests; AttentionDpConfig defaults
 * timeout_iters 50, batching_wait_iters 10), step by step on a replica view whose queue and step count the
 * test sets, then end to end through the simulator.
 */
import { describe, expect, it } from "vitest";
import { defaultEfficiency } from "../../lib/calibration/efficiency";
import { getEngine, type EngineProfile } from "../../lib/engine/profile";
import { getHardware } from "../../lib/hardware/registry";
import { loadModel } from "../../lib/model/registry";
import { ParallelPlan } from "../../lib/parallel/plan";
import { AdpBalance, adpRank } from "../../lib/serving/policies/adp-balance";
import { makePolicy } from "../../lib/serving/policies/index";
import type { Request } from "../../lib/serving/request";
import type { ReplicaView } from "../../lib/serving/scheduler";
import { simulate } from "../../lib/serving/simulate";

/** Just what the balancing reads: the step count and the waiting requests (by id). */
function view(step: number, queuedIds: number[]): ReplicaView {
  return { stepCount: step, queued: queuedIds.length, queuedAt: (i: number) => ({ id: queuedIds[i] }) as Request } as unknown as ReplicaView;
}
/** The first id (from `from`) whose rank is `rank`. */
const idOnRank = (rank: number, ranks: number, from = 0): number => {
  for (let id = from; ; id++) if (adpRank(id, ranks) === rank) return id;
};

describe("attention-DP balancing, iteration by iteration", () => {
  const settings = { ranks: 2, batchingWaitIters: 10, timeoutIters: 50 };
  const a = idOnRank(0, 2);
  const b = idOnRank(1, 2);

  it("a context request on one rank of two waits for the timeout counter, which runs from the last reset", () => {
    const bal = new AdpBalance(settings);
    // Counter 0 at iteration 0; it reaches 50 at iteration 50: at iteration 7 the request waits 50 − 7 = 43 more.
    expect(bal.holdSteps(view(7, [a]), 8)).toBe(43);
    expect(bal.holdSteps(view(49, [a]), 8)).toBe(1);
    // Iteration 50: the counter reaches timeout_iters, context runs, the counter restarts.
    expect(bal.holdSteps(view(50, [a]), 8)).toBe(0);
    // The counter advances while nothing waits too: a request seen first at iteration 130 runs at 150 (20 more).
    expect(bal.holdSteps(view(130, [a]), 8)).toBe(20);
  });

  it("a rank without generation requests releases context at once and restarts the counter", () => {
    const bal = new AdpBalance(settings);
    expect(bal.holdSteps(view(30, [a]), 1)).toBe(0); // 1 decoding sequence < 2 ranks
    expect(bal.holdSteps(view(35, [a]), 8)).toBe(45); // counter restarted at 30: 50 − 5
  });

  it("every rank with context: batching_wait_iters iterations of waiting, then context runs and the count restarts", () => {
    const bal = new AdpBalance(settings);
    const both = view(12, [a, b]);
    for (let i = 0; i < 10; i++) expect(bal.holdSteps(both, 8)).toBe(1);
    expect(bal.holdSteps(both, 8)).toBe(0); // the 11th iteration
    expect(bal.holdSteps(both, 8)).toBe(1); // a new batching round
    // Every rank having context reset the timeout counter at iteration 12: one rank's context alone at 20 waits 50 − 8.
    expect(bal.holdSteps(view(20, [a]), 8)).toBe(42);
  });

  it("no timeout and no batching wait: context never waits", () => {
    const bal = new AdpBalance({ ranks: 4, batchingWaitIters: 0, timeoutIters: 0 });
    expect(bal.holdSteps(view(3, [a]), 64)).toBe(0);
  });

  it("ranks are a fixed function of the request id, spread evenly (4 ranks: each within 5% of a quarter of 10,000 ids)", () => {
    const counts = [0, 0, 0, 0];
    for (let id = 0; id < 10_000; id++) counts[adpRank(id, 4)]++;
    for (const c of counts) expect(Math.abs(c - 2500)).toBeLessThan(125);
    expect(adpRank(12345, 4)).toBe(adpRank(12345, 4));
  });
});

describe("end to end: a TensorRT-LLM replica with attention DP", () => {
  const model = loadModel("meta-llama/Llama-3.1-8B");
  const hw = getHardware("h100");
  const plan = ParallelPlan.parse({ prefill: { attention: { tp: 1, dp: 2 }, ffn: { tp: 2 } }, decode: { attention: { tp: 1, dp: 2 }, ffn: { tp: 2 } } });
  const run = (timeout: number, batching: number) => {
    const base = getEngine("trtllm");
    const engine: EngineProfile = {
      ...base,
      dp_prefill_wait_steps: { ...base.dp_prefill_wait_steps, value: batching },
      scheduler: { ...base.scheduler, parameters: { ...base.scheduler.parameters, adp_balance_timeout_iters: { value: timeout, source: "test" } } },
    };
    return simulate({
      model, hardware: hw, efficiency: defaultEfficiency(), useKernelTables: false, maxRun: 1,
      // Four long decodes keep both ranks generating; one short request arrives at 0.5 s.
      workload: { kind: "trace", items: [...[0, 1, 2, 3].map(() => ({ arrival: 0, input: 128, output: 2000 })), { arrival: 0.5, input: 128, output: 4 }] },
      aggregated: { plan, workers: 1, engine },
    });
  };
  const late = (r: ReturnType<typeof run>) => r.requests.find((q) => q.output === 4)!;

  it("the late request waits for the timeout counter (≤ 50 steps) instead of running at the next step", () => {
    const off = run(0, 0);
    const on = run(50, 10);
    const stepsBetween = (r: ReturnType<typeof run>, t0: number, t1: number) => r.timeline.filter((s) => s.t >= t0 && s.t < t1).length;
    const waitOff = stepsBetween(off, late(off).arrival, late(off).firstToken);
    const waitOn = stepsBetween(on, late(on).arrival, late(on).firstToken);
    // Without balancing: the request enters, is planned within two steps (overlap scheduler) and prefills.
    expect(waitOff).toBeLessThanOrEqual(4);
    // With balancing, one rank has context and the other not: it runs when the counter (restarted when the first
    // four requests found a rank without generation requests) reaches 50 — more than the unbalanced wait, at most 50 + 4.
    expect(waitOn).toBeGreaterThan(waitOff);
    expect(waitOn).toBeLessThanOrEqual(54);
    expect(late(on).firstToken - late(on).arrival).toBeGreaterThan(late(off).firstToken - late(off).arrival);
  });
});

describe("the batching wait belongs to TensorRT-LLM's policy only", () => {
  it("another engine's profile with dp_prefill_wait_steps > 0 is an error naming the field and the fix", () => {
    const base = getEngine("vllm");
    const engine: EngineProfile = { ...base, dp_prefill_wait_steps: { ...base.dp_prefill_wait_steps, value: 5 } };
    expect(() => makePolicy(engine, 2)).toThrow(/dp_prefill_wait_steps is TensorRT-LLM's attention-DP batching_wait_iters.*set it to 0/);
    // The shipped vLLM profile (0) makes its policy.
    expect(makePolicy(base, 2).name).toBe("vllm-v1");
  });
});
