import { describe, expect, it } from "vitest";
import { leaveOneOutTable } from "../../lib/kernels/loo";
import { gemmRow, syntheticTable } from "./helpers";

// Test peaks (helpers.ts): 1000 TFLOPS bf16, 8 TB/s HBM.
const gemm = syntheticTable("gemm", [
  gemmRow(16, 4096, 4096, 0.01),
  gemmRow(64, 4096, 4096, 0.02),
  gemmRow(1024, 4096, 4096, 0.2),
  gemmRow(2048, 4096, 4096, 0.1),
]);

describe("kernel lookup on a synthetic table", () => {
  it("returns a measured point unchanged", () => {
    const r = gemm.lookup({ dtype: "bf16", m: 64, n: 4096, k: 4096 })!;
    expect(r.latencyMs).toBe(0.02);
    expect(r.extrapolated).toBe(false);
    expect(r.reach).toBe(0);
    expect(r.points).toEqual([{ shape: { dtype: "bf16", m: 64, n: 4096, k: 4096 }, latencyMs: 0.02 }]);
    expect(r.source).toBe("synthetic/gemm.json (vllm 0.0.0)");
  });

  it("interpolates log latency linearly in log size between two neighbours", () => {
    // m = 32 lies halfway between 16 and 64 in log2 (4 -> 5 -> 6), so t = 0.5 and
    // latency = exp(0.5·ln 0.01 + 0.5·ln 0.02) = sqrt(0.01 · 0.02) = 0.0141421356 ms.
    const r = gemm.lookup({ dtype: "bf16", m: 32, n: 4096, k: 4096 })!;
    expect(r.latencyMs).toBeCloseTo(0.0141421356, 9);
    expect(r.extrapolated).toBe(false);
    expect(r.reach).toBeCloseTo(1, 12); // one octave from either neighbour
    expect(r.points.map((p) => p.latencyMs)).toEqual([0.01, 0.02]);
  });

  it("holds utilisation beyond the measured range (compute-bound: latency scales with FLOPs)", () => {
    // Nearest measured point m = 2048: 2·2048·4096² = 6.872e10 FLOPs = 68.72 µs at 1000 TFLOPS,
    // bytes (2048·4096·2 + 4096²·2 + 2048·4096·2) = 6.711e7 = 8.39 µs at 8 TB/s -> compute-bound,
    // utilisation 68.72 / 100 = 0.6872. At m = 8192 FLOPs are 4× (274.9 µs) and bytes 1.678e8
    // (21 µs), still compute-bound, so latency = 0.1 ms · 4 = 0.4 ms at the same utilisation.
    const r = gemm.lookup({ dtype: "bf16", m: 8192, n: 4096, k: 4096 })!;
    expect(r.latencyMs).toBeCloseTo(0.4, 12);
    expect(r.utilisation).toBeCloseTo(0.687194767, 8);
    expect(r.extrapolated).toBe(true);
    expect(r.reach).toBeCloseTo(2, 12); // log2(8192 / 2048)
    expect(r.points).toHaveLength(1);
  });

  it("holds utilisation beyond the range (memory-bound: latency scales with bytes)", () => {
    const rows = [1024, 2048].map((kvLen, i) => ({
      shape: { heads: 8, kv_heads: 1, head_dim: 128, window: 0, attn_dtype: "bf16", kv_dtype: "bf16", batch: 1, kv_len: kvLen },
      latencyMs: [0.01, 0.015][i],
    }));
    const t = syntheticTable("generation_attention", rows);
    // Decode reads K and V: bytes = kv_len·2·1·128·2 + 2·8·128·2 (q in, o out).
    // kv_len 2048: 1,048,576 + 4,096 = 1,052,672; kv_len 8192: 4,194,304 + 4,096 = 4,198,400.
    // FLOPs (4·8·128·kv_len) take < 1% of the byte time, so latency = 0.015 · 4198400 / 1052672.
    const r = t.lookup({ heads: 8, kv_heads: 1, head_dim: 128, window: 0, attn_dtype: "bf16", kv_dtype: "bf16", batch: 1, kv_len: 8192 })!;
    expect(r.latencyMs).toBeCloseTo((0.015 * 4198400) / 1052672, 12);
    expect(r.latencyMs).toBeCloseTo(0.0598249, 6);
    expect(r.extrapolated).toBe(true);
  });

  it("below the range follows the measured trend at the edge, not the roofline", () => {
    // kv_len 1024 -> 0.0100 ms, 2048 -> 0.0105 ms: launch-bound, nearly flat. Measured log-log slope
    // β = ln(1.05)/ln 2 = 0.070389. The roofline (memory-bound: bytes = kv_len·512 + 4096) would shrink
    // 4× towards kv_len 256: its slope ln(135168/528384)/ln(1/4) = 0.98342 only caps β.
    // Prediction at 256: 0.01 · (256/1024)^0.070389 = 0.01 · e^(−0.097580) = 0.0090703 ms.
    const rows = [1024, 2048].map((kvLen, i) => ({
      shape: { heads: 8, kv_heads: 1, head_dim: 128, window: 0, attn_dtype: "bf16", kv_dtype: "bf16", batch: 1, kv_len: kvLen },
      latencyMs: [0.01, 0.0105][i],
    }));
    const t = syntheticTable("generation_attention", rows);
    const r = t.lookup({ heads: 8, kv_heads: 1, head_dim: 128, window: 0, attn_dtype: "bf16", kv_dtype: "bf16", batch: 1, kv_len: 256 })!;
    expect(r.latencyMs).toBeCloseTo(0.0090703, 6);
    expect(r.extrapolated).toBe(true);
  });

  it("returns undefined for a family the table does not have", () => {
    expect(gemm.lookup({ dtype: "nvfp4", m: 64, n: 4096, k: 4096 })).toBeUndefined();
    expect(gemm.lookup({ dtype: "bf16", m: 0, n: 4096, k: 4096 })).toBeUndefined();
  });

  it("fills an unmeasured grid corner by roofline scaling and marks it extrapolated", () => {
    // Grid m × n = {1024, 2048} × {4096, 8192} with (2048, 8192) missing. Compute-bound everywhere
    // at 50% utilisation: latency = 2·m·n·4096 / (0.5 · 1e15) s.
    const lat = (m: number, n: number) => ((2 * m * n * 4096) / 0.5e15) * 1e3;
    const t = syntheticTable("gemm", [
      gemmRow(1024, 4096, 4096, lat(1024, 4096)),
      gemmRow(2048, 4096, 4096, lat(2048, 4096)),
      gemmRow(1024, 8192, 4096, lat(1024, 8192)),
    ]);
    const r = t.lookup({ dtype: "bf16", m: 2048, n: 8192, k: 4096 })!;
    // Exact up to the 4-significant-digit storage of the source latencies.
    expect(Math.abs(r.latencyMs / lat(2048, 8192) - 1)).toBeLessThan(1e-3);
    expect(r.extrapolated).toBe(true);
  });

  it("memoises: the same query returns the same object", () => {
    const q = { dtype: "bf16", m: 48, n: 4096, k: 4096 };
    expect(gemm.lookup(q)).toBe(gemm.lookup({ ...q }));
  });
});

describe("leave-one-out", () => {
  it("is exact on a pure power law at constant utilisation", () => {
    // Compute-bound GEMMs at 40% of 1000 TFLOPS: interior points are exact in log-log, the ends
    // are exact by holding utilisation.
    const rows = [1024, 2048, 4096, 8192].map((m) => gemmRow(m, 4096, 4096, ((2 * m * 4096 * 4096) / 0.4e15) * 1e3));
    const [row] = leaveOneOutTable(syntheticTable("gemm", rows), "test", "vllm");
    expect(row).toMatchObject({ op: "gemm", dtype: "bf16", n: 4, interiorN: 2 });
    expect(row.p90Pct).toBeLessThan(0.05); // only the 4-digit rounding of stored µs
  });
});
