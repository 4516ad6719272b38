/**
 * The basis of real predictions: resolved benchmark rows classified among the committed calibration
 * profiles, with a stated fit coverage (what the profiles saw) so the expected class follows by hand.
 */
import { describe, expect, it } from "vitest";
import { listProfiles } from "../../lib/calibration/profile";
import { resolveRow } from "../../lib/reconcile/predict";
import { ConfigRow } from "../../lib/reconcile/standard";
import { classify, classKey, type BasisContext } from "../../lib/uncertainty/basis";
import { widthAttribution } from "../../lib/uncertainty/attribution";
import { residualClasses, type ResidualRecord } from "../../lib/uncertainty/widths";

const B200_VLLM = { model: "openai/gpt-oss-120b", gpu_model: "b200", framework: "vllm", precision: "fp4", input_seq_len: "1024", output_seq_len: "1024", tensor_parallel: "1", concurrency: "4" };
const H200_TRT_OFFLINE = { model: "meta-llama/Llama-3.1-8B", gpu_model: "NVIDIA H200 SXM 141GB", framework: "trtllm", precision: "fp8", input_seq_len: "128", output_seq_len: "128", tensor_parallel: "1", request_rate: "inf", num_requests: "3000", engine_version: "0.17" };
const runOf = (raw: Record<string, string>, calibration?: "none") => resolveRow(ConfigRow.parse(raw), { calibration }).run;

/** Every committed profile saw only GPT-OSS-120B under a closed loop (the InferenceMAX runs). */
const CTX: BasisContext = { profiles: listProfiles(), coverage: () => ({ models: ["openai/gpt-oss-120b"], families: ["gpt_oss"], loads: ["closed"] }) };

describe("classify", () => {
  it("a row like the fit: its own profile, same model and load, kernel tables", () => {
    const b = classify(runOf(B200_VLLM), CTX);
    expect(b).toMatchObject({ calibration: "fitted", efficiencyFrom: "b200-vllm", engineFrom: "b200-vllm", hardware: "same", engine: "same", model: "same model", load: "seen", kernels: "tables" });
    expect(b.phrase).toBe("fitted profile b200-vllm, same model, closed load seen, kernel tables");
  });

  it("a transfer names which of hardware and engine differ, and what the fit did not see", () => {
    const run = runOf(H200_TRT_OFFLINE);
    const b = classify(run, CTX);
    // No h200 profile: efficiency from the nearest NVIDIA chip's profile (same vendor: "other chip"); the engine
    // trtllm-0.17 is in TensorRT-LLM's family (data/policy/calibration.json engine_families), so its times come
    // from the b200-trtllm profile: "same family".
    expect(b.calibration).toBe("transferred");
    expect(b.efficiencyFrom).toBe(run.calibration!.name.split(" ")[0]);
    expect(b).toMatchObject({ hardware: "other chip", engine: "same family", engineFrom: "b200-trtllm", model: "other family", load: "unseen", kernels: "tables" });
    expect(b.phrase).toMatch(/^transferred: hardware h200 ← \S+, engine trtllm-0\.17 ← \S+; model family llama not in the fit, offline load not in the fit, kernel tables$/);
  });

  it("a profile scoped to another expert dtype is still that transfer: DeepSeek-R1 FP8 experts on H200 with SGLang", () => {
    // The profiles fitted moe_compute on MXFP4 experts (scope.expert_dtypes), so resolution leaves it out for FP8
    // experts and names the calibration "… (without moe_compute)"; the distances are those of the transfer itself:
    // efficiency from h100-sxm-vllm (nearest Hopper chip: "other chip"), engine times from vLLM's family.
    const run = runOf({ model: "deepseek-ai/DeepSeek-R1-0528", gpu_model: "h200", framework: "sglang", precision: "fp8", input_seq_len: "1024", output_seq_len: "1024", tensor_parallel: "8", concurrency: "16" });
    expect(run.calibration!.name).toMatch(/ \(without moe_compute\)$/);
    const b = classify(run, CTX);
    expect(b).toMatchObject({ calibration: "transferred", efficiencyFrom: "h100-sxm-vllm", hardware: "other chip", engine: "same family", model: "other family" });
    expect(b.phrase).toMatch(/^transferred: hardware h200 ← h100-sxm, engine sglang ← vllm; model family deepseek_v3 not in the fit, .*moe_compute at its default \(other expert dtype\)$/);
  });

  it("a chip with no fitted relative in its kernel family keeps the default efficiencies: hardware uncalibrated", () => {
    // A100 is Ampere; every fitted profile is Hopper, Blackwell or CDNA (data/policy/calibration.json kernel_families),
    // so the transfer carries only engine times (from the vLLM profiles) and the efficiency factors stay at defaults.
    const run = runOf({ ...B200_VLLM, gpu_model: "a100-sxm", model: "meta-llama/Llama-3.1-8B", precision: "bf16" });
    expect(run.calibration!.name).toMatch(/^defaults \(efficiency\) \+ /);
    const b = classify(run, CTX);
    expect(b).toMatchObject({ calibration: "transferred", hardware: "uncalibrated", engine: "same" });
    expect(b.phrase).toMatch(/^transferred: hardware a100-sxm at default efficiencies \(no fitted chip of its kernel family\);/);
  });

  it("no calibration, an unknown calibration and unrecorded coverage each get their own class", () => {
    expect(classify(runOf(B200_VLLM, "none"), CTX)).toMatchObject({ calibration: "none", hardware: "uncalibrated", engine: "uncalibrated" });
    const other = { ...runOf(B200_VLLM), calibration: { name: "my-profile", description: "", values: {} } };
    expect(classify(other, CTX)).toMatchObject({ calibration: "other", hardware: "unknown", model: "unknown" });
    const b = classify(runOf(B200_VLLM), { ...CTX, coverage: () => undefined });
    expect(b).toMatchObject({ model: "unknown", load: "unknown" });
    expect(b.phrase).toMatch(/fit coverage not recorded/);
  });

  it("names its class at each fallback level", () => {
    const b = classify(runOf(B200_VLLM), CTX);
    expect(classKey(b, ["hardware", "kernels"])).toBe("hardware=same; kernels=tables");
    expect(classKey(b, [])).toBe("any basis");
  });
});

