import { describe, expect, it } from "vitest";
import { serialiseTable } from "../../lib/kernels/build";
import { gemmRow, PEAKS, syntheticBuild } from "./helpers";

describe("kernel table builder: data-error rule", () => {
  // Test peaks: 1000 TFLOPS bf16, 8 TB/s.
  // m = n = k = 1024 bf16: 2·1024³ = 2.147e9 FLOPs -> 2.147 µs at peak;
  // bytes = 3 · 1024² · 2 = 6.29e6 -> 0.786 µs at 8 TB/s.
  const good = gemmRow(1024, 1024, 1024, 0.01); // 10 µs: 21% of peak FLOPs
  const zero = gemmRow(1024, 1024, 2048, 0); // latency 0
  const tooFast = gemmRow(2048, 1024, 1024, 0.001); // 4.29 µs of FLOPs done in 1 µs: utilisation 4.29
  // m = 1, n = 65536, k = 8192: weights 8192·65536·2 = 1.07e9 bytes -> 134 µs at 8 TB/s; 50 µs is too fast.
  const overBandwidth = gemmRow(1, 65536, 8192, 0.05);

  it("drops a zero latency and a utilisation above 1, with reasons in the header", () => {
    const { file, rejected } = syntheticBuild("gemm", [good, zero, tooFast, overBandwidth]);
    expect(rejected.map((r) => r.reason)).toEqual([
      "latency 0 ms is not positive",
      "FLOP utilisation 4.295 > 1 of dense bf16 peak 1000 TFLOPS",
      "HBM utilisation 2.685 > 1 of 8 TB/s",
    ]);
    expect(file.header.rejected.count).toBe(3);
    expect(file.header.rejected.byReason).toEqual({ "bytes>hbm": 1, "flops>peak": 1, "latency<=0": 1 });
    expect(file.header.rejected.first[0].row).toMatchObject({ dtype: "bf16", m: 1024, n: 1024, k: 2048, latency_ms: 0 });
    // Only the good row is kept.
    expect(file.header.counts).toMatchObject({ selected: 4, rejected: 3, points: 1 });
    expect(file.rows).toEqual([["bf16", 1024, 1024, 0, [10]]]);
    expect(file.axes).toEqual([[1024]]);
  });

  it("keeps the fastest of duplicate shapes and says so", () => {
    const { file } = syntheticBuild("gemm", [gemmRow(1024, 1024, 1024, 0.02, "bf16", "slow"), gemmRow(1024, 1024, 1024, 0.01, "bf16", "fast")]);
    expect(file.rows).toEqual([["bf16", 1024, 1024, 0, [10]]]);
    expect(file.header.duplicates).toEqual({ rule: expect.any(String), kept: { fast: 1 } });
  });

  it("is deterministic: row order does not change the output, and no timestamps", () => {
    const rows = [64, 16, 32].flatMap((m) => [gemmRow(m, 4096, 4096, m * 0.001), gemmRow(m, 2048, 4096, m * 0.0006, "fp8")]);
    const a = serialiseTable(syntheticBuild("gemm", rows).file);
    const b = serialiseTable(syntheticBuild("gemm", [...rows].reverse()).file);
    expect(a).toBe(b);
    expect(a).not.toMatch(/20\d\d-\d\d-\d\d/);
    const parsed = JSON.parse(a);
    expect(parsed.header.license).toBe("NVIDIA aiconfigurator (Apache-2.0)");
    expect(parsed.axes).toEqual([[16, 32, 64]]);
    expect(parsed.rows.map((r: unknown[]) => r.slice(0, 3))).toEqual([["bf16", 4096, 4096], ["fp8", 2048, 4096]]);
  });

  it("judges against the peaks it is given", () => {
    // At 100 TFLOPS the good row's 2.147e9 FLOPs need 21.5 µs, more than its 10 µs.
    const { rejected } = syntheticBuild("gemm", [good], { ...PEAKS, bf16Tflops: 100 });
    expect(rejected.map((r) => r.reason)).toEqual(["FLOP utilisation 2.147 > 1 of dense bf16 peak 100 TFLOPS"]);
  });
});
