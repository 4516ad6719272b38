/** Wide expert parallelism by hand: all-to-all bytes, link time inside and across NVLink domains, the engines' choice, EPLB and two-batch overlap. */
import { describe, expect, it } from "vitest";
import { defaultEfficiency } from "../../lib/calibration/efficiency";
import { allToAllSeconds } from "../../lib/cost/all-to-all";
import { MOE_SETTINGS, resolveExpertParallel } from "../../lib/cost/expert-parallel";
import { bytesPerElement } from "../../lib/core/dtypes";
import { getEngine, memoryPolicyOf } from "../../lib/engine/profile";
import { getHardware } from "../../lib/hardware/registry";
import { loadModel } from "../../lib/model/registry";
import { memoryReport } from "../../lib/parallel/memory";
import { ParallelPlan, simplePlan, type ParallelPlanInput } from "../../lib/parallel/plan";
import { estimate } from "../../lib/run/estimate";
import { StepModel } from "../../lib/step/step-model";

const MODEL = "deepseek-ai/DeepSeek-V3";
const ir = loadModel(MODEL);
const eff = defaultEfficiency();

/** DP-attention 8 + EP 8 with the MoE exchange set in the plan. */
function dpPlan(width: number, moe: Record<string, unknown>): ParallelPlanInput {
  const p = simplePlan({ tp: width, ep: width, dpAttention: true });
  const phase = { ...p.decode, moe: { ...p.decode.moe, ...moe } } as typeof p.decode;
  return { ...p, prefill: phase, decode: phase };
}

describe("all-to-all dispatch and combine bytes = local tokens × top-k × hidden × bytes per element", () => {
  const e = estimate({ model: MODEL, hardware: "h200", engine: "sglang", plan: dpPlan(8, { exchange: "all_to_all", a2a: "low_latency" }), phase: "decode", batch: 64, seqLen: 1024, useKernelTables: false, calibration: "none" });
  const find = (n: string) => e.step.ops.find((o) => o.op.name.startsWith(n))!.op;

  it("DeepEP: FP8 dispatch with a 4-byte scale per 128 channels, BF16 combine", () => {
    // 64 tokens over 8 DP ranks = 8 local tokens, each sent to its 8 experts: 64 copies of 7168 values.
    // Dispatch: 64 × 7168 × (1 + 4/128) = 458,752 × 1.03125 = 473,088 B; combine: 458,752 × 2 = 917,504 B.
    expect(MOE_SETTINGS.dispatch_bytes.deepep.value).toBe(1 + 4 / 128);
    expect(find("MoE dispatch").comm).toMatchObject({ op: "all_to_all", bytes: 473_088, gpus: 8 });
    expect(find("MoE combine").comm).toMatchObject({ op: "all_to_all", bytes: 917_504, gpus: 8 });
    // No all-gather / reduce-scatter when the tokens travel by all-to-all.
    expect(e.step.ops.some((o) => o.op.name.includes("all-gather") && o.op.layerType === "moe")).toBe(false);
  });

  it("TensorRT-LLM MNNVL with NVFP4 experts dispatches after quantisation: 0.5 + 1/16 bytes per value", () => {
    const plan = { ...dpPlan(8, { exchange: "all_to_all", a2a: "mnnvl" }), weights: { experts: "nvfp4" as const } };
    const x = estimate({ model: MODEL, hardware: "gb200", engine: "trtllm", plan, phase: "decode", batch: 64, seqLen: 1024, useKernelTables: false, calibration: "none" });
    const d = x.step.ops.find((o) => o.op.name.startsWith("MoE dispatch"))!.op;
    expect(d.comm!.bytes).toBe(458_752 * 0.5625); // 258,048 B
  });
});

describe("all-to-all link time", () => {
  const h200 = getHardware("h200");
  const gb200 = getHardware("gb200");
  const c = eff.comm_bandwidth.value; // 0.75
  const bytes = 1e8;

  it("EP 8 inside one HGX node: 7/8 of the copies over NVLink (450 GB/s), none outside", () => {
    // 10 µs + 1e8 × 7/8 / (450e9 × 0.75) = 10 µs + 259.26 µs.
    expect(allToAllSeconds(bytes, 8, { kernels: "low_latency", topk: 8 }, h200, c)).toBeCloseTo(10e-6 + (bytes * 7) / 8 / (450e9 * c), 12);
  });

  it("EP 16 over two HGX nodes: normal kernels send a token once per remote node, low-latency once per expert", () => {
    // Copies: 7/16 to the 7 other GPUs of the node (NVLink), 8/16 to the other node (scale-out 50 GB/s, 5 µs).
    // Normal: per token, the expected remote copies are 8 × 8/16 = 4; distinct remote nodes (n = 2): 1 × (1 − (1/2)^8) = 0.99609;
    // dedup = 0.99609 / 4 = 0.24902. Scale-out bytes 1e8 × 0.5 × 0.24902 = 12.45 MB → 332.0 µs; NVLink 1e8 × 7/16 / 337.5 GB/s = 129.6 µs.
    const dedup = (1 - Math.pow(0.5, 8)) / 4;
    const normal = 5e-6 + Math.max((bytes * 7) / 16 / (450e9 * c), (bytes * 0.5 * dedup) / (50e9 * c));
    expect(allToAllSeconds(bytes, 16, { kernels: "normal", topk: 8 }, h200, c)).toBeCloseTo(normal, 12);
    // Low-latency: every remote copy crosses: 1e8 × 0.5 / 37.5 GB/s = 1333 µs.
    expect(allToAllSeconds(bytes, 16, { kernels: "low_latency", topk: 8 }, h200, c)).toBeCloseTo(5e-6 + (bytes * 0.5) / (50e9 * c), 12);
  });

  it("an NVL72 rack is one NVLink domain: EP 32 on GB200 stays at 900 GB/s", () => {
    // 10 µs + 1e8 × 31/32 / (900e9 × 0.75).
    expect(allToAllSeconds(bytes, 32, { kernels: "low_latency", topk: 8 }, gb200, c)).toBeCloseTo(10e-6 + (bytes * 31) / 32 / (900e9 * c), 12);
  });
});