describe("width attribution", () => {
  it("shares the width among the distances (Shapley): each one's narrowing averaged over the orders of closing them", () => {
    const basis = { profile: "transferred", hardware: "other chip", kernels: "roofline", model: "same model", engine: "same", load: "seen" };
    const spread = (x: number) => Array.from({ length: 20 }, (_, i) => (i % 2 ? x : -x));
    const rec = (b: typeof basis, xs: number[]): ResidualRecord[] => xs.map((x, i) => ({ row: `${b.profile}${b.hardware}${b.kernels}${i}`, groups: {}, split: "t", basis: b, metric: "throughput", predicted: 1, actual: Math.exp(x) }));
    // Widths w(x) = e^x − e^−x: far on both (±0.5) 1.0422; tables only (±0.1) 0.2003; same hardware only (±0.3) 0.6092;
    // like the fit (fitted profile, ±0.05) 0.1000.
    const classes = residualClasses([
      ...rec(basis, spread(0.5)), ...rec({ ...basis, kernels: "tables" }, spread(0.1)), ...rec({ ...basis, hardware: "same" }, spread(0.3)),
      ...rec({ ...basis, profile: "b200-vllm", hardware: "same", kernels: "tables" }, spread(0.05)),
    ]);
    const w = (x: number) => Math.exp(x) - Math.exp(-x);
    const [top, next] = widthAttribution(basis, classes);
    // kernels: ½[(w.5 − w.1) + (w.3 − w.05)] = ½[0.8419 + 0.5092] = 0.6756; hardware: ½[(w.5 − w.3) + (w.1 − w.05)] = ½[0.4330 + 0.1003] = 0.2667
    expect(top.dimension).toBe("kernels");
    expect(top.assumption).toMatch(/roofline/);
    expect(top.share).toBeCloseTo(((w(0.5) - w(0.1)) + (w(0.3) - w(0.05))) / 2, 9);
    expect(next.dimension).toBe("hardware");
    expect(next.share).toBeCloseTo(((w(0.5) - w(0.3)) + (w(0.1) - w(0.05))) / 2, 9);
    // The shares add up to the width minus the width of a request like the fit.
    expect(top.share + next.share).toBeCloseTo(w(0.5) - w(0.05), 9);
    expect(top.closed.throughput).toBeCloseTo(w(0.1), 9);
  });
});
