/** Every DeepSeek-R1 layout of the kinds public benchmarks run predicts without error (standard-CSV rows through predictCsvRow). */
import { describe, expect, it } from "vitest";
import { predictCsvRow } from "../../lib/reconcile/predict";
import { LAYOUTS } from "./layouts";

describe("DeepSeek-R1 layouts (SGLang, TensorRT-LLM, Dynamo; TP 8; DP-attention + EP; disaggregated wide-EP on NVL72 and MI355X)", () => {
  for (const { name, row } of LAYOUTS) {
    it(name, () => {
      const out = predictCsvRow(row);
      expect(out.error_message ?? "").toBe("");
      // A prediction, not an empty cell: positive, finite headline numbers.
      for (const c of ["predicted_throughput_per_gpu", "predicted_ttft_sec", "predicted_tpot_sec", "predicted_e2e_latency_sec"]) {
        expect(Number(out[c])).toBeGreaterThan(0);
        expect(Number.isFinite(Number(out[c]))).toBe(true);
      }
    }, 120_000);
  }

  it("the table covers every kind the issue lists", () => {
    const names = LAYOUTS.map((l) => l.name).join("\n");
    for (const kind of [/SGLang/, /TensorRT-LLM/, /Dynamo/, /TP 8/, /DP-attention 8 \+ EP 8/, /GB200 NVL72 .*wide-EP/, /MI355X .*disagg/, /MTP/]) expect(names).toMatch(kind);
  });
});
