/** Spearman's rank correlation and measured points, by hand. */
import { describe, expect, it } from "vitest";
import { measuredFrontiers, measuredPoints, ranks, spearman } from "../../lib/search/ranking";

describe("ranking", () => {
  it("ranks ties by their average rank", () => {
    // 5 < 10 < 20 = 20: ranks 1, 2, then (3 + 4) / 2 = 3.5 for both 20s.
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
  });

  it("Spearman's ρ", () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [40, 30, 20, 10])).toBeCloseTo(-1, 12);
    // One swap of neighbours, no ties: 1 − 6·Σd² / (n(n² − 1)) = 1 − 6·2 / 60 = 0.8.
    expect(spearman([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(spearman([1], [1])).toBeNaN();
  });

  it("one measured point per configuration (runs averaged), and each workload's frontier", () => {
    const row = (isl: string, tp: string, c: string, thr: string, tpot: string) => ({
      input_seq_len: isl, output_seq_len: "1024", tensor_parallel: tp, concurrency: c, throughput_tokens_per_sec_per_gpu: thr, mean_time_per_output_token_sec: tpot, disagg: "false", gpu_model: "b200",
    });
    const rows = [
      row("1024", "1", "64", "1000", "0.02"), row("1024", "1", "64", "1200", "0.03"), // one configuration, two runs
      row("1024", "2", "64", "900", "0.01"), row("1024", "2", "32", "800", "0.02"), // TP2 c32 is below TP1 c64 on both axes
      row("8192", "1", "64", "3000", "0.04"),
    ];
    const pts = measuredPoints(rows, (r) => r.gpu_model === "b200");
    // TP1 c64: throughput (1000 + 1200) / 2 = 1100; mean TPOT 0.025 → 40 tok/s per user.
    const tp1 = pts.find((p) => p.tp === 1 && p.isl === 1024)!;
    expect([tp1.throughputPerGpu, tp1.tokPerUser, tp1.runs]).toEqual([1100, 40, 2]);
    expect(pts).toHaveLength(4);
    // 1024: TP1 c64 (40, 1100) and TP2 c64 (100, 900) on the frontier; TP2 c32 (50, 800) below TP2 c64. 8192: its one point.
    expect(measuredFrontiers(pts).map((p) => `${p.isl} TP${p.tp} c${p.concurrency}`)).toEqual(["1024 TP1 c64", "1024 TP2 c64", "8192 TP1 c64"]);
  });
});
