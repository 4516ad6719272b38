/**
 * A step breakdown taken apart for reports: each op's time source (measured table, extrapolated table
 * lookup, or roofline), the shares of GPU time by source and by op family, and one row per op.
 */
import type { OpKind } from "../cost/op";
import type { StepBreakdown } from "./step-model";

export type TimeSource = "table" | "extrapolated" | "roofline";

/** Where an op's time came from. */
export function timeSourceOf(t: { source: string; extrapolated: boolean }): TimeSource {
  return t.source === "roofline" ? "roofline" : t.extrapolated ? "extrapolated" : "table";
}

/** The table file an op was timed from ("gemm", "generation_mla", …), or "roofline". */
export function sourceName(source: string): string {
  if (source === "roofline") return "roofline";
  const file = source.split(" ")[0].split("/").pop() ?? source;
  return file.replace(/\.json$/, "");
}

export interface SourceShares {
  table: number;
  extrapolated: number;
  roofline: number;
}

/** Shares of the step's GPU time (op times × layers, launch gaps included) by time source. */
export function sourceShares(step: StepBreakdown): SourceShares {
  const out: SourceShares = { table: 0, extrapolated: 0, roofline: 0 };
  for (const { op, time } of step.ops) out[timeSourceOf(time)] += op.layers * time.seconds;
  const g = step.gpu > 0 ? step.gpu : 1;
  return { table: out.table / g, extrapolated: out.extrapolated / g, roofline: out.roofline / g };
}

/** Seconds per step by op family (gemm, attention, moe, comm, elementwise). */
export function familySeconds(step: StepBreakdown): Record<OpKind, number> {
  const out: Record<OpKind, number> = { gemm: 0, attention: 0, moe: 0, comm: 0, elementwise: 0 };
  for (const { op, time } of step.ops) out[op.kind] += op.layers * time.seconds;
  return out;
}

export interface OpRow {
  layer: string;
  op: string;
  layers: number;
  /** One call on one GPU, launch gap included. */
  us: number;
  /** All layers of this op in the step. */
  stepMs: number;
  share: number;
  bound: string;
  source: TimeSource;
  table: string;
  /** Measured time over the roofline bound (measured ops only). */
  vsRoofline: number | null;
}

/** One row per op of a step, slowest first (by time per step). */
export function opRows(step: StepBreakdown): OpRow[] {
  return step.ops
    .map(({ op, time }) => ({
      layer: op.layerType, op: op.name, layers: op.layers, us: time.seconds * 1e6, stepMs: op.layers * time.seconds * 1e3,
      share: (op.layers * time.seconds) / (step.total > 0 ? step.total : 1), bound: time.bound, source: timeSourceOf(time),
      table: sourceName(time.source), vsRoofline: time.rooflineRatio ?? null,
    }))
    .sort((a, b) => b.stepMs - a.stepMs);
}
