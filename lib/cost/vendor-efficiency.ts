/**
 * Kernel efficiencies a vendor has published for its GPUs (data/efficiency/amd.json): the GEMM fraction of
 * dense peak per dtype, used as the GEMM roofline's efficiency on a platform without measured kernel tables
 * when no calibration sets the GEMM factor.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import type { Efficiency } from "../calibration/efficiency";
import type { ComputeDtype } from "../core/dtypes";
import { DATA_DIR } from "../core/paths";
import { parseOrThrow } from "../core/validate";

const Gemm = z.object({
  dtype: z.string(), peak_dtype: z.enum(["bf16", "fp8", "fp4"]), shape: z.record(z.string(), z.number()), achieved_tflops: z.number(), peak_tflops: z.number(),
  fraction_of_peak: z.number().positive().max(1), mfma_efficiency: z.number().optional(), kernel: z.string(), source: z.string(),
}).strict();
const File = z.object({ _about: z.string(), searched: z.string(), chips: z.record(z.string(), z.object({ gemm: z.array(Gemm), notes: z.string() }).strict()) }).strict();

const FILE = "data/efficiency/amd.json";
const data = parseOrThrow(File, JSON.parse(fs.readFileSync(path.join(DATA_DIR, "efficiency", "amd.json"), "utf8")), FILE);

export interface VendorGemm {
  peakDtype: "bf16" | "fp8" | "fp4";
  fraction: number;
  source: string;
}

/** The published GEMM figures of a chip (empty when none). */
export function vendorGemmFigures(hardwareId: string): VendorGemm[] {
  return (data.chips[hardwareId]?.gemm ?? []).map((g) => ({ peakDtype: g.peak_dtype, fraction: g.fraction_of_peak, source: `${FILE} ${hardwareId} ${g.dtype} ${g.shape.m}×${g.shape.n}×${g.shape.k}: ${g.source}` }));
}

/** Peak rate class a compute dtype runs at (fp16 on the bf16 rate; int8 and int4 have no published figure). */
const PEAK_OF: Partial<Record<ComputeDtype, VendorGemm["peakDtype"]>> = { bf16: "bf16", fp16: "bf16", fp8: "fp8", fp4: "fp4" };

/** GEMM compute efficiency: the calibrated or overridden factor, else the vendor's figure for the dtype, else the default. */
export function gemmEfficiency(hardwareId: string, dtype: ComputeDtype, eff: Efficiency): number {
  if (eff.gemm_compute.kind !== "default") return eff.gemm_compute.value;
  const peak = PEAK_OF[dtype];
  const v = peak && vendorGemmFigures(hardwareId).find((g) => g.peakDtype === peak);
  return v ? v.fraction : eff.gemm_compute.value;
}
