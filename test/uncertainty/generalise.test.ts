/**
 * The generalisation machinery: which profiles a held-out fold keeps, refits or drops; the calibration
 * a held-out row then gets; a real (tiny) refit; tasks on worker threads giving the same numbers as
 * this thread; out-of-fold residual records; and the interval columns of `predict`.
 */
import { describe, expect, it } from "vitest";
import { listProfiles, type CalibrationFile } from "../../lib/calibration/profile";
import { CALIBRATION_PARAMETERS, type ParamName } from "../../lib/calibration/parameters";
import { calibrationAmong, calibrationSignature, engineGroup, planFold, trainingRows, type TrainedProfile } from "../../lib/reconcile/generalise";
import { outOfFoldRecords } from "../../lib/reconcile/generalise-run";
import { refitProfile, runTasks, subsample, type PredictTask } from "../../lib/reconcile/generalise-tasks";
import { predictCsvRow } from "../../lib/reconcile/predict";
import { PREDICTED_COLUMNS } from "../../lib/reconcile/standard";
import { INTERVAL_COLUMNS } from "../../lib/uncertainty/interval";

const profiles = listProfiles();
const byName = (n: string) => profiles.find((p) => p.name === n)!;
const B200_VLLM_ROW = { model: "openai/gpt-oss-120b", gpu_model: "b200", framework: "vllm", precision: "fp4", input_seq_len: "1024", output_seq_len: "1024", tensor_parallel: "1", expert_parallel: "1", concurrency: "4" };

/** A trained profile whose rows carry the given models (labels only; no rows are simulated). */
function trained(file: CalibrationFile, models: string[]): TrainedProfile {
  return { file, rows: [], labels: models.map((m) => ({ groups: { model: m, engine: file.engine!, gpu: file.hardware!, vendor: "NVIDIA" }, family: m.split("-")[0], load: "closed" })) };
}

describe("planning a held-out fold", () => {
  it("keeps a profile that never saw the group, drops one that saw only it, refits one that saw it among others", () => {
    const t = [trained(byName("b200-vllm"), ["x", "x"]), trained(byName("b200-trtllm"), ["x", "y", "y"]), trained(byName("h100-sxm-vllm"), ["y"])];
    const plan = planFold("leave-one-model-out", "model", "x", t);
    expect(plan.dropped).toEqual(["b200-vllm"]);
    expect(plan.refit.map((r) => [r.profile.name, r.remaining])).toEqual([["b200-trtllm", 2]]);
    expect(plan.kept.map((p) => p.name)).toEqual(["h100-sxm-vllm"]);
    // What each remaining profile saw: only the rows left (model y).
    expect(plan.coverage.get("b200-trtllm")!.models).toEqual(["y"]);
    expect(plan.coverage.has("b200-vllm")).toBe(false);
  });

  it("gives a held-out row its own profile when one is left, else the transfer, else none", () => {
    expect(calibrationAmong(profiles, "b200", "vllm", "test")!.name).toBe("b200-vllm");
    const rest = profiles.filter((p) => p.name !== "b200-vllm");
    expect(calibrationAmong(rest, "b200", "vllm", "test")!.name).toMatch(/→ b200\/vllm$/);
    expect(calibrationAmong([], "b200", "vllm", "test")).toBeUndefined();
    expect(calibrationSignature(undefined)).toBe("none");
    expect(engineGroup("trtllm-0.17")).toBe("trtllm");
  });

  it("refits a profile on the rows outside the group, from the defaults, within its parameters' bounds", () => {
    const p = byName("b200-vllm");
    const t = trainingRows(p);
    expect(t.rows.length).toBe(p.data.configurations); // 56: every configuration it was fitted on
    expect(subsample([1, 2, 3, 4, 5, 6], 3)).toEqual([1, 3, 5]); // every 2nd of 6
    const r = refitProfile({ kind: "refit", profile: p, by: "model", group: "no-such-model", maxEvals: 3, limit: 2 });
    expect(r.name).toBe("b200-vllm");
    expect(r.data.configurations).toBe(2);
    expect(r.notes).toMatch(/refitted without model no-such-model .* on 2 configurations/);
    for (const [k, v] of Object.entries(r.parameters)) {
      const b = CALIBRATION_PARAMETERS[k as ParamName];
      expect(v.value).toBeGreaterThanOrEqual(b.min);
      expect(v.value).toBeLessThanOrEqual(b.max);
    }
  });

  it("predicts on worker threads exactly as in this thread", async () => {
    const cal = byName("b200-vllm");
    const task: PredictTask = { kind: "predict", raw: B200_VLLM_ROW, calibration: { name: cal.name, values: Object.fromEntries(Object.entries(cal.parameters).map(([k, v]) => [k, v.value])), description: "test" } };
    const none: PredictTask = { ...task, calibration: null };
    const local = await runTasks([task, none], 1, () => undefined);
    const seen: number[] = [];
    const threads = await runTasks([task, none], 2, (i) => seen.push(i));
    expect(threads).toEqual(local);
    expect(seen.sort()).toEqual([0, 1]);
    const [a, b] = local.map((r) => (r.kind === "predict" ? r.metrics!.throughput! : NaN));
    expect(a).toBeGreaterThan(0);
    expect(a).not.toBe(b); // the calibration reached the worker
  });
});

describe("out-of-fold residuals", () => {
  it("one record per configuration and metric of a profile's out-of-fold file, classed as the fitted profile", () => {
    const t = trainingRows(byName("h100-sxm-vllm"));
    const recs = outOfFoldRecords(t, new Map());
    // 43 configurations × 4 metrics of the file (output throughput needs the dataset's rows: none given here).
    expect(recs.length).toBe(43 * 4);
    expect(new Set(recs.map((r) => r.basis.profile))).toEqual(new Set(["h100-sxm-vllm"]));
    expect(recs[0].basis).toMatchObject({ hardware: "same", engine: "same", model: "same model", load: "seen", kernels: "tables" });
    expect(recs[0].groups).toMatchObject({ model: "openai/gpt-oss-120b", engine: "vllm", gpu: "h100-sxm", vendor: "NVIDIA" });
  });
});

describe("predict's interval columns", () => {
  it("are listed in PREDICTED_COLUMNS in the order the uncertainty stage names them", () => {
    const i = PREDICTED_COLUMNS.indexOf("predicted_throughput_per_gpu_p10" as (typeof PREDICTED_COLUMNS)[number]);
    expect(PREDICTED_COLUMNS.slice(i, i + INTERVAL_COLUMNS.length)).toEqual(INTERVAL_COLUMNS);
  });

  it("bracket each prediction (symmetric widths: p10 < point < p90) and name the basis", () => {
    const out = predictCsvRow(B200_VLLM_ROW);
    expect(out.error_message).toBe("");
    expect(out.prediction_basis).toBe("fitted profile b200-vllm, same model, closed load seen, kernel tables");
    for (const c of ["predicted_throughput_per_gpu", "predicted_output_throughput_per_gpu", "predicted_ttft_sec", "predicted_tpot_sec", "predicted_e2e_latency_sec"]) {
      const [lo, v, hi] = [Number(out[`${c}_p10`]), Number(out[c]), Number(out[`${c}_p90`])];
      expect(lo, c).toBeLessThan(v);
      expect(hi, c).toBeGreaterThan(v);
      // Symmetric in ln: p10 × p90 = point² (exp(−a) · exp(a) = 1).
      expect(lo * hi).toBeCloseTo(v * v, 6 - Math.round(Math.log10(v * v)));
    }
  });
});