describe("which exchange an engine uses (data/engines expert_parallel)", () => {
  const plan = ParallelPlan.parse(simplePlan({ tp: 8, ep: 8, dpAttention: true }));
  const wide = ParallelPlan.parse(simplePlan({ tp: 32, ep: 32, dpAttention: true }));
  const of = (engine: string, hw: string, p: ParallelPlan, role: "aggregated" | "prefill" | "decode", ph: "prefill" | "decode") =>
    resolveExpertParallel(ir, p, getEngine(engine), getHardware(hw), role).plan[ph].moe;

  it("SGLang: DP-attention's all-gather when aggregated, DeepEP in disaggregated pools (normal prefill, low-latency decode)", () => {
    expect(of("sglang", "h200", plan, "aggregated", "decode").exchange).toBe("all_gather");
    expect(of("sglang", "gb200", wide, "decode", "decode")).toMatchObject({ exchange: "all_to_all", a2a: "low_latency", redundant: 0, overlap: false });
    expect(of("sglang", "gb200", plan, "prefill", "prefill")).toMatchObject({ exchange: "all_to_all", a2a: "normal" });
  });

  it("TensorRT-LLM: MNNVL all-to-all only on a multi-node NVLink fabric (GB200), all-gather on an HGX node", () => {
    expect(of("trtllm", "gb200", plan, "aggregated", "decode")).toMatchObject({ exchange: "all_to_all", a2a: "mnnvl" });
    expect(of("dynamo-trt", "gb200", wide, "decode", "decode")).toMatchObject({ exchange: "all_to_all", a2a: "mnnvl" });
    expect(of("trtllm", "b200", plan, "aggregated", "decode").exchange).toBe("all_gather");
  });

  it("a plan's own choice wins over the engine's rule", () => {
    const own = ParallelPlan.parse(dpPlan(8, { exchange: "all_to_all", a2a: "normal", redundant: 32, overlap: true }));
    expect(of("sglang", "h200", own, "aggregated", "decode")).toMatchObject({ exchange: "all_to_all", a2a: "normal", redundant: 32, overlap: true });
  });
});

describe("EPLB and two-batch overlap", () => {
  it("redundant experts even the ranks' load (imbalance 1) and cost (E + r)/E of the experts' weights", () => {
    const base = estimate({ model: MODEL, hardware: "h200", engine: "sglang", plan: dpPlan(8, {}), phase: "decode", batch: 512, seqLen: 1024, useKernelTables: false, calibration: "none" });
    const eplb = estimate({ model: MODEL, hardware: "h200", engine: "sglang", plan: dpPlan(8, { redundant: 32 }), phase: "decode", batch: 512, seqLen: 1024, useKernelTables: false, calibration: "none" });
    const moe = (e: typeof base) => e.step.ops.find((o) => o.op.name === "experts")!.op.moe!;
    expect(moe(base).imbalance).toBeGreaterThan(1.05);
    expect(moe(eplb).imbalance).toBe(1);
    // Routed-expert weights per GPU: 58 layers × 256 experts × 3 · 2048 · 7168 params × bytes(fp8-block) / 8 EP ranks; with
    // 32 redundant slots 32/256 more of them.
    const experts = (58 * 256 * 3 * 2048 * 7168 * bytesPerElement("fp8-block")) / 8;
    expect(eplb.memory.weightsPerGpu.value - base.memory.weightsPerGpu.value).toBeCloseTo((experts * 32) / 256, -3);
    const policy = memoryPolicyOf(getEngine("sglang"));
    const p = ParallelPlan.parse(dpPlan(8, { redundant: 32 }));
    expect(memoryReport(ir, getHardware("h200"), p, p.decode, policy).weightsPerGpu.value).toBeCloseTo(eplb.memory.weightsPerGpu.value, 0);
  });

  it("two-batch overlap hides the all-to-all behind the other micro-batch's compute: step GPU time = max(rest, all-to-all)", () => {
    expect(StepModel.overlapped(10, 4)).toBe(10);
    expect(StepModel.overlapped(3, 4)).toBe(4);
    const run = (overlap: boolean) => estimate({ model: MODEL, hardware: "h200", engine: "sglang", plan: dpPlan(8, { exchange: "all_to_all", a2a: "low_latency", overlap }), phase: "decode", batch: 256, seqLen: 1024, useKernelTables: false, calibration: "none" });
    const off = run(false);
    const on = run(true);
    const a2a = off.step.ops.filter((o) => o.op.comm?.a2a).reduce((s, o) => s + o.op.layers * o.time.seconds, 0);
    expect(a2a).toBeGreaterThan(0);
    // Here the rest of the step is longer than the all-to-alls: they vanish from the step.
    expect(on.step.gpu).toBeCloseTo(off.step.gpu - a2a, 12);
  });
});
