/**
 * Bounds instead of crashes: every number column has a range in data/limits.json that the simulator can
 * honour; a value outside is the row's error naming the limit; the simulator refuses work beyond its
 * request and event budgets with a reason instead of allocating or running without end.
 */
import { describe, expect, it, vi } from "vitest";
import { LIMITS } from "../../lib/core/limits";
import { convertRow } from "../../lib/reconcile/convert";
import { predictRun } from "../../lib/run/predict";
import { resolveRun } from "../../lib/run/resolve";
import { ConfigRow } from "../../lib/reconcile/standard";
import { benchmarkClosedLoop } from "../../lib/serving/workload";

const BASE = { model: "openai/gpt-oss-20b", gpu_model: "h100", framework: "vllm", precision: "", input_seq_len: "64", output_seq_len: "8", tensor_parallel: "1", concurrency: "2" };

describe("data/limits.json", () => {
  it("gives every number column of the standard CSV a range, and the ranges agree with the simulator's budgets", () => {
    for (const c of ["input_seq_len", "output_seq_len", "tensor_parallel", "expert_parallel", "concurrency", "prefill_tp", "decode_ep", "num_decode_gpu", "request_rate", "num_requests", "max_batch_size", "max_num_tokens", "max_prefill_tokens", "gpu_memory_utilization", "pipeline_parallel"]) {
      expect(LIMITS.columns[c], c).toBeDefined();
      expect(LIMITS.columns[c].reason.length).toBeGreaterThan(20);
    }
    // The benchmark client sends 10 requests per client (benchmarkClosedLoop): the largest concurrency fits the request budget.
    const loop = benchmarkClosedLoop(1, 1, 1);
    const requestsPerClient = loop.kind === "closed" ? loop.requests : NaN;
    expect(requestsPerClient).toBe(10);
    expect(LIMITS.columns.concurrency.max * requestsPerClient).toBeLessThanOrEqual(LIMITS.simulation.max_requests.value);
    expect((LIMITS.columns.concurrency.max + 1) * requestsPerClient).toBeGreaterThan(LIMITS.simulation.max_requests.value);
    expect(LIMITS.columns.num_requests.max).toBe(LIMITS.simulation.max_requests.value);
  });

  it("accepts each column's min and max and refuses just outside, naming the limit", () => {
    const ranged = Object.keys(LIMITS.columns).filter((c) => c in ConfigRow.shape);
    expect(ranged).toHaveLength(Object.keys(LIMITS.columns).length); // every range names a column of the standard CSV
    for (const c of ranged) {
      const r = LIMITS.columns[c];
      const whole = Number.isInteger(r.min) && Number.isInteger(r.max) && c !== "request_rate" && c !== "gpu_memory_utilization";
      const step = whole ? 1 : r.max * 1e-6;
      for (const v of [r.min, r.max]) expect(ConfigRow.safeParse({ ...BASE, [c]: String(v) }).success, `${c} = ${v}`).toBe(true);
      for (const v of [r.max + step, r.min - (whole ? 1 : r.min)]) {
        const res = ConfigRow.safeParse({ ...BASE, [c]: String(v) });
        expect(res.success, `${c} = ${v}`).toBe(false);
        if (!res.success) expect(res.error.issues[0].message).toMatch(new RegExp(`${c} must be a (whole )?number from .* \\(data/limits\\.json: `));
      }
    }
  });

  it("the simulator refuses more requests than it can hold before allocating any", () => {
    const req = convertRow(ConfigRow.parse(BASE));
    const before = process.memoryUsage().heapUsed;
    const t0 = Date.now();
    const huge = { kind: "closed" as const, concurrency: 1e9, requests: 1e10, input: { kind: "fixed" as const, value: 16 }, output: { kind: "fixed" as const, value: 4 } };
    expect(() => predictRun(resolveRun({ ...req, workload: huge }))).toThrow(
      /the workload has 10,000,000,000 requests, more than the simulator holds \(262,144, data\/limits\.json simulation\.max_requests/,
    );
    expect(Date.now() - t0).toBeLessThan(5000); // refused up front, not after allocating 1e9 requests
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(200e6);
  });

  it("a simulation that needs more events than its budget stops with that row's error", async () => {
    vi.resetModules();
    vi.doMock("../../lib/core/limits", async (orig) => {
      const real = await orig<typeof import("../../lib/core/limits")>();
      return { ...real, LIMITS: { ...real.LIMITS, simulation: { ...real.LIMITS.simulation, max_events: { ...real.LIMITS.simulation.max_events, value: 50 } } } };
    });
    const { predictCsvRow } = await import("../../lib/reconcile/predict");
    // 2 clients × 10 requests of 8 output tokens: each request starts and finishes in an event, more than 50 in all.
    const out = predictCsvRow(BASE);
    expect(out.error_message).toMatch(/the simulation needs more than 50 events \(data\/limits\.json simulation\.max_events: .*\); lower the concurrency, the request count or the lengths/);
    expect(out.predicted_throughput_per_gpu).toBe("");
    vi.doUnmock("../../lib/core/limits");
    vi.resetModules();
  });
});
