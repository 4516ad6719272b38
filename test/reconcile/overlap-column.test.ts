/**
 * The overlap_scheduler column: empty keeps the engine profile's schedule_ahead; false makes the loop synchronous
 * (a request entering during a step runs in the next one, host work between GPU steps); true plans one step
 * ahead. A wrong value is an error naming the column, for that row only.
 */
import { describe, expect, it } from "vitest";
import { getEngine } from "../../lib/engine/profile";
import { convertRow } from "../../lib/reconcile/convert";
import { predictConfig } from "../../lib/reconcile/predict";
import { ConfigRow } from "../../lib/reconcile/standard";

const ROW = { model: "openai/gpt-oss-120b", gpu_model: "b200", framework: "vllm", precision: "fp4", input_seq_len: "1024", output_seq_len: "1024", tensor_parallel: "1", concurrency: "16" };

describe("overlap_scheduler column", () => {
  it("absent or empty: the engine profile's default (vLLM: async scheduling on)", () => {
    expect(ConfigRow.parse({ ...ROW, overlap_scheduler: "" }).overlap_scheduler).toBeUndefined();
    expect(convertRow(ConfigRow.parse({ ...ROW, overlap_scheduler: " " })).engine.schedule_ahead.value).toBe(true);
    const r = convertRow(ConfigRow.parse(ROW));
    expect(r.engine.schedule_ahead.value).toBe(getEngine("vllm").schedule_ahead.value);
    expect(r.engine.schedule_ahead.value).toBe(true);
    expect(r.assumptions.some((x) => x.what === "overlap scheduler")).toBe(false);
  });

  it("false: synchronous loop and host time added; stated as an assumption; TTFT shorter than with it on", () => {
    const off = convertRow(ConfigRow.parse({ ...ROW, overlap_scheduler: "false" }));
    expect(off.engine.schedule_ahead).toEqual({ value: false, source: "row column overlap_scheduler = false" });
    expect(off.engine.host_overlap.value).toBe(false);
    expect(off.assumptions.find((x) => x.what === "overlap scheduler")?.why).toBe("row column overlap_scheduler = false");
    // Same step times (vLLM's fitted host time is added either way): only the wait for the first plan differs,
    // by about one step — so TTFT with the scheduler on is longer and TPOT is the same within a few percent.
    const pOff = predictConfig(ConfigRow.parse({ ...ROW, overlap_scheduler: "false" }), {});
    const pOn = predictConfig(ConfigRow.parse({ ...ROW, overlap_scheduler: "true" }), {});
    expect(pOn.ttft).toBeGreaterThan(pOff.ttft);
    expect(pOn.ttft - pOff.ttft).toBeLessThan(2 * pOn.tpot);
    expect(Math.abs(pOn.tpot / pOff.tpot - 1)).toBeLessThan(0.05);
  });

  it("true on an engine whose host time overlaps keeps that overlap (TensorRT-LLM)", () => {
    const on = convertRow(ConfigRow.parse({ ...ROW, framework: "trt", overlap_scheduler: "yes" }));
    expect(on.engine.schedule_ahead.value).toBe(true);
    expect(on.engine.host_overlap.value).toBe(getEngine("trtllm").host_overlap.value);
  });

  it("a wrong value names the column and the fix", () => {
    const r = ConfigRow.safeParse({ ...ROW, overlap_scheduler: "maybe" });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r)).toMatch(/overlap_scheduler must be true or false, or empty for the engine's default \(got \\"maybe\\"\)/);
  });
});
