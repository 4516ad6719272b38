/**
 * Leave-one-out accuracy of the table interpolation, per (system, framework, op, dtype).
 */
import * as fs from "fs";
import * as path from "path";
import { KERNELS_DIR } from "./lookup";
import type { Shape } from "./work";
import { OpTable } from "./table";
import type { KernelOp } from "./types";

export interface LooRow {
  system: string;
  framework: string;
  op: KernelOp;
  /** The dtype-like family label: GEMM/MoE dtype, attention "attn/kv" dtypes, collective op. */
  dtype: string;
  /** Predictions made (points × size coordinates with a neighbour). */
  n: number;
  medianPct: number;
  p90Pct: number;
  /** The same over interior predictions only (a measured neighbour on both sides). */
  interiorN: number;
  interiorMedianPct: number;
  interiorP90Pct: number;
}

function label(op: KernelOp, cats: Shape): string {
  switch (op) {
    case "gemm":
      return String(cats.dtype);
    case "moe":
      return cats.routing && cats.routing !== "topk" ? `${cats.dtype} (${cats.routing})` : String(cats.dtype);
    case "context_attention":
    case "generation_attention":
      return `${cats.attn_dtype}/kv ${cats.kv_dtype}`;
    case "nccl":
      return `${cats.op} ${cats.dtype}`;
    case "custom_allreduce":
      return String(cats.mode);
    case "context_mla":
      return `${cats.form} ${cats.attn_dtype}/kv ${cats.kv_dtype}`;
    case "generation_mla":
      return `kv ${cats.kv_dtype}`;
    case "mla_bmm":
      return `${cats.op} ${cats.dtype}`;
    case "mla_context_module":
      return `gemm ${cats.gemm_dtype}, ${cats.attn_dtype}/kv ${cats.kv_dtype}`;
    case "mla_generation_module":
      return `gemm ${cats.gemm_dtype}, kv ${cats.kv_dtype}`;
  }
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Receives the raw errors of each group, e.g. to pool them per op. */
export type LooSink = (row: LooRow, errorsPct: number[], interiorErrorsPct: number[]) => void;

/** Leave-one-out over one table, grouped by dtype label. */
export function leaveOneOutTable(t: OpTable, system: string, framework: string, sink?: LooSink): LooRow[] {
  const groups = new Map<string, { all: number[]; interior: number[] }>();
  for (const fam of t.families.values()) {
    const l = label(t.spec.op, fam.cats);
    let g = groups.get(l);
    if (!g) groups.set(l, (g = { all: [], interior: [] }));
    for (const e of fam.leaveOneOut(t.header.peaks)) {
      g.all.push(e.errorPct);
      if (e.interior) g.interior.push(e.errorPct);
    }
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([dtype, g]) => {
      g.all.sort((a, b) => a - b);
      g.interior.sort((a, b) => a - b);
      const row: LooRow = {
        system,
        framework,
        op: t.spec.op,
        dtype,
        n: g.all.length,
        medianPct: quantile(g.all, 0.5),
        p90Pct: quantile(g.all, 0.9),
        interiorN: g.interior.length,
        interiorMedianPct: quantile(g.interior, 0.5),
        interiorP90Pct: quantile(g.interior, 0.9),
      };
      sink?.(row, g.all, g.interior);
      return row;
    });
}

const OP_ORDER: KernelOp[] = [
  "gemm",
  "context_attention",
  "generation_attention",
  "moe",
  "context_mla",
  "generation_mla",
  "mla_bmm",
  "mla_context_module",
  "mla_generation_module",
  "custom_allreduce",
  "nccl",
];

/** Leave-one-out over every committed table under `dir` (data/kernels by default). */
export function leaveOneOut(
  dir = KERNELS_DIR,
  filter: (system: string, framework: string, op: string) => boolean = () => true,
  sink?: LooSink,
): LooRow[] {
  const rows: LooRow[] = [];
  if (!fs.existsSync(dir)) return rows;
  for (const system of fs.readdirSync(dir).sort()) {
    const sdir = path.join(dir, system);
    if (!fs.statSync(sdir).isDirectory()) continue;
    for (const framework of fs.readdirSync(sdir).sort()) {
      for (const op of OP_ORDER) {
        const f = path.join(sdir, framework, `${op}.json`);
        if (!fs.existsSync(f) || !filter(system, framework, op)) continue;
        rows.push(...leaveOneOutTable(OpTable.load(f), system, framework, sink));
      }
    }
  }
  return rows;
}

const pct = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : "–");

/** Markdown table of leave-one-out results. */
export function looMarkdown(rows: LooRow[]): string {
  const head =
    "| system | framework | op | dtype | n | median % | p90 % | interior n | interior median % | interior p90 % |\n" +
    "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  return (
    head +
    rows
      .map(
        (r) =>
          `| ${r.system} | ${r.framework} | ${r.op} | ${r.dtype} | ${r.n} | ${pct(r.medianPct)} | ${pct(r.p90Pct)} | ` +
          `${r.interiorN} | ${pct(r.interiorMedianPct)} | ${pct(r.interiorP90Pct)} |`,
      )
      .join("\n") +
    "\n"
  );
}
