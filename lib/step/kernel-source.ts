/** Chooses the measured kernel tables for a hardware × engine pair (filled in by lib/kernels). */
import type { HardwareProfile } from "../hardware/schema";
import type { EngineProfile } from "../serving/engine";
import type { KernelSource } from "./roofline";

export function kernelSourceFor(_hw: HardwareProfile, _engine: EngineProfile): KernelSource | undefined {
  return undefined;
}
