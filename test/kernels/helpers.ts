/** Synthetic tables for the kernel tests: built with the real builder, indexed by the real loader. */
import { buildTable, type MeasuredRow } from "../../lib/kernels/build";
import { OP_SPECS } from "../../lib/kernels/ops";
import { OpTable } from "../../lib/kernels/table";
import type { KernelOp, Peaks } from "../../lib/kernels/types";

/** Round test peaks: 1000 TFLOPS bf16, 8 TB/s HBM. */
export const PEAKS: Peaks = {
  bf16Tflops: 1000,
  fp8Tflops: 2000,
  fp4Tflops: 4000,
  hbmTBps: 8,
  linkGBps: 900,
  source: "test peaks",
};

export function syntheticBuild(op: KernelOp, rows: MeasuredRow[], peaks: Peaks = PEAKS) {
  return buildTable(OP_SPECS[op], rows, peaks, {
    system: "test",
    framework: "vllm",
    frameworkVersion: "0.0.0",
    device: "synthetic",
    source: "synthetic",
    selection: "all rows",
    mapping: {},
    sourceRows: rows.length,
  });
}

export function syntheticTable(op: KernelOp, rows: MeasuredRow[], peaks: Peaks = PEAKS): OpTable {
  return new OpTable(syntheticBuild(op, rows, peaks).file, `synthetic/${op}.json`);
}

export const gemmRow = (m: number, n: number, k: number, latencyMs: number, dtype = "bf16", kernelSource = "k"): MeasuredRow => ({
  shape: { dtype, n, k, m },
  latencyMs,
  kernelSource,
  version: "0.0.0",
});
