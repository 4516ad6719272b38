import { describe, expect, it } from "vitest";
import { moeLookup } from "../../lib/kernels/lookup-moe";
import { powerLawCounts, powerLawImbalance } from "../../lib/kernels/moe-imbalance";
import { balancedLogitExperts, balancedRank0, measuredRouting, PLAIN_TOPK, routeMarked, uniformRank, type Routing } from "../../lib/kernels/moe-routing";
import { moeWork } from "../../lib/kernels/ops-moe";
import { PEAKS, syntheticBuild, syntheticTable } from "./helpers";

const GROUPED_4_2: Routing = { kind: "grouped", groups: 4, keep: 2 };
const DEEPSEEK_ROUTER: Routing = { kind: "grouped", groups: 8, keep: 4 };

describe("MoE routing of aiconfigurator's balanced logits", () => {
  it("marks experts i + j·ceil(E/k) (spread over the stride when there are fewer tokens than the stride)", () => {
    // E = 8, k = 2: stride 4. With 2 tokens (< 4): token 1 -> 1·4/2 + 4j = 2, 6.
    expect(balancedLogitExperts(0, 2, 8, 2)).toEqual([0, 4]);
    expect(balancedLogitExperts(1, 2, 8, 2)).toEqual([2, 6]);
    // With 5 tokens (>= 4): token 4 -> (4 + 4j) mod 8 = 4, 0.
    expect(balancedLogitExperts(4, 5, 8, 2)).toEqual([4, 0]);
  });

  it("plain top-k keeps them: every expert equally loaded", () => {
    // 2 tokens on E = 8, k = 2, EP 2: rank 0 holds experts 0..3 and gets experts 0 and 2 once each.
    expect(balancedRank0(2, 8, 2, 2)).toEqual({ pairs: 2, touched: 2 });
    expect(routeMarked([0, 4], 8, 2, PLAIN_TOPK)).toEqual([0, 4]);
  });

  it("grouped routing keeps the lowest-index tied groups and fills with their lowest experts", () => {
    // E = 16 in 4 groups of 4, k = 4, keep 2 groups. Token 0 marks 0, 4, 8, 12 (one per group): every
    // group scores 1 (best + second best = 1 + 0), so groups 0 and 1 are kept; their marked experts
    // 0 and 4 are picked, and the 2 free slots go to the lowest-index unmarked experts 1, 2.
    expect(routeMarked([0, 4, 8, 12], 16, 4, GROUPED_4_2).sort((a, b) => a - b)).toEqual([0, 1, 2, 4]);
    // Token 1 of 2 marks 2, 6, 10, 14 -> picks 2, 6 and fills with 0, 1.
    expect(routeMarked([2, 6, 10, 14], 16, 4, GROUPED_4_2).sort((a, b) => a - b)).toEqual([0, 1, 2, 6]);
    // Together: 8 pairs on experts {0, 1, 2, 4, 6}. With EP 4 rank 0 (experts 0..3) gets 3 + 3 pairs
    // on {0, 1, 2}; plain routing would have given it one pair each on experts 0 and 2.
    expect(balancedRank0(2, 16, 4, 1, GROUPED_4_2)).toEqual({ pairs: 8, touched: 5 });
    expect(balancedRank0(2, 16, 4, 4, GROUPED_4_2)).toEqual({ pairs: 6, touched: 3 });
    expect(balancedRank0(2, 16, 4, 4)).toEqual({ pairs: 2, touched: 2 });
  });

  it("DeepSeek-V3 (256 experts, top-8, 8 groups keep 4): only half the experts are ever touched", () => {
    // 64 tokens >= stride 32: token i marks offset i mod 32 in every group; groups 0..3 are kept, so the
    // marked experts cover all 128 experts of groups 0..3 and the fillers lie inside them.
    expect(balancedRank0(64, 256, 8, 1, DEEPSEEK_ROUTER)).toEqual({ pairs: 512, touched: 128 });
    expect(balancedRank0(64, 256, 8, 1)).toEqual({ pairs: 512, touched: 256 });
    // EP 2: rank 0 holds groups 0..3, i.e. all the work (EP 2 rows time like EP 1 rows in the data).
    expect(balancedRank0(64, 256, 8, 2, DEEPSEEK_ROUTER)).toEqual({ pairs: 512, touched: 128 });
    // EP 8: rank 0 = group 0: one marked expert per token plus the 4 fillers (offsets 0..4 minus its
    // own) -> 5 pairs per token = 320, on all 32 experts.
    expect(balancedRank0(64, 256, 8, 8, DEEPSEEK_ROUTER)).toEqual({ pairs: 320, touched: 32 });
  });

  it("uniform routing: t·k/ep pairs and (E/ep)·(1 − (1 − k/E)^t) distinct experts", () => {
    // 64 tokens, 256 experts, top-8, EP 8: 64 pairs; 32·(1 − 0.96875^64) = 32·(1 − 0.131077) = 27.805.
    const u = uniformRank(64, 256, 8, 8);
    expect(u.pairs).toBe(64);
    expect(u.touched).toBeCloseTo(27.8055, 3);
  });

  it("which router a row ran", () => {
    const deepseek = { groups: 8, groupsKept: 4 }, qwen = { groups: 0, groupsKept: 0 };
    expect(measuredRouting("trtllm", "moe_torch_flow_min_latency", qwen)).toEqual(DEEPSEEK_ROUTER);
    expect(measuredRouting("trtllm", "moe_torch_flow_cutlass", deepseek)).toEqual(PLAIN_TOPK);
    expect(measuredRouting("vllm", "any", deepseek)).toEqual(DEEPSEEK_ROUTER);
    expect(measuredRouting("sglang", "any", qwen)).toEqual(PLAIN_TOPK);
  });
});

