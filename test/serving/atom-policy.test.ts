/**
 * ATOM v0.1.1 as its source runs (data/engines/atom.json; github.com/ROCm/ATOM 7e9125821): prefill-only batches of
 * whole waiting prompts first, decode otherwise, and deferred output (a step's tokens reach the host when the next
 * step ends). Each expectation is derived by hand from those rules; request_overhead is 0 so that a request enters
 * the engine at its arrival time.
 */
import { describe, expect, it } from "vitest";
import { defaultEfficiency } from "../../lib/calibration/efficiency";
import { InputError } from "../../lib/core/validate";
import { getEngine, withEngineOverrides, type EngineProfile } from "../../lib/engine/profile";
import { getHardware } from "../../lib/hardware/registry";
import { loadModel } from "../../lib/model/registry";
import { simplePlan } from "../../lib/parallel/plan";
import { simulate, type SimulationResult } from "../../lib/serving/simulate";
import { prefillRunsAlone } from "../../lib/serving/policies/index";
import { steadyState } from "../../lib/serving/steady-state";
import type { WorkloadInput } from "../../lib/serving/workload";

const llama = loadModel("meta-llama/Llama-3.1-8B");
const h100 = getHardware("h100");
const atom = withEngineOverrides(getEngine("atom"), { request_overhead_ms: 0 }, "test");
const notDeferred: EngineProfile = { ...atom, output_delay_steps: { value: 0, source: "test" } };

function run(engine: EngineProfile, workload: WorkloadInput): SimulationResult {
  return simulate({
    model: llama, hardware: h100, efficiency: defaultEfficiency(), useKernelTables: false, workload, maxRun: 1,
    aggregated: { plan: simplePlan({ tp: 1 }), workers: 1, engine },
  });
}

/** End time of each step of the (only) replica. */
const stepEnds = (r: SimulationResult) => r.replicas[0].records.map((s) => s.t + s.seconds);
const fixed = (value: number) => ({ kind: "fixed" as const, value });

describe("ATOM scheduler (prefill first, whole prompts)", () => {
  it("waiting prompts run whole in prefill-only steps, as many as fit max_num_batched_tokens, before any decode", () => {
    // Budget 16384 (ATOM's default): 8 prompts of 3000 tokens → 5 in the first batch (15000; a 6th would make 18000),
    // the other 3 (9000) in the second; the 5 running sequences do not decode meanwhile; then all 8 decode together.
    expect(atom.max_num_batched_tokens.value).toBe(16384);
    const r = run(atom, { kind: "closed", concurrency: 8, requests: 8, input: fixed(3000), output: fixed(16) });
    const [s0, s1, s2] = r.timeline;
    expect([s0.prefillTokens, s0.decodes]).toEqual([15000, 0]);
    expect([s1.prefillTokens, s1.decodes, s1.running]).toEqual([9000, 0, 8]);
    expect([s2.prefillTokens, s2.decodes]).toEqual([0, 8]);
    // No step mixes prompt tokens with decodes, and no prompt is split.
    for (const s of r.timeline) expect(s.prefillTokens > 0 && s.decodes > 0).toBe(false);
    for (const s of r.timeline) expect(s.prefillTokens % 3000).toBe(0);
  });

  it("a prompt longer than max_num_batched_tokens is refused with the setting to raise (ATOM would wait on it for ever)", () => {
    const small = withEngineOverrides(atom, { max_num_batched_tokens: 2048 }, "test");
    const go = () => run(small, { kind: "closed", concurrency: 1, requests: 1, input: fixed(3000), output: fixed(4) });
    expect(go).toThrow(InputError);
    expect(go).toThrow(/whole prompts only.*raise max_num_tokens/);
  });
});

