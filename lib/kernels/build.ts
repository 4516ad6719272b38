/**
 * Pure table building: data-error rule, duplicate collapse, compact deterministic encoding.
 * No file or parquet access here so the rule can be tested on synthetic rows.
 */
import { type OpSpec, type Shape, peakFlops, rooflineParts } from "./work";
import type { KernelTableFile, KernelTableHeader, KernelTableRow, Peaks, RejectedRow } from "./types";

export const LICENSE_CREDIT = "NVIDIA aiconfigurator (Apache-2.0)";
const MAX_REJECTED_LISTED = 20;

/** One source row after column normalisation. */
export interface MeasuredRow {
  shape: Shape;
  latencyMs: number;
  kernelSource?: string;
  version?: string;
}

export interface TableMeta {
  system: string;
  framework: string;
  frameworkVersion: string;
  device: string;
  source: string;
  selection: string;
  mapping: Record<string, string>;
  /** Rows in the source file before selection. */
  sourceRows: number;
  /** Known limits of what was measured, by dtype ("*" for every row). */
  caveats?: Record<string, string>;
}

export interface DataError {
  category: "latency<=0" | "flops>peak" | "bytes>hbm";
  reason: string;
}

const fmt = (x: number): string => x.toFixed(3);

/**
 * The data-error rule: a latency that is not a positive number, or one implying more than the
 * dense peak FLOPs of the dtype or more than the HBM bandwidth (from the op's lower-bound work
 * model), cannot have been measured and is an error.
 */
export function dataError(spec: OpSpec, shape: Shape, latencyMs: number, peaks: Peaks): DataError | undefined {
  if (!Number.isFinite(latencyMs) || latencyMs <= 0) {
    return { category: "latency<=0", reason: `latency ${latencyMs} ms is not positive` };
  }
  const workOf = spec.workLowerBound ?? spec.work;
  if (!workOf) return undefined;
  const w = workOf(shape);
  const r = rooflineParts(w, peaks);
  const seconds = latencyMs * 1e-3;
  if (r.compute / seconds > 1) {
    const tflops = peakFlops(w.compute, peaks) / 1e12;
    return {
      category: "flops>peak",
      reason: `FLOP utilisation ${fmt(r.compute / seconds)} > 1 of dense ${w.compute} peak ${tflops} TFLOPS`,
    };
  }
  if (r.memory / seconds > 1) {
    return {
      category: "bytes>hbm",
      reason: `HBM utilisation ${fmt(r.memory / seconds)} > 1 of ${peaks.hbmTBps} TB/s`,
    };
  }
  return undefined;
}

/** Latency in µs with 4 significant digits: finer than run-to-run noise, and compact. */
export function roundUs(latencyMs: number): number {
  return Number((latencyMs * 1000).toPrecision(4));
}