const deepseekRow = (routing: string, latencyMs: number) => ({
  shape: { dtype: "fp8_block", hidden: 7168, inter: 2048, topk: 8, experts: 256, tp: 1, ep: 1, distribution: "balanced", routing, tokens: 64 },
  latencyMs,
});

describe("MoE data-error rule with the measured routing", () => {
  it("a DeepSeek balanced row is physical once the grouped router is known", () => {
    // fp8_block expert = 3·7168·2048·1 B = 44,040,192 B. Plain reading: 256 experts = 11,274,289,152 B
    // -> 1.409 ms at 8 TB/s; grouped: 128 experts + tokens in/out 64·7168·2·2 = 1,835,008
    // -> 5,638,979,584 B = 0.7049 ms. A 1.0 ms measurement is impossible only under the plain reading.
    const plain = syntheticBuild("moe", [deepseekRow("topk", 1.0)]);
    expect(plain.rejected.map((r) => r.reason)).toEqual(["HBM utilisation 1.410 > 1 of 8 TB/s"]);
    expect(syntheticBuild("moe", [deepseekRow("grouped_8_4", 1.0)]).rejected).toEqual([]);
    expect(moeWork(deepseekRow("grouped_8_4", 1).shape).bytes).toBe(5_638_979_584);
  });
});

