/**
 * Peaks per measured system: from the hardware profile (data/hardware) when one maps to the system,
 * else documented fallback figures, so the builder works before the profiles exist.
 */
import { getHardware, listHardware } from "../hardware/registry";
import type { HardwareProfile } from "../hardware/schema";
import type { Peaks } from "./types";

/** Dense TFLOPS bf16/fp8/fp4, HBM TB/s, NVLink GB/s per direction (vendor datasheets). */
export const FALLBACK_PEAKS: Record<string, Peaks> = {
  b200_sxm: { bf16Tflops: 2250, fp8Tflops: 4500, fp4Tflops: 9000, hbmTBps: 8.0, linkGBps: 900, source: "fallback: NVIDIA B200 datasheet figures (dense)" },
  gb200: { bf16Tflops: 2500, fp8Tflops: 5000, fp4Tflops: 10000, hbmTBps: 8.0, linkGBps: 900, source: "fallback: NVIDIA GB200 datasheet figures (dense, per GPU)" },
  h100_sxm: { bf16Tflops: 989, fp8Tflops: 1979, fp4Tflops: null, hbmTBps: 3.35, linkGBps: 450, source: "fallback: NVIDIA H100 SXM datasheet figures (dense)" },
  h200_sxm: { bf16Tflops: 989, fp8Tflops: 1979, fp4Tflops: null, hbmTBps: 4.8, linkGBps: 450, source: "fallback: NVIDIA H200 SXM datasheet figures (dense)" },
};

function fromProfile(p: HardwareProfile): Peaks {
  const link = p.scale_up.bandwidth_gbps_unidir;
  // The field name says GB/s; convert if a profile records gigabits instead.
  const linkGBps = /Gbit|Gb\/s|Gbps/.test(link.unit) ? link.value / 8 : link.value;
  return {
    bf16Tflops: p.dense_tflops.bf16.value,
    fp8Tflops: p.dense_tflops.fp8?.value ?? p.dense_tflops.bf16.value,
    fp4Tflops: p.dense_tflops.fp4?.value ?? null,
    hbmTBps: p.memory.bandwidth_tbps.value,
    linkGBps,
    source: `data/hardware/${p.id}.json`,
  };
}

/** The hardware profile for a kernel-table system, if one exists and validates. */
export function profileForSystem(system: string): HardwareProfile | undefined {
  try {
    const byField = listHardware().find((p) => p.kernel_tables === system);
    if (byField) return byField;
    return getHardware(system.replace(/_sxm$/, ""));
  } catch {
    return undefined;
  }
}

export function resolvePeaks(system: string): Peaks {
  const p = profileForSystem(system);
  if (p) return fromProfile(p);
  const f = FALLBACK_PEAKS[system];
  if (!f) throw new Error(`no peaks for kernel system "${system}" and no hardware profile maps to it`);
  return f;
}
