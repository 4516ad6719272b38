/**
 * Each engine's scheduler policy, checked on small cases whose outcome follows from the engine's rule:
 * vLLM never exceeds its token budget and mixes decodes with prefill chunks; SGLang pauses the decode
 * batch while a waiting prompt prefills and reserves KV for running requests' outputs; TensorRT-LLM's
 * guaranteed-no-evict never preempts and admits only what it can hold in full; offline load admits
 * requests as capacity frees.
 */
import { describe, expect, it } from "vitest";
import { defaultEfficiency } from "../../lib/calibration/efficiency";
import { getEngine, withEngineOverrides, type EngineProfile } from "../../lib/engine/profile";
import { getHardware } from "../../lib/hardware/registry";
import { loadModel } from "../../lib/model/registry";
import { simplePlan } from "../../lib/parallel/plan";
import { simulate, type SimulationResult } from "../../lib/serving/simulate";
import { resolveRun } from "../../lib/run/resolve";
import { poolMemory } from "../../lib/run/predict";
import { measure } from "../../lib/metrics/summary";
import type { WorkloadInput } from "../../lib/serving/workload";

const llama = loadModel("meta-llama/Llama-3.1-8B");
const h100 = getHardware("h100");

function run(engine: EngineProfile, workload: WorkloadInput, maxRun?: number): SimulationResult {
  return simulate({
    model: llama, hardware: h100, efficiency: defaultEfficiency(), useKernelTables: false, workload, maxRun,
    aggregated: { plan: simplePlan({ tp: 1 }), workers: 1, engine },
  });
}

const fixed = (value: number) => ({ kind: "fixed" as const, value });

describe("vLLM V1 policy", () => {
  it("a step never processes more tokens than max_num_batched_tokens, and decodes ride along with prefill chunks", () => {
    // 2048-token budget, 16 clients with 3000-token prompts: every prompt needs two chunks (2048 + 952).
    const e = withEngineOverrides(getEngine("vllm"), { max_num_batched_tokens: 2048 }, "test");
    const r = run(e, { kind: "closed", concurrency: 16, requests: 48, input: fixed(3000), output: fixed(64) }, 1);
    for (const s of r.timeline) expect(s.decodes + s.prefillTokens).toBeLessThanOrEqual(2048);
    // Mixed steps exist: decodes and a prefill chunk in one step.
    expect(r.timeline.some((s) => s.decodes > 0 && s.prefillTokens > 0)).toBe(true);
  });
});

describe("SGLang policy", () => {
  it("the decode batch pauses while a waiting prompt prefills (no mixed chunk by default)", () => {
    const e = getEngine("sglang");
    // Output lengths spread (64…192) so requests finish at different steps and new prompts arrive while others decode.
    const r = run(e, { kind: "closed", concurrency: 8, requests: 32, input: fixed(1000), output: { kind: "uniform", min: 64, max: 192 } }, 1);
    const prefills = r.timeline.filter((s) => s.prefillTokens > 0);
    expect(prefills.length).toBeGreaterThan(0);
    // Every step with prompt tokens decodes nothing; the running batch still exists (it was paused, not finished).
    for (const s of prefills) expect(s.decodes).toBe(0);
    expect(prefills.some((s) => s.running > 1)).toBe(true);
    // The paused sequences' next token gap spans the prefill step: the token-weighted mean inter-token gap is
    // Σ (time between a request's consecutive tokens) / Σ (output − 1) — exactly what the requests' timestamps say.
    const m = measure(r);
    const done = r.requests.filter((q) => q.finish >= 0 && q.output > 1);
    const gaps = done.reduce((s, q) => s + (q.finish - q.firstToken), 0) / done.reduce((s, q) => s + q.output - 1, 0);
    expect(m.itl.mean).toBeCloseTo(gaps, 6);
  });

  it("admission reserves KV for outputs: the first prefill batch admits only the requests whose input + clipped output fit the pool", () => {
    // A 65,536-token step budget so that only the KV reservation limits the first batch. Requests: 1000 in + 4000 out.
    // SGLang admits the k-th request only if 1000 + min(4000, 4096) = 5000 < pool − 5000·(k − 1), i.e. n = ⌈C / 5000⌉ − 1
    // of them; vLLM admits every request whose first chunk fits (16 × 1000 tokens ≤ C).
    const settings = { gpu_memory_utilization: 0.3, max_num_batched_tokens: 65536 };
    const wl: WorkloadInput = { kind: "closed", concurrency: 16, requests: 16, input: fixed(1000), output: fixed(4000) };
    const sg = run(withEngineOverrides(getEngine("sglang"), settings, "test"), wl, 1);
    const vl = run(withEngineOverrides(getEngine("vllm"), settings, "test"), wl, 1);
    const C = sg.kvCapacityTokens[0];
    expect(C).toBeGreaterThan(16 * 1000);
    expect(C).toBeLessThan(16 * 5000);
    const n = Math.ceil(C / 5000) - 1;
    expect(sg.timeline[0].prefillTokens).toBe(1000 * n);
    expect(vl.timeline[0].prefillTokens).toBe(16 * 1000);
    // SGLang queues instead of over-admitting: mean TTFT is longer than vLLM's.
    const ttft = (r: SimulationResult) => r.requests.reduce((s, q) => s + (q.firstToken - q.arrival), 0) / r.requests.length;
    expect(ttft(sg)).toBeGreaterThan(ttft(vl));
  });

  it("max_prefill_tokens caps the prompt tokens of one prefill batch beyond the first prompt; other engines reject it", () => {
    // 8 clients send 1000-token prompts at t = 0 into an 8192-token chunk. SGLang's PrefillAdder admits a prompt while
    // its input fits the remaining max_prefill_tokens (the first one always): with 2500, 1000 + 1000 fit and the third
    // (1000 > 500 left) waits, so the first batch holds 2000 tokens; with the default (16384) all 8000.
    const wl: WorkloadInput = { kind: "closed", concurrency: 8, requests: 8, input: fixed(1000), output: fixed(16) };
    const capped = run(withEngineOverrides(getEngine("sglang"), { max_num_batched_tokens: 8192, max_prefill_tokens: 2500 }, "test"), wl, 1);
    const free = run(withEngineOverrides(getEngine("sglang"), { max_num_batched_tokens: 8192 }, "test"), wl, 1);
    expect(capped.timeline[0].prefillTokens).toBe(2000);
    expect(free.timeline[0].prefillTokens).toBe(8000);
    expect(() => withEngineOverrides(getEngine("vllm"), { max_prefill_tokens: 2500 }, "test")).toThrow(/max_prefill_tokens is SGLang --max-prefill-tokens.*leave it blank/);
  });
});

