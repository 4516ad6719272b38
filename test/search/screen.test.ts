/** Screening: the reasons a worker or a load point is pruned, and the analytic models' arithmetic by hand. */
import { describe, expect, it } from "vitest";
import { decodeBatch, prefillBatch } from "../../lib/cost/batch";
import { resolveRun } from "../../lib/run/resolve";
import { rescaleBatch, verifyBatch, gridStepModel } from "../../lib/search/analytic";
import { stepAt, unitSteadyState, type DecodeTable, type PrefillTable } from "../../lib/search/analytic-disagg";
import { fitWorker } from "../../lib/search/fit";
import { requestContext } from "../../lib/search/tasks";
import { runRequestOf, shapeOf } from "../../lib/search/request";
import { analyticMiss, sloScreen } from "../../lib/search/screen";
import { DEFAULT_SETTINGS } from "../../lib/search/settings";
import { layoutId } from "../../lib/search/space";
import type { Layout, Screened, WorkerLayout } from "../../lib/search/types";
import type { StepModel } from "../../lib/step/step-model";

const S = DEFAULT_SETTINGS;

function fitOf(model: string, hardware: string, worker: WorkerLayout, precision: string, isl: number, osl: number) {
  const shape = shapeOf({ isl, osl }, { ...S, lengthRangeRatio: 1 });
  const x = requestContext({ model, hardware, shape, settings: S, calibration: "none", useKernelTables: false, seed: 1, slo: {} });
  const l = { engine: "vllm", profile: "vllm", mode: "aggregated" as const, precision, speculative: false, tokenBudget: 0, worker };
  const run = resolveRun(runRequestOf({ layout: { ...l, id: layoutId(l) }, concurrency: 1 }, x));
  return fitWorker(run, run.aggregated!, "decode", worker, shape);
}

describe("pruning reasons", () => {
  it("a split the model does not allow: plan", () => {
    // GPT-OSS-120B has 64 attention heads: 3 GPUs do not split them.
    const f = fitOf("openai/gpt-oss-120b", "b200", { width: 3, pp: 1, variant: "tp" }, "fp4", 1024, 1024);
    expect(f.ok).toBe(false);
    expect(f.stage).toBe("plan");
    expect(f.reason).toMatch(/TP3 is not a valid split of openai\/gpt-oss-120b: .*64 attention heads do not split over tp=3/);
  });

  it("weights that do not fit: memory", () => {
    // DeepSeek-R1 in FP8 (~671 GB) on one GB200: the driver reports 189,471 MiB = 198.67 GB; vLLM may use 0.9 of it = 178.8 GB.
    const f = fitOf("deepseek-ai/DeepSeek-R1", "gb200", { width: 1, pp: 1, variant: "tp" }, "fp8", 1024, 1024);
    expect(f.stage).toBe("memory");
    expect(f.reason).toMatch(/^TP1: weights \d+(\.\d+)? GB\/GPU \+ runtime reserve 4 GB exceed the usable 178\.8 GB \(0\.9 of the 198\.7 GB the driver reports, total basis\)$/);
  });

  it("a KV cache that cannot hold one request: kv", () => {
    // Llama-3.1-8B on one H100 holds a few hundred thousand tokens of KV (128 KiB per token in BF16), not 1M + 1k.
    const f = fitOf("meta-llama/Llama-3.1-8B", "h100", { width: 1, pp: 1, variant: "tp" }, "bf16", 1_000_000, 1024);
    expect(f.stage).toBe("kv");
    expect(f.reason).toMatch(/less than one request of 1001024 tokens/);
  });

  it("a worker that fits: the clients its KV holds", () => {
    const f = fitOf("meta-llama/Llama-3.1-8B", "h100", { width: 1, pp: 1, variant: "tp" }, "bf16", 1024, 1024);
    expect(f.ok).toBe(true);
    // clients = ⌊KV tokens / (1024 + 1024)⌋.
    expect(f.clients).toBe(Math.floor(f.kvTokens / 2048));
  });

  it("a load point whose analytic TPOT already misses the SLO (with slack), and one that may meet it", () => {
    const layout = { id: "x" } as Layout;
    const p = (tpot: number, ttft: number): Screened => ({ candidate: { layout, concurrency: 8 }, analytic: { throughputPerGpu: 1, outputThroughputPerGpu: 1, tokPerUser: 1 / tpot, ttft, tpot, e2e: 1 } });
    // 30 ms > 20 ms × 1.15 = 23 ms → pruned; 22 ms ≤ 23 ms → kept.
    expect(analyticMiss(p(0.03, 0.1), { tpot: 0.02 }, S)).toBe("analytic TPOT 30 ms > 20 ms × 1.15");
    expect(analyticMiss(p(0.022, 0.1), { tpot: 0.02 }, S)).toBe("");
    // TTFT: the tighter of p90 / p99 × 1.5: 0.8 s > 0.5 × 1.5 = 0.75 s → pruned.
    expect(analyticMiss(p(0.01, 0.8), { ttftP90: 1, ttftP99: 0.5 }, S)).toMatch(/^analytic mean TTFT 800 ms > 500 ms × 1\.5/);
    const r = sloScreen([p(0.03, 0.1), p(0.022, 0.1), p(0.01, 0.1)], { tpot: 0.02 }, S);
    expect(r.kept).toHaveLength(2);
    expect(r.missed).toBe(1);
    expect(r.example?.stage).toBe("slo");
  });
});

