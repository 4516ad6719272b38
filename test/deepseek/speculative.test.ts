/** MTP acceptance as sourced data per model and draft length; ITL (between streamed chunks) distinct from TPOT (per token). */
import { describe, expect, it } from "vitest";
import { defaultEfficiency } from "../../lib/calibration/efficiency";
import { getEngine } from "../../lib/engine/profile";
import { speculativeFor, tokensPerStepOf } from "../../lib/engine/speculative";
import { getHardware } from "../../lib/hardware/registry";
import { loadModel } from "../../lib/model/registry";
import { simplePlan } from "../../lib/parallel/plan";
import { measure } from "../../lib/metrics/summary";
import { simulate } from "../../lib/serving/simulate";

describe("MTP acceptance (data/speculative.json)", () => {
  it("DeepSeek-V3/R1: the second-token rate of the technical report, 0.875, per draft position", () => {
    const s = speculativeFor("mtp", "deepseek_v3");
    expect(s.draftTokens).toBe(3);
    expect(s.acceptanceByPosition).toEqual([0.875, 0.875, 0.875]);
    // 1 + 0.875 + 0.875² + 0.875³ = 1 + 0.875 + 0.765625 + 0.669921875 = 3.310546875 tokens per step.
    expect(s.tokensPerStep).toBeCloseTo(3.310546875, 12);
    expect(s.source).toMatch(/arXiv:2412\.19437/);
    expect(s.source).toMatch(/not published/); // positions 2 and 3 are marked as assumptions
  });

  it("draft length 1: 1 + 0.875 = 1.875 tokens per step; longer drafts reuse the last published position", () => {
    expect(speculativeFor("mtp", "deepseek_v3", 1).tokensPerStep).toBeCloseTo(1.875, 12);
    const five = speculativeFor("mtp", "deepseek_v3", 5);
    expect(five.acceptanceByPosition).toHaveLength(5);
    expect(five.source).toMatch(/last published position reused/);
  });

  it("per-position rates: 1 + a₁ + a₁a₂ (0.9, 0.5 → 1 + 0.9 + 0.45 = 2.35)", () => {
    expect(tokensPerStepOf([0.9, 0.5])).toBeCloseTo(2.35, 12);
  });

  it("an unknown method is an error naming the file", () => {
    expect(() => speculativeFor("medusa")).toThrow(/data\/speculative\.json/);
  });
});

describe("ITL is the gap between streamed chunks, TPOT the time per output token", () => {
  it("with 2 tokens per step, ITL ≈ the step time and TPOT ≈ half of it", () => {
    const run = (tokensPerStep?: number) => ({ metrics: measure(simulate({
        model: loadModel("openai/gpt-oss-120b"), hardware: getHardware("b200"), efficiency: defaultEfficiency(), useKernelTables: false,
        workload: { kind: "closed", concurrency: 1, requests: 1, input: { kind: "fixed", value: 512 }, output: { kind: "fixed", value: 101 } },
        aggregated: { plan: simplePlan({ tp: 1 }), workers: 1, engine: getEngine("vllm") },
        speculative: tokensPerStep ? { method: "test", draftTokens: 1, acceptance: 1, draftBlocks: 0, tokensPerStep, source: "test" } : undefined,
      })) });
    const plain = run().metrics;
    const spec = run(2).metrics;
    // Without speculation one token per chunk: ITL = TPOT (100 steps after the first token, each one token).
    expect(plain.itl.mean).toBeCloseTo(plain.tpot.mean, 6);
    // With 2 tokens per step: 50 steps deliver 100 tokens; TPOT = step / 2, ITL = step.
    expect(spec.itl.mean / spec.tpot.mean).toBeCloseTo(2, 6);
  });
});