describe("TensorRT-LLM policy (guaranteed no evict)", () => {
  it("never preempts, and never runs more requests than the pool holds in full (prompt + output)", () => {
    // Pool of the 8B model on an H100 at a small memory fraction; each request holds 2000 + 2000 tokens in full.
    const e = withEngineOverrides(getEngine("trtllm"), { gpu_memory_utilization: 0.05 }, "test");
    const r = run(e, { kind: "closed", concurrency: 64, requests: 128, input: fixed(2000), output: fixed(2000) });
    const cap = r.kvCapacityTokens[0];
    expect(r.requests.every((q) => q.preemptions === 0)).toBe(true);
    for (const s of r.timeline) expect(s.running).toBeLessThanOrEqual(Math.floor(cap / 4000));
    // The same load under vLLM's on-demand allocation runs more at once and preempts.
    const v = run(withEngineOverrides(getEngine("vllm"), { gpu_memory_utilization: 0.27 }, "test"), { kind: "closed", concurrency: 64, requests: 128, input: fixed(2000), output: fixed(2000) });
    expect(v.requests.some((q) => q.preemptions > 0) || Math.max(...v.timeline.map((s) => s.running)) > Math.floor(cap / 4000)).toBe(true);
  });
});

describe("offline load", () => {
  it("every request arrives at t = 0 and is admitted as capacity frees: the batch stays at max_num_seqs until the queue drains", () => {
    const e = withEngineOverrides(getEngine("vllm"), { max_num_seqs: 32 }, "test");
    const r = run(e, { kind: "offline", requests: 100, input: fixed(200), output: fixed(50) }, 1);
    expect(r.requests.every((q) => q.arrival === 0)).toBe(true);
    // 100 requests, 32 at a time: the running count reaches 32 and never exceeds it.
    expect(Math.max(...r.timeline.map((s) => s.running))).toBe(32);
    // While requests wait (first two waves), decode steps run a full batch.
    const early = r.timeline.filter((s) => s.t < r.requests[63].firstToken && s.prefillTokens === 0);
    for (const s of early) expect(s.running).toBe(32);
  });
});

describe("SGLang defaults as a run resolves them", () => {
  it("max_running_requests = min(KV tokens / 2, request pool) from the profile's rule (engine launched without flags)", () => {
    const r = resolveRun({ model: "meta-llama/Llama-3.1-8B", hardware: "h100-sxm", engine: "sglang", aggregated: { workers: 1, plan: simplePlan({ tp: 1 }) } });
    const e = r.aggregated!.engine;
    const kv = poolMemory(r, r.aggregated!, "decode").kvCapacityTokens;
    // Llama 3.1 8B: context 131,072. An H100 holds a few hundred thousand KV tokens, so
    // pool = min(max(⌊kv / 131072 × 512⌋, 2048), 4096) = 2048 (kv < 524,288) and kv / 2 > 2048: the cap is 2048.
    expect(kv).toBeGreaterThan(4096);
    expect(kv).toBeLessThan(524_288);
    expect(e.max_num_seqs.value).toBe(2048);
    expect(r.assumptions.some((a) => a.what === "aggregated engine max_num_seqs" && a.value === "2048")).toBe(true);
  });
});