describe("deferred output (output_delay_steps = 1)", () => {
  it("one request: its first token streams when the step after its prefill ends, and it decodes once more before it is seen to finish", () => {
    // Input 1000, output 4. Without deferral: prefill (token 1) + 3 decodes (tokens 2-4) = 4 steps; TTFT = end of
    // step 0, finish = end of step 3. Deferred: token k streams when step k ends, and the end of token 4 is seen
    // after one more decode step: 5 steps, TTFT = end of step 1, finish = end of step 4.
    const wl: WorkloadInput = { kind: "closed", concurrency: 1, requests: 1, input: fixed(1000), output: fixed(4) };
    const plain = run(notDeferred, wl);
    const deferred = run(atom, wl);
    const p = stepEnds(plain);
    const d = stepEnds(deferred);
    expect(p.length).toBe(4);
    expect(d.length).toBe(5);
    expect(plain.requests[0].firstToken).toBeCloseTo(p[0], 12);
    expect(plain.requests[0].finish).toBeCloseTo(p[3], 12);
    expect(deferred.requests[0].firstToken).toBeCloseTo(d[1], 12);
    expect(deferred.requests[0].finish).toBeCloseTo(d[4], 12);
    // TTFT grows by exactly the first decode step: the same prefill and decode steps run in both.
    expect(deferred.requests[0].firstToken - plain.requests[0].firstToken).toBeCloseTo(d[1] - d[0], 12);
  });

  it("a prefill-only step returns the previous decode step's tokens: a sequence whose last token that was finishes with it", () => {
    // A (1000 in, 2 out) arrives at 0: step 0 prefills it, step 1 decodes its second and last token. B arrives during
    // step 1, so step 2 is B's prefill (A does not decode in it); when step 2 ends the host receives A's last token
    // and A finishes then — not after a further decode step. A's first token streamed when step 1 ended.
    const alone = stepEnds(run(atom, { kind: "trace", items: [{ arrival: 0, input: 1000, output: 2 }] }));
    const midStep1 = (alone[0] + alone[1]) / 2;
    const r = run(atom, { kind: "trace", items: [{ arrival: 0, input: 1000, output: 2 }, { arrival: midStep1, input: 500, output: 2 }] });
    const ends = stepEnds(r);
    const [a, b] = r.requests;
    expect([r.timeline[2].prefillTokens, r.timeline[2].decodes]).toEqual([500, 0]);
    expect(a.firstToken).toBeCloseTo(ends[1], 12);
    expect(a.finish).toBeCloseTo(ends[2], 12);
    // B: step 3 (its first decode) computes its second and last token and streams its first; it decodes once more
    // (step 4), when that ends its last token streams and it finishes: 5 steps in all.
    expect(b.firstToken).toBeCloseTo(ends[3], 12);
    expect(b.finish).toBeCloseTo(ends[4], 12);
    expect(ends.length).toBe(5);
  });
});

describe("deferred output in the analytic steady state", () => {
  it("TTFT and E2E are one step longer, TPOT unchanged, when every step takes the same time", () => {
    // A step model that takes 10 ms whatever the batch: t = 10 ms; C = 4 clients, isl 1000 < budget (one chunk),
    // osl 101, front delay 20 ms. TTFT = 20 + ½·10 + 1·10 (+ 10 deferred) ms; E2E = TTFT + 100·10 ms.
    const flat = { time: () => 0.01, gpuTime: () => 0.01 } as unknown as Parameters<typeof steadyState>[0]["decodeModel"];
    const base = { concurrency: 4, meanInput: 1000, meanOutput: 101, mixedModel: flat, decodeModel: flat, tokenBudget: 16384, frontDelay: 0.02, windows: [null], gpus: 1 };
    const plain = steadyState(base);
    const lag = steadyState({ ...base, outputLag: 1 });
    expect(plain.ttft).toBeCloseTo(0.035, 12);
    expect(lag.ttft).toBeCloseTo(0.045, 12);
    expect(lag.e2e).toBeCloseTo(0.045 + 1.0, 12);
    expect(lag.tpot).toBeCloseTo(plain.tpot, 12);
  });
});

describe("prefill batches alone in the analytic steady state (ATOM; SGLang without mixed chunks)", () => {
  it("decoding pauses for the prefill steps: TPOT = t_D / (1 − f), f = (λ / n)·t_P", () => {
    // Every step 10 ms; C = 4, isl 1000, osl 101, front delay 20 ms. Prompts arriving per decode step λ·t_D ≈ 0.03 < 1,
    // so n = 1 per prefill step and f = λ·t_P = 4·0.01 / E2E. TTFT = 20 + ½·10 + 10 ms = 0.035 s;
    // E2E = 0.035 + 100·0.01 / (1 − 0.04 / E2E) ⇒ E2E² − 1.075·E2E + 0.0014 = 0 ⇒ E2E = (1.075 + √1.150025) / 2.
    const flat = { time: () => 0.01, gpuTime: () => 0.01 } as unknown as Parameters<typeof steadyState>[0]["decodeModel"];
    const ss = steadyState({ concurrency: 4, meanInput: 1000, meanOutput: 101, mixedModel: flat, decodeModel: flat, tokenBudget: 16384, frontDelay: 0.02, windows: [null], gpus: 1, prefillAlone: true });
    const e2e = (1.075 + Math.sqrt(1.150025)) / 2;
    expect(ss.ttft).toBeCloseTo(0.035, 12);
    expect(ss.e2e).toBeCloseTo(e2e, 8);
    expect(ss.tpot).toBeCloseTo(0.01 / (1 - 0.04 / e2e), 8);
  });
  it("the engines whose prefill runs alone", () => {
    expect(prefillRunsAlone(getEngine("atom"))).toBe(true);
    expect(prefillRunsAlone(getEngine("sglang"))).toBe(true);
    expect(prefillRunsAlone(getEngine("vllm"))).toBe(false);
    expect(prefillRunsAlone(getEngine("trtllm"))).toBe(false);
  });
});
