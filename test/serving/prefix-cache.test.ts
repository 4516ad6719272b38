/**
 * Prefix caching, derived by hand: a request whose prompt begins with a cached prefix prefills only the
 * rest (whole blocks of the engine's block size, at least one token computed); an engine without a
 * prefix cache prefills everything; idle cached prefixes are evicted least-recently-used when the pool
 * needs their space.
 */
import { describe, expect, it } from "vitest";
import { defaultEfficiency } from "../../lib/calibration/efficiency";
import { getEngine, type EngineProfile } from "../../lib/engine/profile";
import { getHardware } from "../../lib/hardware/registry";
import { loadModel } from "../../lib/model/registry";
import { simplePlan } from "../../lib/parallel/plan";
import { vllmPolicy } from "../../lib/serving/policies/vllm";
import { Replica } from "../../lib/serving/replica";
import type { Request } from "../../lib/serving/request";
import { simulate, type SimulationResult } from "../../lib/serving/simulate";
import { prefixOf, type WorkloadInput } from "../../lib/serving/workload";
import type { StepModel } from "../../lib/step/step-model";
import { predictConfig, predictSteadyState } from "../../lib/reconcile/predict";
import { expectedCachedInput } from "../../lib/run/predict";
import { ConfigRow } from "../../lib/reconcile/standard";

const llama = loadModel("meta-llama/Llama-3.1-8B");
const h100 = getHardware("h100");
const run = (engine: EngineProfile, workload: WorkloadInput): SimulationResult =>
  simulate({ model: llama, hardware: h100, efficiency: defaultEfficiency(), useKernelTables: false, workload, maxRun: 1, aggregated: { plan: simplePlan({ tp: 1 }), workers: 1, engine } });
const prefillTokens = (r: SimulationResult) => r.timeline.reduce((s, x) => s + x.prefillTokens, 0);
// One client, six requests one after another: 1500-token prompts of which 1000 are a shared prefix, 8 output tokens.
const oneByOne = (prefix?: { tokens: number; reuse: number; groups?: number }): WorkloadInput => ({
  kind: "closed", concurrency: 1, requests: 6, input: { kind: "fixed", value: 1500 }, output: { kind: "fixed", value: 8 }, ...(prefix ? { prefix } : {}),
});

describe("which requests carry a shared prefix", () => {
  it("reuse r spreads them evenly: request i carries one when ⌊(i+1)·r⌋ > ⌊i·r⌋, groups in turn", () => {
    const p = { tokens: 100, reuse: 0.5, groups: 2 };
    // i = 1, 3, 5, 7 carry one (⌊(i+1)/2⌋ steps up at odd i); their groups alternate 0, 1, 0, 1.
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => prefixOf(p, i))).toEqual([undefined, 0, undefined, 1, undefined, 0, undefined, 1]);
    expect(prefixOf({ tokens: 100, reuse: 0, groups: 1 }, 3)).toBeUndefined();
  });
});

describe("prefix cache in the simulator (vLLM: block 16, prefix caching on)", () => {
  const vllm = getEngine("vllm");
  it("reuse 0 changes nothing", () => {
    const plain = run(vllm, oneByOne());
    const zero = run(vllm, oneByOne({ tokens: 1000, reuse: 0 }));
    expect(zero.requests.map((r) => [r.firstToken, r.finish])).toEqual(plain.requests.map((r) => [r.firstToken, r.finish]));
    expect(prefillTokens(plain)).toBe(6 * 1500);
  });

  it("reuse 1: after the first request, each prefills only the suffix beyond the cached whole blocks", () => {
    // Cached: ⌊1000 / 16⌋ · 16 = 992 tokens. First request 1500, the next five 1500 − 992 = 508 each.
    const r = run(vllm, oneByOne({ tokens: 1000, reuse: 1 }));
    expect(prefillTokens(r)).toBe(1500 + 5 * 508);
    // Less prefill, shorter time to first token.
    const ttft = r.requests.map((q) => q.firstToken - q.arrival);
    for (const t of ttft.slice(1)) expect(t).toBeLessThan(ttft[0]);
  });

  it("reuse 0.5: requests 1, 3, 5 carry the prefix; 1 computes it, 3 and 5 reuse it", () => {
    const r = run(vllm, oneByOne({ tokens: 1000, reuse: 0.5 }));
    expect(prefillTokens(r)).toBe(6 * 1500 - 2 * 992);
  });

  it("an engine without a prefix cache (TensorRT-LLM 0.17 C++ executor) prefills every prompt in full", () => {
    const e = getEngine("trtllm", "0.17");
    expect(e.prefix_caching.enabled).toBe(false);
    expect(prefillTokens(run(e, oneByOne({ tokens: 1000, reuse: 1 })))).toBe(6 * 1500);
  });

  it("a full hit still computes one token (the engine needs the last prompt token's logits)", () => {
    // Prefix = whole prompt (1504 tokens, a multiple of 16): cached 1504 − 16 = 1488 (whole blocks, ≤ 1503).
    const wl: WorkloadInput = { kind: "closed", concurrency: 1, requests: 3, input: { kind: "fixed", value: 1504 }, output: { kind: "fixed", value: 4 }, prefix: { tokens: 1504, reuse: 1 } };
    expect(prefillTokens(run(vllm, wl))).toBe(1504 + 2 * 16);
  });
});

