/** MoE from tables: uniform routing, the busiest EP rank, untuned dtypes on the roofline, unmeasured shapes through the nearest measured one. */
import { describe, expect, it } from "vitest";
import { moeTransferLookup } from "../../lib/cost/moe-transfer";
import { MOE } from "../../lib/cost/moe";
import { routedExpertsOp } from "../../lib/cost/moe";
import { loadKernelTables } from "../../lib/kernels/index";
import { loadModel } from "../../lib/model/registry";
import { ParallelPlan, simplePlan } from "../../lib/parallel/plan";

const h200 = loadKernelTables("h200_sxm", "trtllm")!;
const b200 = loadKernelTables("b200_sxm", "trtllm")!;

describe("routed experts from the MoE tables", () => {
  const ir = loadModel("deepseek-ai/DeepSeek-V3");
  const m = ir.layers.find((l) => l.moe)!.moe!;

  it("the busiest EP rank is looked up at tokens × imbalance, for uniform routing", () => {
    const plan = ParallelPlan.parse(simplePlan({ tp: 8, ep: 8, dpAttention: true }));
    const op = routedExpertsOp(ir, plan, plan.decode, "moe", 58, m, 512);
    expect(op.moe!.imbalance).toBeGreaterThan(1);
    const r = MOE.lookup!(h200, op)!;
    // The same as asking the table for uniform routing at ⌈512 · imbalance⌉ tokens (rounded to 1/256 octave).
    const direct = h200.moe({ tokens: Math.ceil(512 * op.moe!.imbalance), hidden: 7168, inter: 2048, topk: 8, experts: 256, tp: 1, ep: 8, dtype: "fp8_block", distribution: "uniform" })!;
    expect(r.latencyMs / direct.latencyMs).toBeCloseTo(1, 2);
    expect(r.source).toMatch(/h200_sxm\/trtllm\/moe\.json/);
  });

  it("an untuned dtype (the table's caveat, w4a16_mxfp4 on B200) stays on the roofline", () => {
    const gptoss = loadModel("openai/gpt-oss-120b");
    const g = gptoss.layers.find((l) => l.moe)!.moe!;
    const plan = ParallelPlan.parse(simplePlan({ tp: 1 }));
    const op = routedExpertsOp(gptoss, plan, plan.decode, "moe", 36, g, 64);
    expect(b200.moe({ tokens: 64, hidden: 2880, inter: 2880, topk: 4, experts: 128, tp: 1, ep: 1, dtype: "w4a16_mxfp4" })?.caveat).toBeTruthy();
    expect(MOE.lookup!(b200, op)).toBeUndefined();
  });

  it("an unmeasured shape (Mixtral-8x22B) takes the measured Mixtral-8x7B efficiency at the same tokens per expert", () => {
    const q = { tokens: 1024, hidden: 6144, inter: 16384, topk: 2, experts: 8, tp: 4, ep: 1, dtype: "fp8", distribution: "uniform" };
    expect(h200.moe(q)).toBeUndefined();
    const r = moeTransferLookup(h200, q)!;
    const donor = h200.moe({ ...q, hidden: 4096, inter: 14336 })!;
    // Same top-2 of 8 experts, so the same 1024 tokens; at 1024 tokens the work is compute-bound on both
    // shapes, so the time scales with hidden × inter: 6144·16384 / (4096·14336) = 1.7143.
    expect(r.adjustment!.factor).toBeCloseTo((6144 * 16384) / (4096 * 14336), 3);
    expect(r.latencyMs).toBeCloseTo(donor.latencyMs * r.adjustment!.factor, 9);
    expect(r.extrapolated).toBe(true);
    expect(r.source).toMatch(/hidden 4096, inter 14336/);
  });
});
