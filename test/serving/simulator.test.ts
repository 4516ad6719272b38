import { describe, expect, it } from "vitest";
import { getHardware } from "../../lib/hardware/registry";
import { loadModel } from "../../lib/model/index";
import { simplePlan } from "../../lib/parallel/plan";
import { getEngine, withEngineOverrides } from "../../lib/engine/profile";
import { measure } from "../../lib/metrics/summary";
import { simulate as simulateRaw, type SimulationRequest } from "../../lib/serving/simulate";
import { benchmarkClosedLoop } from "../../lib/serving/workload";
import { defaultEfficiency } from "../../lib/calibration/efficiency";

/** A simulation with its benchmark metrics (lib/metrics measures the raw record). */
function simulate(req: SimulationRequest) {
  const r = simulateRaw(req);
  return { ...r, metrics: measure(r) };
}

const gptoss = loadModel("openai/gpt-oss-120b");
const b200 = getHardware("b200");
const vllm = getEngine("vllm");

function closed(conc: number, isl: number, osl: number, perClient = 10, extra: Partial<SimulationRequest> = {}) {
  return simulate({
    model: gptoss, hardware: b200, efficiency: defaultEfficiency(), useKernelTables: false,
    workload: benchmarkClosedLoop(conc, isl, osl, perClient),
    aggregated: { plan: simplePlan({ tp: 2 }), workers: 1, engine: vllm },
    ...extra,
  });
}

describe("closed loop invariants", () => {
  it("Little's law: in a long steady run throughput ≈ C · tokens per request / E2E within 2%", () => {
    const C = 32;
    const r = closed(C, 1024, 256, 60);
    const m = r.metrics;
    // Each client always has one request in flight, so request rate = C / mean E2E (client-side time).
    const tokensPerRequest = m.meanInput + m.meanOutput;
    const little = (C * tokensPerRequest) / m.e2e.mean / r.gpus;
    expect(Math.abs(m.throughputPerGpu / little - 1)).toBeLessThan(0.02);
  });

  it("with the benchmark's 10·C requests, measured throughput sits 1–4% below Little's law (the tail runs with fewer peers)", () => {
    const C = 32;
    const r = closed(C, 1024, 1024, 10);
    const m = r.metrics;
    const little = (C * (m.meanInput + m.meanOutput)) / m.e2e.mean / r.gpus;
    const ratio = m.throughputPerGpu / little;
    expect(ratio).toBeGreaterThan(0.96);
    expect(ratio).toBeLessThan(0.99);
  });

  it("mean output length is ≈ 0.9·OSL (uniform in [⌊0.8·L⌋, L])", () => {
    const m = closed(16, 1024, 1000).metrics;
    expect(m.meanOutput / 1000).toBeGreaterThan(0.88);
    expect(m.meanOutput / 1000).toBeLessThan(0.92);
  });

  it("TPOT grows with concurrency", () => {
    const tpots = [4, 16, 64].map((c) => closed(c, 1024, 512, 4).metrics.tpot.mean);
    expect(tpots[1]).toBeGreaterThan(tpots[0]);
    expect(tpots[2]).toBeGreaterThan(tpots[1]);
  });

  it("TTFT includes queueing once the prefill budget saturates", () => {
    // 8k prompts with an 8192-token budget: one prompt per step, so 64 clients arriving together queue.
    const sat = closed(64, 8192, 64, 2);
    const light = closed(2, 8192, 64, 2);
    expect(sat.metrics.ttft.mean).toBeGreaterThan(5 * light.metrics.ttft.mean);
    expect(sat.metrics.ttft.p99).toBeGreaterThan(sat.metrics.ttft.median);
  });

  it("is deterministic for a seed and independent of run speed", () => {
    const a = closed(8, 1024, 128, 4, { seed: 7 }).metrics;
    const b = closed(8, 1024, 128, 4, { seed: 7 }).metrics;
    expect(a).toEqual(b);
    const c = closed(8, 1024, 128, 4, { seed: 8 }).metrics;
    expect(c.meanInput).not.toBe(a.meanInput);
  });

  it("advancing identical decode steps together matches strict step-by-step simulation within 0.5%", () => {
    const fast = closed(16, 1024, 256, 4).metrics;
    const exact = closed(16, 1024, 256, 4, { maxRun: 1 }).metrics;
    for (const k of ["throughputPerGpu"] as const) expect(Math.abs(fast[k] / exact[k] - 1)).toBeLessThan(0.005);
    expect(Math.abs(fast.tpot.mean / exact.tpot.mean - 1)).toBeLessThan(0.005);
    expect(Math.abs(fast.e2e.mean / exact.e2e.mean - 1)).toBeLessThan(0.005);
  });
});

