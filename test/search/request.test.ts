/** A candidate as the run request every prediction takes: lengths, plans, engine limits. */
import { describe, expect, it } from "vitest";
import { getHardware } from "../../lib/hardware/registry";
import { loadModel } from "../../lib/model/registry";
import { limitsOf, requestsFor, runRequestOf, shapeOf } from "../../lib/search/request";
import { DEFAULT_SETTINGS } from "../../lib/search/settings";
import { layoutId } from "../../lib/search/space";

const S = DEFAULT_SETTINGS;

describe("request lengths", () => {
  it("from --isl/--osl: uniform in [0.8·L, L] as InferenceMAX draws them", () => {
    // 1024: uniform integers in [819, 1024] → mean (819 + 1024) / 2 = 921.5.
    const s = shapeOf({ isl: 1024, osl: 128 }, S);
    expect(s.input).toEqual({ kind: "benchmark", nominal: 1024, rangeRatio: 0.8 });
    expect(s.meanInput).toBe(921.5);
    expect(s.meanOutput).toBe((102 + 128) / 2);
  });

  it("from a workload file: its distributions, or a trace's mean lengths", () => {
    const closed = shapeOf({ workload: { kind: "closed", concurrency: 4, requests: 8, input: { kind: "uniform", min: 100, max: 300 }, output: { kind: "fixed", value: 50 } } }, S);
    expect([closed.meanInput, closed.meanOutput]).toEqual([200, 50]);
    // Trace: (100 + 300) / 2 = 200 in, (10 + 31) / 2 = 20.5 → 21 out (rounded).
    const trace = shapeOf({ workload: { kind: "trace", items: [{ arrival: 0, input: 100, output: 10 }, { arrival: 1, input: 300, output: 31 }] } }, S);
    expect([trace.input, trace.output]).toEqual([{ kind: "fixed", value: 200 }, { kind: "fixed", value: 21 }]);
    expect(() => shapeOf({ isl: 1, workload: closed as never }, S)).toThrow(/either --isl\/--osl or --workload/);
    expect(() => shapeOf({ isl: 0, osl: 5 }, S)).toThrow(/--isl must be a whole number ≥ 1/);
  });
});

describe("limits and requests", () => {
  it("a batch cap per rank that admits every client, a token budget that holds it", () => {
    // 100 clients over 8 DP ranks → ⌈100 / 8⌉ = 13 per rank; a 2048 budget stays (≥ 13 × (1 + 3) drafts).
    expect(limitsOf({ width: 8, pp: 1, variant: "dp-ep" }, 100, 2048, { draftTokens: 3 } as never)).toEqual({ max_num_seqs: 13, max_num_batched_tokens: 2048 });
    // 4096 clients on one TP rank with a 2048 budget: the budget rises to the batch, 4096.
    expect(limitsOf({ width: 8, pp: 1, variant: "tp" }, 4096, 2048, undefined)).toEqual({ max_num_seqs: 4096, max_num_batched_tokens: 4096 });
    // No budget asked: the engine's default stays.
    expect(limitsOf({ width: 1, pp: 1, variant: "tp" }, 7, 0, undefined)).toEqual({ max_num_seqs: 7 });
  });

  it("10 requests per client, at most 8192, at least 3 per client", () => {
    expect(requestsFor(64, S)).toBe(640);
    expect(requestsFor(2048, S)).toBe(8192);
    expect(requestsFor(4096, S)).toBe(3 * 4096);
  });

  it("a disaggregated candidate: each pool its own engine limits", () => {
    const ir = loadModel("deepseek-ai/DeepSeek-R1");
    const hw = getHardware("gb200");
    const l = { engine: "dynamo", profile: "dynamo-trt", mode: "disaggregated" as const, precision: "fp4", speculative: true, tokenBudget: 16384,
      prefill: { width: 4, pp: 1, variant: "dp-ep" as const }, decode: { width: 8, pp: 1, variant: "dp-ep" as const }, ratio: { prefill: 1, decode: 2 } };
    const x = { model: ir.id, hardware: hw.id, ir, hw, shape: shapeOf({ isl: 1024, osl: 1024 }, S), settings: S, calibration: "none" as const, useKernelTables: false, seed: 1 };
    const r = runRequestOf({ layout: { ...l, id: layoutId(l) }, concurrency: 1024 }, x);
    const d = r.disaggregated!;
    // Decode: 1024 clients / 2 workers = 512 per worker / 8 ranks = 64 per rank; budget ≥ 64 × (1 + 3 drafts) = 256, the profile's 8192 kept.
    expect([d.decode.workers, (d.decode.engine as never as { max_num_seqs: { value: number } }).max_num_seqs.value]).toEqual([2, 64]);
    // Prefill: 1024 / 1 worker / 4 ranks = 256 per rank; the asked budget 16384.
    const pe = d.prefill.engine as never as { max_num_seqs: { value: number }; max_num_batched_tokens: { value: number } };
    expect([pe.max_num_seqs.value, pe.max_num_batched_tokens.value]).toEqual([256, 16384]);
    expect(r.workload).toMatchObject({ kind: "closed", concurrency: 1024, requests: 8192 });
    expect(r.speculative?.method).toBe("mtp");
  });
});