describe("MoE lookup: uniform routing derived from balanced rows", () => {
  const shape = { dtype: "bf16", hidden: 1024, inter: 1024, topk: 2, experts: 8, tp: 1, ep: 1, routing: "topk" };
  const table = syntheticTable("moe", [
    // 1 token: experts {0, 4} both ways (uniform: 8·(1 − 0.75) = 2 experts), factor 1; the family floor.
    { shape: { ...shape, distribution: "balanced", tokens: 1 }, latencyMs: 0.006 },
    { shape: { ...shape, distribution: "balanced", tokens: 2 }, latencyMs: 0.01 },
    { shape: { ...shape, distribution: "balanced", tokens: 4 }, latencyMs: 0.012 },
    { shape: { ...shape, distribution: "power_law_1.01", tokens: 2 }, latencyMs: 0.009 },
  ]);
  const q = { tokens: 2, hidden: 1024, inter: 1024, topk: 2, experts: 8, tp: 1, ep: 1, dtype: "bf16" };

  it("scales each measured point by the uniform/measured roofline-time ratio", () => {
    // 2 balanced tokens touch experts {0, 4} and {2, 6}: 4 experts, 4 pairs. Uniform: 4 pairs,
    // 8·(1 − (1 − 2/8)^2) = 3.5 experts. Expert = 3·1024·1024·2 B = 6,291,456; tokens in/out 2·1024·2·2 = 8192.
    // Memory-bound (FLOPs 4·6·1024² = 25.2 MFLOP = 25 ns at 1000 TFLOPS; bytes ≈ 3.1 µs at 8 TB/s):
    // factor = (3.5·6,291,456 + 8192) / (4·6,291,456 + 8192) = 22,028,288 / 25,174,016 = 0.875040.
    const r = moeLookup(table, q, "bf16")!;
    expect(r.adjustment!.factor).toBeCloseTo(22_028_288 / 25_174_016, 9);
    expect(r.latencyMs).toBeCloseTo(0.01 * (22_028_288 / 25_174_016), 9);
    expect(r.points).toEqual([{ shape: { ...shape, distribution: "balanced", tokens: 2 }, latencyMs: 0.01 }]);
    expect(r.extrapolated).toBe(false);
  });

  it("never goes below the family's fastest measured call", () => {
    // EP 4, 1 token: balanced puts expert 0 (1 pair) on rank 0; uniform leaves it 2/4 = 0.5 pairs on
    // 2·(1 − (1 − 2/8)) = 0.5 experts. Bytes 0.5·6,291,456 + 4096 over 6,291,456 + 4096 = 0.50033,
    // but 0.01 · 0.50033 would undercut the only (fastest) measured call, 0.01 ms: held there.
    const ep4 = syntheticTable("moe", [{ shape: { ...shape, ep: 4, distribution: "balanced", tokens: 1 }, latencyMs: 0.01 }]);
    const r = moeLookup(ep4, { ...q, ep: 4, tokens: 1 }, "bf16")!;
    expect(r.adjustment!.factor).toBeCloseTo(3_149_824 / 6_295_552, 9);
    expect(r.latencyMs).toBe(0.01);
  });

  it("measured distributions are returned as measured", () => {
    expect(moeLookup(table, { ...q, distribution: "power_law_1.01" }, "bf16")!.latencyMs).toBe(0.009);
    expect(moeLookup(table, { ...q, distribution: "balanced", routing: "grouped_8_4" }, "bf16")).toBeUndefined();
  });

  it("states the caveat of the dtype", () => {
    const t = syntheticTable("moe", [{ shape: { ...shape, distribution: "balanced", tokens: 2 }, latencyMs: 0.01 }], PEAKS);
    (t.header as { caveats?: Record<string, string> }).caveats = { bf16: "untuned" };
    expect(moeLookup(t, q, "bf16")!.caveat).toBe("untuned");
  });
});

describe("EP load imbalance under aiconfigurator's power law", () => {
  it("one rank holds everything: max/mean = 1", () => {
    expect(powerLawImbalance(64, 256, 8, 1, 1.01).maxOverMean).toBe(1);
  });

  it("1 token, top-2 over 8 experts on 8 ranks: the busiest rank has 1 of 2 pairs, mean 0.25 -> 4", () => {
    // An expert takes at most `tokens` = 1 pair, each rank holds one expert, so the max rank load is 1.
    expect(powerLawImbalance(1, 8, 2, 8, 1.2).maxOverMean).toBe(4);
  });

  it("keeps aiconfigurator's invariants: tokens·k pairs, at most `tokens` per expert; deterministic", () => {
    let seed = 1;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const c = powerLawCounts(100, 256, 8, 8, 1.01, rand);
    expect(c.reduce((s, x) => s + x, 0)).toBe(800);
    expect(Math.max(...c)).toBeLessThanOrEqual(100);
    const a = powerLawImbalance(256, 256, 8, 8, 1.01);
    expect(a.maxOverMean).toBeGreaterThan(1.1);
    expect(a.maxOverMean).toBeLessThan(2);
    expect(powerLawImbalance(256, 256, 8, 8, 1.01)).toBe(a);
  });
});
