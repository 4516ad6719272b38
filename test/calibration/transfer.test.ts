/**
 * What a prediction takes from a calibration it was not fitted for: efficiency factors only from a chip
 * of the same kernel family (data/policy/calibration.json kernel_families), moe_compute only for the
 * expert dtype it was fitted on (profile scope), and an engine that ignores a family's sliding window
 * runs that model as full attention.
 */
import { describe, expect, it } from "vitest";
import { calibrationFor, clearCalibrationCache, kernelFamily, nearestProfiles } from "../../lib/calibration/transfer";
import type { CalibrationFile } from "../../lib/calibration/profile";
import { loadCalibration, profilePath } from "../../lib/calibration/profile";
import { getEngine } from "../../lib/engine/profile";
import { resolveRun } from "../../lib/run/resolve";
import { simplePlan } from "../../lib/parallel/plan";

describe("calibration transfer by kernel family", () => {
  it("maps chips to the family of their instruction set", () => {
    expect(kernelFamily("a100-sxm")).toBe("ampere-ada"); // sm_80
    expect(kernelFamily("l40s")).toBe("ampere-ada"); // sm_89
    expect(kernelFamily("h200")).toBe("hopper"); // sm_90
    expect(kernelFamily("gb200")).toBe("blackwell"); // sm_100
    expect(kernelFamily("mi300x")).toBe("cdna"); // gfx942
  });

  it("a Hopper chip without a fit takes H100's efficiency factors; an Ampere chip keeps the defaults", () => {
    clearCalibrationCache();
    const h200 = calibrationFor("h200", "trtllm")!;
    // Efficiency: the only fitted sm_90 chip is h100-sxm (vllm); engine times: trtllm's own B200 profile (its family, rank 0).
    expect(h200.name).toBe("h100-sxm-vllm (efficiency) + b200-trtllm (engine) → h200/trtllm");
    const h100vllm = loadCalibration(profilePath("h100-sxm", "vllm"));
    expect(h200.values.memory_bandwidth).toBe(h100vllm.values.memory_bandwidth);
    const a100 = calibrationFor("a100-sxm", "trtllm")!;
    // No fitted sm_80/86/89 chip: no efficiency factor at all, only the engine's host times.
    expect(a100.name).toBe("defaults (efficiency) + b200-trtllm (engine) → a100-sxm/trtllm");
    // b200-trtllm fits memory_bandwidth, moe_compute, moe_routing_skew, kernel_gap_graph_us (chip and kernel factors) and two host times.
    expect(Object.keys(a100.values).sort()).toEqual(["request_overhead_ms", "step_overhead_ms"]);
    expect(a100.values.memory_bandwidth).toBeUndefined();
  });
});

describe("whose engine host times a transfer takes", () => {
  const prof = (hardware: string, engine: string) => ({ name: `${hardware}-${engine}`, hardware, engine, parameters: {} }) as unknown as CalibrationFile;
  const all = [prof("mi355x", "atom"), prof("b200", "trtllm"), prof("h100-sxm", "vllm")];
  it("an in-family engine fitted on the same vendor first, then any engine on the same vendor before an in-family one on another", () => {
    // vLLM on B200 with H100 vLLM fitted: vllm itself (rank 0, NVIDIA).
    expect(nearestProfiles(all, "b200", "vllm")!.byEngine!.name).toBe("h100-sxm-vllm");
    // Without any vLLM profile: ATOM is vLLM's family (rank 2) but fitted on AMD (+ engine_other_vendor 10 = 12);
    // TensorRT-LLM is outside the family (10) on NVIDIA (+ 0): TensorRT-LLM's host times.
    expect(nearestProfiles(all.slice(0, 2), "b200", "vllm")!.byEngine!.name).toBe("b200-trtllm");
    // SGLang on MI355X: ATOM (rank 2, same vendor) before B200 TensorRT-LLM (10 + 10) and H100 vLLM (1 + 10).
    expect(nearestProfiles(all, "mi355x", "sglang")!.byEngine!.name).toBe("mi355x-atom");
    // ATOM on MI300X without its own profile: vLLM (rank 1 + 10 = 11) before TensorRT-LLM (10 + 10).
    expect(nearestProfiles(all.slice(1), "mi300x", "atom")!.byEngine!.name).toBe("h100-sxm-vllm");
  });
});

