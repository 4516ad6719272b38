/** The drill-down helpers: sources, shares and op rows of a step add up. */
import { describe, expect, it } from "vitest";
import { simplePlan } from "../../lib/parallel/plan";
import { estimate } from "../../lib/run/estimate";
import { familySeconds, opRows, sourceName, sourceShares, timeSourceOf } from "../../lib/step/drilldown";

describe("step drill-down", () => {
  const e = estimate({ model: "deepseek-ai/DeepSeek-R1", hardware: "h200", engine: "sglang", plan: simplePlan({ tp: 8 }), phase: "decode", batch: 64, seqLen: 2048 });

  it("shares by source sum to 1 and name their tables", () => {
    const s = sourceShares(e.step);
    expect(s.table + s.extrapolated + s.roofline).toBeCloseTo(1, 12);
    expect(timeSourceOf({ source: "roofline", extrapolated: false })).toBe("roofline");
    expect(sourceName("data/kernels/h200_sxm/sglang/generation_mla.json (sglang 0.5.14)")).toBe("generation_mla");
  });

  it("family seconds and op rows add up to the step's GPU time", () => {
    const f = familySeconds(e.step);
    expect(Object.values(f).reduce((a, b) => a + b, 0)).toBeCloseTo(e.step.gpu, 12);
    const rows = opRows(e.step);
    expect(rows.reduce((a, r) => a + r.stepMs, 0) / 1e3).toBeCloseTo(e.step.gpu, 9);
    expect(rows[0].stepMs).toBeGreaterThanOrEqual(rows[rows.length - 1].stepMs);
    // The MLA decode kernel and the routed experts come from SGLang's tables on H200.
    expect(rows.find((r) => r.op.startsWith("attention_decode"))!.table).toBe("generation_mla");
    expect(rows.find((r) => r.op === "experts")!.table).toBe("moe");
  });
});