describe("eviction of idle cached prefixes (one replica, fixed 10 ms steps)", () => {
  const step = { time: () => 0.01, gpuTime: () => 0.01 } as unknown as StepModel;
  const replica = (capacity: number) =>
    new Replica({
      name: "r", role: "both", gpus: 1, policy: vllmPolicy(), mixedModel: step, decodeModel: step, tokenBudget: 8192, maxSeqs: 8,
      graphBatchLimit: 1e9, kvCapacityTokens: capacity, windowTokensPerSeq: 0, windows: [null], maxRun: 1, prefixBlockTokens: 16,
    });
  /** Requests one after another, prefix groups alternating 0, 1, 0, 1, …: 1500-token prompts with a 1000-token prefix, 2 output tokens. */
  const serve = (rep: Replica, n: number) => {
    let t = 0;
    for (let i = 0; i < n; i++) {
      const r: Request = { id: i, arrival: t, input: 1500, output: 2, prefilled: 0, promptTarget: 1500, generated: 0, kv: 0, firstToken: -1, finish: -1, preemptions: 0, decodeArrival: t, prefixGroup: i % 2, prefixTokens: 1000 };
      rep.enqueue(r);
      while (r.finish < 0) {
        t = rep.start(t)!;
        rep.complete();
      }
    }
  };
  it("room for both prefixes beside a running request: every request after the first two hits", () => {
    const rep = replica(10_000);
    serve(rep, 6);
    expect(rep.prefixHits).toBe(4);
    expect(rep.prefixHitTokens).toBe(4 * 992);
  });
  it("no room: the other group's idle prefix is evicted while a request runs, so alternating groups never hit", () => {
    // A running request holds 508 own + 992 prefix + its output; with the other group's idle 992 that is
    // ≥ 2492 > 2200 tokens, so the idle prefix is evicted before the next request of its group arrives.
    const rep = replica(2200);
    serve(rep, 6);
    expect(rep.prefixHits).toBe(0);
  });
});

describe("prefix columns of the standard CSV", () => {
  const row = (extra: Record<string, string>) =>
    ConfigRow.parse({ model: "meta-llama/Llama-3.1-8B", gpu_model: "h100-sxm", framework: "vllm", precision: "bf16", input_seq_len: "4096", output_seq_len: "128", tensor_parallel: "1", concurrency: "16", num_requests: "64", ...extra });
  it("a shared 3,072-token system prompt on every request lowers TTFT and raises throughput (vLLM caches it)", () => {
    const plain = predictConfig(row({}));
    const shared = predictConfig(row({ prefix_len: "3072", prefix_reuse: "1" }));
    expect(shared.ttft).toBeLessThan(plain.ttft);
    expect(shared.throughputPerGpu).toBeGreaterThan(plain.throughputPerGpu);
    expect(shared.assumptions.find((a) => a.what === "shared prefix")?.value).toBe("3072 tokens at the start of 100% of the prompts, 1 distinct prefix");
  });
  it("a prefix longer than the prompt, or a reuse without a length, is an error naming the column", () => {
    expect(() => predictConfig(row({ prefix_len: "5000" }))).toThrow(/prefix_len 5000 is longer than input_seq_len 4096/);
    expect(() => predictConfig(row({ prefix_reuse: "0.5" }))).toThrow(/need prefix_len/);
  });
});

describe("the analytic steady state with a prefix cache", () => {
  it("prefills only the uncached share and agrees with the simulator on throughput within 5%", () => {
    const raw = { model: "meta-llama/Llama-3.1-8B", gpu_model: "h100-sxm", framework: "vllm", precision: "bf16", input_seq_len: "4096", output_seq_len: "256", tensor_parallel: "1", concurrency: "32", random_range_ratio: "1" };
    const row = ConfigRow.parse({ ...raw, prefix_len: "3072", prefix_reuse: "1" });
    // Cached per request: ⌊min(3072, 4095) / 16⌋ · 16 = 3072 of 4096 prompt tokens (reuse 1, block 16).
    expect(expectedCachedInput({ tokens: 3072, reuse: 1, groups: 1 }, 4096, getEngine("vllm"))).toBe(3072);
    expect(expectedCachedInput({ tokens: 3072, reuse: 0.5, groups: 1 }, 4096, getEngine("vllm"))).toBe(1536);
    expect(expectedCachedInput({ tokens: 3072, reuse: 1, groups: 1 }, 4096, getEngine("trtllm", "0.17"))).toBe(0);
    const sim = predictConfig(row).throughputPerGpu;
    const steady = predictSteadyState(row).throughputPerGpu;
    expect(Math.abs(steady / sim - 1)).toBeLessThan(0.05);
    const noPrefix = predictSteadyState(ConfigRow.parse(raw)).throughputPerGpu;
    expect(steady).toBeGreaterThan(noPrefix);
  });
});
