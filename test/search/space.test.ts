/** Candidate generation: counts derived by hand for small spaces. */
import { describe, expect, it } from "vitest";
import { getHardware } from "../../lib/hardware/registry";
import { loadModel } from "../../lib/model/registry";
import { DEFAULT_SETTINGS } from "../../lib/search/settings";
import { aggregatedLayouts, deploymentOf, disaggregatedCount, disaggregatedLayouts, layoutId, loadLevels, poolSpaces, ratios, unitGpus, workerLayouts } from "../../lib/search/space";

const b200 = getHardware("b200");
const llama = loadModel("meta-llama/Llama-3.1-8B");
const gptoss = loadModel("openai/gpt-oss-120b");
const small = { ...DEFAULT_SETTINGS, widths: [1, 2, 4, 8], pipelineStages: [1], tokenBudgets: [0, 2048] };

describe("worker layouts", () => {
  it("a dense model splits by TP only: one layout per width", () => {
    // widths 1, 2, 4, 8 on 8 GPUs (B200 domain 8) → 4 layouts, all "tp".
    const w = workerLayouts(llama, b200, 8, small);
    expect(w.map((x) => `${x.variant}${x.width}`)).toEqual(["tp1", "tp2", "tp4", "tp8"]);
  });

  it("a MoE model adds expert parallelism and DP-attention above width 1", () => {
    // width 1: tp only (1); widths 2, 4, 8: tp, tp-ep, dp-ep (3 each) → 1 + 3·3 = 10.
    expect(workerLayouts(gptoss, b200, 8, small)).toHaveLength(10);
    // With pp ∈ {1, 2} and width·pp ≤ 8: pp 1 as above (10); pp 2 for widths 1, 2, 4 → 1 + 3 + 3 = 7; 17 in all.
    expect(workerLayouts(gptoss, b200, 8, { ...small, pipelineStages: [1, 2] })).toHaveLength(17);
    // Only 4 GPUs given: widths 1, 2, 4 → 1 + 3 + 3 = 7.
    expect(workerLayouts(gptoss, b200, 4, small)).toHaveLength(7);
  });
});

describe("deployment layouts", () => {
  const x = { ir: gptoss, hw: b200, gpus: 8, precisions: ["fp4"], speculative: [false], settings: small };

  it("aggregated: engines × precisions × workers × speculative × token budgets", () => {
    // 2 aggregated engines × 1 precision × 10 workers × 1 × 2 budgets = 40; dynamo is disaggregated → none.
    expect(aggregatedLayouts({ ...x, engines: ["vllm", "trtllm"] })).toHaveLength(40);
    expect(aggregatedLayouts({ ...x, engines: ["dynamo"] })).toHaveLength(0);
    expect(aggregatedLayouts({ ...x, engines: ["vllm"], speculative: [false, true] })).toHaveLength(40);
  });

  it("ratios: coprime prefill:decode counts whose unit fits the GPUs", () => {
    // 2-GPU prefill, 4-GPU decode workers on 8 GPUs: 2p + 4d ≤ 8 → d = 1, p ∈ {1, 2}.
    expect(ratios(4, 2, 4, 8)).toEqual([{ prefill: 1, decode: 1 }, { prefill: 2, decode: 1 }]);
    // 1-GPU workers: p + d ≤ 8, p, d ≤ 4, gcd 1: p=1: d 1–4 (4); p=2: d 1, 3 (2); p=3: d 1, 2, 4 (3); p=4: d 1, 3 (2) → 11.
    expect(ratios(4, 1, 1, 8)).toHaveLength(11);
  });

  it("disaggregated: prefill × decode × ratios, counted without building them", () => {
    const [space] = poolSpaces({ ...x, engines: ["dynamo"], gpus: 4, settings: { ...small, widths: [1, 2] } });
    // workers: width 1 (tp) and width 2 (tp, tp-ep, dp-ep) = 4; prefill entries 4 × 2 budgets = 8; decode entries 4 × 1 = 4.
    expect(space.prefill).toHaveLength(8);
    expect(space.decode).toHaveLength(4);
    // Per (prefill, decode) GPU sizes on 4 GPUs, ratios ≤ 4: (1,1): p + d ≤ 4 → (1,1) (1,2) (1,3) (2,1) (3,1) = 5;
    // (1,2): p + 2d ≤ 4 → (1,1) (2,1) = 2; (2,1): 2p + d ≤ 4 → (1,1) (1,2) = 2; (2,2): 2p + 2d ≤ 4 → (1,1) = 1.
    // Prefill 1-GPU entries: 1 worker × 2 budgets = 2; 2-GPU: 3 × 2 = 6. Decode 1-GPU: 1; 2-GPU: 3.
    // Σ = 2·1·5 + 2·3·2 + 6·1·2 + 6·3·1 = 10 + 12 + 12 + 18 = 52.
    expect(disaggregatedCount(space, 4, 4)).toBe(52);
    expect(disaggregatedLayouts(space, 4, 4)).toHaveLength(52);
  });

  it("load levels stop at what the KV cache holds", () => {
    expect(loadLevels([1, 2, 4, 8, 16], 10)).toEqual([1, 2, 4, 8]);
    expect(loadLevels([1, 2, 4], 0)).toEqual([]);
  });

  it("a candidate fills the GPUs with whole replicas or units", () => {
    const agg = aggregatedLayouts({ ...x, engines: ["vllm"] }).find((l) => l.worker!.width === 2 && l.worker!.variant === "tp" && l.tokenBudget === 0)!;
    expect(agg.id).toBe("vllm fp4 TP2 tokdef");
    // 8 GPUs / 2 per replica = 4 replicas × 64 clients = 256.
    expect(deploymentOf({ layout: agg, concurrency: 64 }, 8)).toEqual({ units: 4, gpusPerUnit: 2, gpusUsed: 8, concurrency: 256 });
    const l = { engine: "dynamo", profile: "dynamo-trt", mode: "disaggregated" as const, precision: "fp4", speculative: false, tokenBudget: 0,
      prefill: { width: 2, pp: 1, variant: "tp" as const }, decode: { width: 1, pp: 1, variant: "tp" as const }, ratio: { prefill: 1, decode: 2 } };
    const dis = { ...l, id: layoutId(l) };
    expect(dis.id).toBe("dynamo fp4 P[TP2]×1 D[TP1]×2 tokdef");
    // A unit: 1·2 + 2·1 = 4 GPUs; 10 GPUs hold 2 units (8 used): 2 prefill and 4 decode workers, 2 × 32 clients.
    expect(unitGpus(dis)).toBe(4);
    expect(deploymentOf({ layout: dis, concurrency: 32 }, 10)).toEqual({ units: 2, gpusPerUnit: 4, gpusUsed: 8, concurrency: 64, prefillWorkers: 2, decodeWorkers: 4 });
  });

  it("an unknown engine is an error naming the known ones", () => {
    expect(() => aggregatedLayouts({ ...x, engines: ["tgi"] })).toThrow(/--engines: "tgi" .*vllm, sglang, trtllm, dynamo/);
  });
});