describe("KV exhaustion", () => {
  it("preempts and recomputes when the KV pool runs out, and every request still finishes", () => {
    // Llama-3.1-8B on one L4 (24 GB): ~16 GB of bf16 weights leave ~1.6 GB of KV at 0.9 utilisation and a
    // 4 GB reserve, i.e. ~12k tokens at 131 kB/token; 16 clients × (2000 + 1000 tokens) need ~48k.
    const r = simulate({
      model: loadModel("meta-llama/Llama-3.1-8B"), hardware: getHardware("L4"), efficiency: defaultEfficiency(), useKernelTables: false,
      workload: { kind: "closed", concurrency: 16, requests: 32, input: { kind: "fixed", value: 2000 }, output: { kind: "fixed", value: 1000 } },
      aggregated: { plan: simplePlan({ tp: 1 }), workers: 1, engine: getEngine("vllm") },
    });
    expect(r.kvCapacityTokens[0]).toBeGreaterThan(8000);
    expect(r.kvCapacityTokens[0]).toBeLessThan(16000);
    expect(r.metrics.requests).toBe(32);
    expect(r.metrics.preemptions).toBeGreaterThan(0);
    expect(r.timeline.every((x) => x.kvUsed <= 1 + 1e-9)).toBe(true);
  });

  it("a prompt that can never fit is a clear error", () => {
    expect(() =>
      simulate({
        model: loadModel("meta-llama/Llama-3.1-8B"), hardware: getHardware("L4"), efficiency: defaultEfficiency(), useKernelTables: false,
        workload: { kind: "closed", concurrency: 1, requests: 1, input: { kind: "fixed", value: 100_000 }, output: { kind: "fixed", value: 10 } },
        aggregated: { plan: simplePlan({ tp: 1 }), workers: 1, engine: withEngineOverrides(getEngine("vllm"), { max_num_batched_tokens: 200_000 }, "test") },
      }),
    ).toThrow(/does not fit the KV pool/);
  });
});

describe("disaggregated serving", () => {
  const disagg = (conc: number) =>
    simulate({
      model: gptoss, hardware: getHardware("gb200"), efficiency: defaultEfficiency(), useKernelTables: false,
      workload: benchmarkClosedLoop(conc, 8192, 256, 4),
      disaggregated: {
        prefill: { plan: simplePlan({ tp: 1 }), workers: 2, engine: getEngine("dynamo-trt") },
        decode: { plan: simplePlan({ tp: 4 }), workers: 1, engine: getEngine("dynamo-trt") },
      },
    });

  it("counts prefill + decode GPUs and finishes every request", () => {
    const r = disagg(16);
    expect(r.gpus).toBe(2 + 4);
    expect(r.metrics.requests).toBe(64);
    expect(new Set(r.timeline.map((x) => x.replica))).toEqual(new Set(["prefill0", "prefill1", "decode0"]));
  });

  it("decode steps carry no prefill chunks, so TPOT is lower than aggregated serving of the same long prompts", () => {
    const d = disagg(16).metrics;
    const agg = simulate({
      model: gptoss, hardware: getHardware("gb200"), efficiency: defaultEfficiency(), useKernelTables: false,
      workload: benchmarkClosedLoop(16, 8192, 256, 4),
      aggregated: { plan: simplePlan({ tp: 4 }), workers: 1, engine: getEngine("dynamo-trt") },
    }).metrics;
    expect(d.tpot.mean).toBeLessThan(agg.tpot.mean);
  });

  it("the client's first token is the decode worker's: after the KV hand-off, at the end of the request's first decode step", () => {
    // Dynamo's decode handler does not stream the prefill worker's token (components/src/dynamo/trtllm/request_handlers/
    // handlers.py DecodeHandler.generate: "Do not yield the prefill response directly"); SGLang's and vLLM's P/D proxies
    // likewise return the decode server's stream. So TTFT = prefill + KV transfer + the first decode step.
    const r = disagg(4);
    for (const q of r.requests) {
      expect(q.firstToken).toBeGreaterThan(q.decodeArrival);
      expect(q.finish).toBeGreaterThanOrEqual(q.firstToken);
    }
    // The first request to reach the idle decode worker starts a step at once: its first token comes one step later.
    const first = r.requests.reduce((a, b) => (b.decodeArrival < a.decodeArrival ? b : a));
    const step = r.replicas.find((x) => x.cfg.name === "decode0")!.records[0];
    expect(step.t).toBeCloseTo(first.decodeArrival, 12);
    expect(first.firstToken).toBeCloseTo(step.t + step.seconds / step.steps, 12);
  });
});