describe("analytic models", () => {
  const w = [null];
  it("rescales a batch's decodes and prefill separately", () => {
    // 4 decodes at context 100 plus one 50-token prompt chunk: decode pairs 4·101, prefill pairs 50·51/2 = 1275.
    const s = { ...decodeBatch(4, 100, w) };
    const pf = prefillBatch(1, 50, w);
    const both = { tokens: 54, seqs: 5, logitRows: 5, prefillSeqs: 1, prefillTokens: 50, attention: { full: { pairs: 404 + 1275, kvRead: 400, prefillPairs: 1275, prefillKvRead: 0 } } };
    expect(pf.attention.full.pairs).toBe(1275);
    expect(s.attention.full.pairs).toBe(404);
    // Decodes ×2, prefill ×0.5: tokens 8 + 25, pairs 808 + 637.5, seqs 8 + 0.5.
    const r = rescaleBatch(both, 2, 0.5);
    expect(r.tokens).toBe(33);
    expect(r.seqs).toBe(8.5);
    expect(r.prefillTokens).toBe(25);
    expect(r.attention.full.pairs).toBe(808 + 637.5);
    expect(r.attention.full.kvRead).toBe(800);
  });

  it("speculative verification: 1 + k query tokens per decode over the same context", () => {
    // 4 decodes at context 100, k = 3: tokens 4 + 12 = 16, logit rows 16, pairs 4 × (100 + 1) × 4 = 1616, KV read unchanged 400.
    const v = verifyBatch(decodeBatch(4, 100, w), 3);
    expect([v.tokens, v.logitRows, v.attention.full.pairs, v.attention.full.kvRead]).toEqual([16, 16, 1616, 400]);
  });

  it("the grid times each grid point once", () => {
    let calls = 0;
    const fake = { time: (s: { seqs: number }) => (calls++, s.seqs) } as unknown as StepModel;
    const g = gridStepModel(fake, 8);
    // 100 and 101 decodes round to the same 1/8-octave point 2^(53/8) ≈ 98.7: one evaluation.
    const a = g.time(decodeBatch(100, 10, w));
    const b = g.time(decodeBatch(101, 10, w));
    expect(calls).toBe(1);
    expect(a).toBeCloseTo(Math.pow(2, 53 / 8), 9);
    expect(b).toBe(a);
  });

  const p: PrefillTable = { gpus: 1, mu: 10, single: 0.05, frontDelay: 0.01, transfer: 0.001 };
  const d: DecodeTable = { gpus: 1, batches: [1, 1024], times: [0.02, 0.02], tokensPerStep: 1, clients: 1024 };
  const shape = { input: { kind: "fixed" as const, value: 100 }, output: { kind: "fixed" as const, value: 101 }, meanInput: 100, meanOutput: 101, source: "test" };

  it("log-log interpolation of the decode table", () => {
    const t: DecodeTable = { ...d, batches: [1, 4], times: [0.01, 0.04] };
    // Halfway in log batch (2) is halfway in log time: √(0.01 · 0.04) = 0.02; beyond the table: linear in batch.
    expect(stepAt(t, 2)).toBeCloseTo(0.02, 12);
    expect(stepAt(t, 8)).toBeCloseTo(0.08, 12);
  });

  it("a unit below its prefill capacity: queueing by the M/D/1 mean", () => {
    // Decode: 100 steps of 20 ms = 2 s; fixed = 10 ms front + 50 ms prefill + 1 ms hand-off = 0.061 s.
    // λ₀ = 8 / 2.061 = 3.8816/s; ρ = λ₀ / 10 = 0.38816; W = ρ / (2·10·(1 − ρ)) = 0.031721 s; λ = 8 / (2.061 + W) = 3.82276/s.
    const u = unitSteadyState(p, d, { prefill: 1, decode: 1 }, 8, shape, S);
    const rho = 8 / 2.061 / 10;
    const wait = rho / (2 * 10 * (1 - rho));
    const lambda = 8 / (2.061 + wait);
    // The client's first token: prefill, hand-off, then the decode worker's first 20 ms step; TPOT = (E2E − TTFT) / 100
    // = (100 − 1) · 0.02 / 100 = 0.0198 s (the first decode step is inside TTFT).
    expect(u.ttft).toBeCloseTo(0.01 + wait + 0.05 + 0.001 + 0.02, 9);
    expect(u.tpot).toBeCloseTo(0.0198, 12);
    expect(u.tokPerUser).toBeCloseTo(50, 9);
    // Throughput per GPU: λ · (100 + 101) tokens / 2 GPUs.
    expect(u.throughputPerGpu).toBeCloseTo((lambda * 201) / 2, 6);
    expect(u.e2e).toBeCloseTo(0.01 + wait + 0.05 + 0.001 + 2, 9);
  });

  it("a prefill-bound unit: the rate is the pool's capacity and the other clients wait", () => {
    // 100 clients would arrive at 100 / 2.061 = 48.5/s > 0.95 · 10: λ = 9.5/s, W = 100 / 9.5 − 2.061.
    const u = unitSteadyState(p, d, { prefill: 1, decode: 1 }, 100, shape, S);
    expect(u.prefillUtilisation).toBeCloseTo(0.95, 12);
    expect(u.throughputPerGpu).toBeCloseTo((9.5 * 201) / 2, 9);
    expect(u.ttft).toBeCloseTo(0.01 + (100 / 9.5 - 2.061) + 0.05 + 0.001 + 0.02, 9);
  });
});
