/**
 * A row's max_num_tokens is the server's flag. SGLang divides --chunked-prefill-size among DP-attention ranks
 * (python/sglang/srt/server_args.py: with enable_dp_attention, chunked_prefill_size //= dp_size), while engine
 * settings hold per-rank limits: the conversion divides for SGLang only, and says so.
 */
import { describe, expect, it } from "vitest";
import { convertRow } from "../../lib/reconcile/convert";
import { ConfigRow } from "../../lib/reconcile/standard";

const ROW = { model: "deepseek-ai/DeepSeek-R1-0528", gpu_model: "b200", framework: "sglang", precision: "fp4", input_seq_len: "1024", output_seq_len: "1024", tensor_parallel: "8", expert_parallel: "8", concurrency: "64", max_num_tokens: "16384" };

describe("SGLang chunked prefill under DP attention", () => {
  it("DP attention over 8 ranks: 16384 // 8 = 2048 tokens per rank, stated as an assumption", () => {
    const r = convertRow(ConfigRow.parse({ ...ROW, dp_attention: "true" }));
    expect(r.engineSettings?.max_num_batched_tokens).toBe(2048);
    expect(r.assumptions.find((x) => x.what === "max_num_tokens")?.value).toBe("16384 // 8 DP-attention ranks = 2048 per rank");
  });

  it("without DP attention, or on another engine, the flag is the budget as given", () => {
    expect(convertRow(ConfigRow.parse(ROW)).engineSettings?.max_num_batched_tokens).toBe(16384);
    const trt = convertRow(ConfigRow.parse({ ...ROW, framework: "trt", dp_attention: "true" }));
    expect(trt.engineSettings?.max_num_batched_tokens).toBe(16384);
    expect(trt.assumptions.some((x) => x.what === "max_num_tokens")).toBe(false);
  });

  it("disaggregated pools of different DP sizes keep the value per rank and say why", () => {
    const row = { ...ROW, tensor_parallel: "", expert_parallel: "", disagg: "true", prefill_tp: "4", prefill_ep: "4", prefill_dp_attention: "true", prefill_num_workers: "1", decode_tp: "8", decode_ep: "8", decode_dp_attention: "true", decode_num_workers: "1" };
    const r = convertRow(ConfigRow.parse(row));
    expect(r.engineSettings?.max_num_batched_tokens).toBe(16384);
    expect(r.assumptions.find((x) => x.what === "max_num_tokens")?.why).toMatch(/pools differ/);
    const same = convertRow(ConfigRow.parse({ ...row, prefill_tp: "8", prefill_ep: "8" }));
    expect(same.engineSettings?.max_num_batched_tokens).toBe(2048);
  });
});