describe("moe_compute applies only to the expert dtype it was fitted on", () => {
  const run = (model: string, precision?: "fp8") =>
    resolveRun({
      model, hardware: "b200", engine: "trtllm",
      aggregated: { workers: 1, plan: simplePlan({ tp: 8, ep: 8, weights: precision ? { experts: precision, ffn: precision, attention: precision } : undefined }) },
    });
  it("GPT-OSS (MXFP4 experts, as fitted) keeps it; Mixtral with FP8 experts does not", () => {
    const fitted = loadCalibration(profilePath("b200", "trtllm"));
    expect(fitted.expertDtypes).toEqual(["mxfp4"]);
    const gptoss = run("openai/gpt-oss-120b");
    expect(gptoss.calibration?.values.moe_compute).toBe(fitted.values.moe_compute);
    const mixtral = run("mistralai/Mixtral-8x7B-v0.1", "fp8");
    expect(mixtral.calibration?.name).toBe("b200-trtllm (without moe_compute)");
    expect(mixtral.calibration?.values.moe_compute).toBeUndefined();
    expect(mixtral.efficiency.moe_compute.value).toBe(0.5); // data/efficiency/defaults.json moe_compute
    expect(mixtral.calibration?.values.memory_bandwidth).toBe(fitted.values.memory_bandwidth);
  });
  it("the MoE shape parameters (moe_overlap, moe_routing_skew) go with moe_compute: kept for GPT-OSS, defaults for FP8 Mixtral", () => {
    const fitted = loadCalibration(profilePath("b200", "vllm"));
    expect(fitted.values.moe_routing_skew).toBeGreaterThan(0); // fitted on GPT-OSS-120B (data/calibration/b200-vllm.json)
    expect(fitted.values.moe_overlap).toBeLessThan(1);
    const on = (model: string, precision?: "fp8") =>
      resolveRun({
        model, hardware: "b200", engine: "vllm",
        aggregated: { workers: 1, plan: simplePlan({ tp: 8, ep: 8, weights: precision ? { experts: precision, ffn: precision, attention: precision } : undefined }) },
      });
    const gptoss = on("openai/gpt-oss-120b");
    expect(gptoss.efficiency.moe_routing_skew.value).toBe(fitted.values.moe_routing_skew);
    expect(gptoss.efficiency.moe_overlap.value).toBe(fitted.values.moe_overlap);
    const mixtral = on("mistralai/Mixtral-8x7B-v0.1", "fp8");
    expect(mixtral.efficiency.moe_routing_skew.value).toBe(0); // data/efficiency/defaults.json: uniform routing
    expect(mixtral.efficiency.moe_overlap.value).toBe(1); // the ideal roofline
    expect(mixtral.calibration?.description).toMatch(/moe_compute, moe_overlap, moe_routing_skew not applied/);
  });
});

describe("an engine that ignores a family's sliding window", () => {
  const windows = (engine: string) => {
    const r = resolveRun({ model: "mistralai/Mistral-7B-v0.1", hardware: "h100-sxm", engine, aggregated: { workers: 1, plan: simplePlan({ tp: 1 }) } });
    return { windows: [...new Set(r.model.layers.filter((l) => l.attention).map((l) => l.attention!.window))], assumption: r.assumptions.find((a) => a.what === "sliding window") };
  };
  it("TensorRT-LLM 0.17 runs Mistral-7B v0.1 (sliding_window 4096 in its config) as full attention; vLLM keeps the window", () => {
    expect(getEngine("trtllm", "0.17").sliding_window_ignored?.families).toContain("mistral");
    const trt = windows("trtllm-0.17");
    expect(trt.windows).toEqual([null]);
    expect(trt.assumption?.why).toMatch(/max_attention_window_size/);
    const vllm = windows("vllm");
    expect(vllm.windows).toEqual([4096]);
    expect(vllm.assumption).toBeUndefined();
  });
});
