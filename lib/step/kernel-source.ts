/**
 * Adapts the measured kernel tables (lib/kernels) to the step model: an op is timed from the table of
 * the row's engine on its hardware where its family's table covers it (lib/cost: each family names its
 * table key), else by the roofline.
 */
import { FAMILIES } from "../cost/layers";
import type { Op, OpKind } from "../cost/op";
import type { EngineProfile } from "../engine/profile";
import type { HardwareProfile } from "../hardware/schema";
import { loadKernelTables } from "../kernels/index";
import type { KernelSource } from "./roofline";

/** Op families that can be timed from tables. */
export type TableOp = "gemm" | "attention" | "moe" | "comm";
/** true: the engine profile's table ops; false: roofline only; a list: exactly those op families from tables. */
export type KernelTableChoice = boolean | TableOp[];

const sources = new Map<string, KernelSource | undefined>();

/** Tables for this hardware × engine, restricted to `ops` (default: the engine profile's kernel_table_ops). */
export function kernelSourceFor(hw: HardwareProfile, engine: EngineProfile, ops?: TableOp[]): KernelSource | undefined {
  if (!hw.kernel_tables || !engine.kernel_framework) return undefined;
  const use = new Set<OpKind>(ops ?? engine.kernel_table_ops.ops);
  if (use.size === 0) return undefined;
  const key = `${hw.kernel_tables}|${engine.kernel_framework}|${[...use].sort().join(",")}`;
  if (sources.has(key)) return sources.get(key);
  const tables = loadKernelTables(hw.kernel_tables, engine.kernel_framework);
  const memo = new Map<string, { seconds: number; source: string; extrapolated: boolean } | undefined>();
  const src: KernelSource | undefined = tables && {
    name: `measured kernel tables data/kernels/${tables.system}/${tables.framework} for ${[...use].join(", ")} (aiconfigurator, Apache-2.0); roofline for the rest and where not covered`,
    time(op: Op) {
      const family = FAMILIES[op.kind];
      if (!family.lookup || !use.has(op.kind)) return undefined;
      // Attention and MoE lookups repeat with bucketed sizes every step: memoised by the family's key.
      const key = family.memoKey?.(op);
      if (key !== undefined && memo.has(key)) return memo.get(key);
      const r = family.lookup(tables, op);
      const out = !r || !(r.latencyMs > 0) ? undefined : { seconds: r.latencyMs / 1e3, source: r.source, extrapolated: r.extrapolated };
      if (key !== undefined) memo.set(key, out);
      return out;
    },
  };
  sources.set(key, src);
  return src;
}