function compareValues(a: number | string, b: number | string): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const sa = String(a), sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function countInto(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

function sortedRecord(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface BuildResult {
  file: KernelTableFile;
  rejected: RejectedRow[];
}

export function buildTable(spec: OpSpec, rows: MeasuredRow[], peaks: Peaks, meta: TableMeta): BuildResult {
  const rejected: RejectedRow[] = [];
  const byReason: Record<string, number> = {};
  const versions: Record<string, number> = {};
  const kernelSources: Record<string, number> = {};

  // 1. Data errors are dropped before duplicates are collapsed, so an impossible row never wins.
  const valid: MeasuredRow[] = [];
  for (const r of rows) {
    const err = dataError(spec, r.shape, r.latencyMs, peaks);
    if (err) {
      rejected.push({ row: { ...r.shape, latency_ms: r.latencyMs }, reason: err.reason });
      countInto(byReason, err.category);
    } else {
      valid.push(r);
    }
  }

  // 2. Several kernels measured for one shape (e.g. SGLang attention backends, TRT-LLM MoE
  // min-latency vs CUTLASS): keep the fastest, as a tuned deployment would pick it.
  const cols = [...spec.keys, spec.axis];
  const best = new Map<string, { row: MeasuredRow; n: number }>();
  for (const r of valid) {
    const key = cols.map((c) => String(r.shape[c])).join("|");
    const cur = best.get(key);
    if (!cur) best.set(key, { row: r, n: 1 });
    else {
      cur.n++;
      if (r.latencyMs < cur.row.latencyMs) cur.row = r;
    }
  }
  let duplicatesCollapsed = 0;
  const keptOnDuplicate: Record<string, number> = {};
  for (const { row, n } of best.values()) {
    if (n > 1) {
      duplicatesCollapsed += n - 1;
      countInto(keptOnDuplicate, row.kernelSource ?? "?");
    }
    countInto(versions, row.version ?? meta.frameworkVersion);
    countInto(kernelSources, row.kernelSource ?? "?");
  }

  // 3. Group by key columns; each group becomes one row over the axis column.
  const groups = new Map<string, { key: (number | string)[]; pts: [number, number][] }>();
  for (const { row } of best.values()) {
    const key = spec.keys.map((c) => row.shape[c]);
    const ks = key.map(String).join("|");
    let g = groups.get(ks);
    if (!g) groups.set(ks, (g = { key, pts: [] }));
    g.pts.push([Number(row.shape[spec.axis]), roundUs(row.latencyMs)]);
  }
  const sorted = [...groups.values()].sort((a, b) => {
    for (let i = 0; i < a.key.length; i++) {
      const c = compareValues(a.key[i], b.key[i]);
      if (c !== 0) return c;
    }
    return 0;
  });
  const axes: number[][] = [];
  const axisIndex = new Map<string, number>();
  const outRows: KernelTableRow[] = [];
  for (const g of sorted) {
    g.pts.sort((a, b) => a[0] - b[0]);
    const xs = g.pts.map((p) => p[0]);
    const xk = xs.join(",");
    let ai = axisIndex.get(xk);
    if (ai === undefined) {
      ai = axes.length;
      axes.push(xs);
      axisIndex.set(xk, ai);
    }
    outRows.push([...g.key, ai, g.pts.map((p) => p[1])]);
  }

  const header: KernelTableHeader = {
    format: "mantile-kernel-table/1",
    op: spec.op,
    system: meta.system,
    framework: meta.framework,
    frameworkVersion: meta.frameworkVersion,
    device: meta.device,
    source: meta.source,
    license: LICENSE_CREDIT,
    columns: [...spec.keys, spec.axis, "latency_us"],
    keyColumns: spec.keys,
    axisColumn: spec.axis,
    interpolate: spec.coords,
    latencyUnit: "us",
    encoding:
      "rows[i] = [...keyColumns, a, lat] with lat[j] the latency (µs, one call on one GPU) at " +
      "axisColumn = axes[a][j]",
    mapping: meta.mapping,
    selection: meta.selection,
    peaks,
    counts: {
      sourceRows: meta.sourceRows,
      selected: rows.length,
      rejected: rejected.length,
      duplicatesCollapsed,
      points: best.size,
    },
    ...(duplicatesCollapsed > 0
      ? { duplicates: { rule: "same shape from several kernel_source values: fastest kept", kept: sortedRecord(keptOnDuplicate) } }
      : {}),
    versions: sortedRecord(versions),
    kernelSources: sortedRecord(kernelSources),
    rejected: { count: rejected.length, byReason: sortedRecord(byReason), first: rejected.slice(0, MAX_REJECTED_LISTED) },
    ...(meta.caveats ? { caveats: Object.fromEntries(Object.entries(meta.caveats).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) } : {}),
  };
  return { file: { header, axes, rows: outRows }, rejected };
}

/** JSON with the header indented and one axis / row per line: compact, yet diffable line by line. */
export function serialiseTable(t: KernelTableFile): string {
  const header = JSON.stringify(t.header, null, 2).replace(/\n/g, "\n  ");
  const lines = (xs: unknown[]) => xs.map((x) => "    " + JSON.stringify(x)).join(",\n");
  return `{\n  "header": ${header},\n  "axes": [\n${lines(t.axes)}\n  ],\n  "rows": [\n${lines(t.rows)}\n  ]\n}\n`;
}