describe("open loop and traces", () => {
  it("Poisson arrivals below capacity: throughput tracks the offered rate", () => {
    const rate = 2;
    const r = simulate({
      model: gptoss, hardware: b200, efficiency: defaultEfficiency(), useKernelTables: false,
      workload: { kind: "open", rate, arrival: "poisson", requests: 200, input: { kind: "fixed", value: 512 }, output: { kind: "fixed", value: 128 } },
      aggregated: { plan: simplePlan({ tp: 2 }), workers: 1, engine: vllm },
    });
    expect(Math.abs(r.metrics.requestsPerSec / rate - 1)).toBeLessThan(0.15);
  });

  it("a trace replays its arrivals and lengths", () => {
    const r = simulate({
      model: gptoss, hardware: b200, efficiency: defaultEfficiency(), useKernelTables: false,
      workload: { kind: "trace", items: [{ arrival: 0, input: 100, output: 10 }, { arrival: 5, input: 200, output: 20 }] },
      aggregated: { plan: simplePlan({ tp: 1 }), workers: 1, engine: vllm },
    });
    expect(r.requests.map((q) => [q.arrival, q.input, q.output])).toEqual([[0, 100, 10], [5, 200, 20]]);
    expect(r.requests[1].firstToken).toBeGreaterThan(5);
  });

  it("bad workloads are zod errors naming the field", () => {
    expect(() => simulate({ model: gptoss, hardware: b200, efficiency: defaultEfficiency(), workload: { kind: "closed", concurrency: 0, requests: 1, input: { kind: "fixed", value: 1 }, output: { kind: "fixed", value: 1 } }, aggregated: { plan: simplePlan({ tp: 1 }), workers: 1, engine: vllm } })).toThrow(/concurrency: concurrency must be ≥ 1/);
  });
});

describe("speculative decoding", () => {
  it("expected tokens per step = (1 − a^(k+1)) / (1 − a): k = 3, a = 0.7 → 2.5330", async () => {
    const { expectedTokensPerStep } = await import("../../lib/engine/speculative");
    // 1 + 0.7 + 0.49 + 0.343 = 2.533
    expect(expectedTokensPerStep(3, 0.7)).toBeCloseTo(2.533, 10);
    expect(expectedTokensPerStep(2, 1)).toBe(3);
  });

  it("a request needs ⌈(out − 1)/E⌉ decode steps: TPOT drops by the gain less the verification and drafting cost", () => {
    const spec = { method: "test", draftTokens: 1, acceptance: 1, draftBlocks: 0, tokensPerStep: 2, source: "test" };
    const run = (speculative?: typeof spec) =>
      simulate({
        model: gptoss, hardware: b200, efficiency: defaultEfficiency(), useKernelTables: false,
        workload: { kind: "closed", concurrency: 1, requests: 1, input: { kind: "fixed", value: 512 }, output: { kind: "fixed", value: 101 } },
        aggregated: { plan: simplePlan({ tp: 1 }), workers: 1, engine: vllm }, speculative,
      });
    const plain = run();
    const fast = run(spec);
    // 100 decode tokens after the first: 100 plain steps vs 50 verification steps of 2 query tokens each.
    expect(plain.steps - 1).toBe(100);
    expect(fast.steps - 1).toBe(50);
    const ratio = fast.metrics.tpot.mean / plain.metrics.tpot.mean;
    expect(ratio).toBeGreaterThan(0.5); // a 2-token verification step costs more than a 1-token step
    expect(ratio).toBeLessThan(0.6); // but decode at batch 1 is weight-bound, so not much more
  });
});
