/**
 * Time of one op on one GPU: a measured kernel table where one covers it, else its family's roofline
 * max(compute / (peak · efficiency), bytes / (bandwidth · efficiency) + latency, collective time).
 * Grouped expert GEMMs add the part of the shorter time their pipelining does not hide:
 * max(c, m) + (1 − moe_overlap) · min(c, m) (data/efficiency/defaults.json moe_overlap; 1 = the ideal roofline).
 */
import type { Efficiency } from "../calibration/efficiency";
import { FAMILIES } from "../cost/layers";
import type { Op } from "../cost/op";
import type { HardwareProfile } from "../hardware/schema";


/** A measured-kernel source (lib/step/kernel-source.ts adapts the tables to it). Times in seconds; undefined = not covered. */
export interface KernelSource {
  name: string;
  time(op: Op): { seconds: number; source: string; extrapolated: boolean } | undefined;
}

export type Bound = "compute" | "memory" | "communication" | "overhead";

export interface OpTime {
  seconds: number;
  /** A measured time over its roofline bound (the family's roofline with the calibrated efficiencies and the fixed latency); lib/step/checks.ts flags large ones. */
  rooflineRatio?: number;
  compute: number;
  memory: number;
  comm: number;
  overhead: number;
  bound: Bound;
  source: string;
  extrapolated: boolean;
}

export function opTime(op: Op, hw: HardwareProfile, eff: Efficiency, kernelGapUs: number, tables?: KernelSource): OpTime {
  const family = FAMILIES[op.kind];
  const gap = (kernelGapUs * op.kernels) / 1e6;
  const covered = family.tablesApply ? family.tablesApply(op, hw) : true;
  const measured = covered ? tables?.time(op) : undefined;
  const r = family.roofline(op, hw, eff);
  if (measured) {
    // What bounds a measured op: the roofline part that dominates (without the fixed latency).
    const bound: Bound = op.kind === "comm" ? "communication" : r.compute >= r.memory ? "compute" : "memory";
    const roof = op.kind === "comm" ? r.comm : Math.max(r.compute, r.memory + r.latency);
    return {
      rooflineRatio: roof > 0 ? measured.seconds / roof : undefined,
      seconds: measured.seconds + gap, compute: bound === "compute" ? measured.seconds : 0,
      memory: bound === "memory" ? measured.seconds : 0, comm: op.kind === "comm" ? measured.seconds : 0,
      overhead: gap, bound, source: measured.source, extrapolated: measured.extrapolated,
    };
  }
  if (op.kind === "comm") {
    return { seconds: r.comm + gap, compute: 0, memory: 0, comm: r.comm, overhead: gap, bound: "communication", source: "roofline", extrapolated: false };
  }
  const memory = r.memory + r.latency;
  const exposed = op.kind === "moe" ? (1 - eff.moe_overlap.value) * Math.min(r.compute, memory) : 0;
  const body = Math.max(r.compute, memory) + exposed;
  return {
    seconds: body + gap, compute: r.compute, memory, comm: 0, overhead: gap,
    bound: r.compute >= memory ? "compute" : "memory", source: "roofline", extrapolated: false,
  };
}
