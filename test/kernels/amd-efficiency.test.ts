/** data/efficiency/amd.json: AMD-published kernel efficiencies, checked against the hardware profiles. */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { DATA_DIR } from "../../lib/core/paths";

interface Entry {
  peak_dtype: string;
  shape: { m: number; n: number; k: number };
  achieved_tflops: number;
  peak_tflops: number;
  fraction_of_peak: number;
  source: string;
}
const file = JSON.parse(fs.readFileSync(path.join(DATA_DIR, "efficiency", "amd.json"), "utf8")) as {
  chips: Record<string, { gemm: Entry[]; notes: string }>;
};

describe("AMD kernel efficiencies (data/efficiency/amd.json)", () => {
  it("each fraction is achieved / the profile's dense peak, with a vendor source", () => {
    for (const [chip, c] of Object.entries(file.chips)) {
      const hw = JSON.parse(fs.readFileSync(path.join(DATA_DIR, "hardware", `${chip}.json`), "utf8"));
      for (const e of c.gemm) {
        expect(e.peak_tflops, `${chip} ${e.peak_dtype}`).toBe(hw.dense_tflops[e.peak_dtype].value);
        expect(e.fraction_of_peak).toBeCloseTo(e.achieved_tflops / e.peak_tflops, 4);
        expect(e.source).toMatch(/rocm\.blogs\.amd\.com/);
      }
    }
  });

  it("MI355X FP16 4096×4096×8192: 1489 TFLOPS of 2516.6 dense = 59.2%", () => {
    // 2·4096·4096·8192 = 274.9 GFLOP in 0.1846 ms at 1489 TFLOPS; 1489 / 2516.6 = 0.5917.
    const fp16 = file.chips.mi355x.gemm[0];
    expect(fp16.shape).toEqual({ m: 4096, n: 4096, k: 8192 });
    expect(fp16.fraction_of_peak).toBe(0.5917);
  });

  it("says plainly where nothing usable was found", () => {
    expect(file.chips.mi300x.gemm).toEqual([]);
    expect(file.chips.mi300x.notes).toMatch(/Nothing usable found/);
    expect(file.chips.mi325x.notes).toMatch(/Nothing usable found/);
  });
});
