/**
 * Build data/kernels/** from the aiconfigurator parquet files in ../shared (raw files stay there).
 *
 *   npm run data            (scripts/build-data.ts calls buildKernelTables)
 *   npx tsx scripts/build-kernel-tables.ts
 *
 * Output is deterministic (no timestamps, sorted rows), so re-running without source changes
 * leaves git clean. Rows failing the data-error rule are reported here and listed in the header.
 */
import * as fs from "fs";
import * as path from "path";
import { DATA_DIR, SHARED_DIR } from "../lib/core/paths";
import { buildTable, serialiseTable, type MeasuredRow, type TableMeta } from "../lib/kernels/build";
import { loadModelShapes, type ModelShapes } from "../lib/kernels/model-shapes";
import { OP_SPECS } from "../lib/kernels/ops";
import { resolvePeaks } from "../lib/kernels/peaks";
import { KERNEL_FRAMEWORKS, KERNEL_SYSTEMS, type KernelOp, type KernelTableFile, type Peaks, type RejectedRow } from "../lib/kernels/types";
import { NCCL_SOURCE, OP_SOURCES, type OpSource, type Raw } from "./kernel-sources";

const SOURCE_ROOT = path.join(SHARED_DIR, "datasets", "kernels", "aiconfigurator");
const OUT_DIR = path.join(DATA_DIR, "kernels");

interface Hyparquet {
  parquetReadObjects(o: { file: ArrayBuffer; compressors?: unknown }): Promise<Raw[]>;
}

let readerPromise: Promise<{ hp: Hyparquet; compressors: unknown }> | undefined;
// hyparquet is ESM-only; a dynamic import works from this CommonJS project under tsx.
function reader(): Promise<{ hp: Hyparquet; compressors: unknown }> {
  readerPromise ??= (async () => {
    const hp = (await import("hyparquet")) as unknown as Hyparquet;
    const hc = (await import("hyparquet-compressors")) as unknown as { compressors: unknown };
    return { hp, compressors: hc.compressors };
  })();
  return readerPromise;
}

export async function readParquet(file: string): Promise<Raw[]> {
  const { hp, compressors } = await reader();
  const buf = fs.readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  return hp.parquetReadObjects({ file: ab, compressors });
}

/** Compare version directory names numerically part by part (0.5.16 > 0.5.14, rc20 > rc3). */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.\-+]|(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)/i), pb = b.split(/[.\-+]|(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)/i);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "", y = pb[i] ?? "";
    const nx = Number(x), ny = Number(y);
    const c = x !== "" && y !== "" && !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return 0;
}

/** Latest version directory of <system>/<opDir>/<framework> that holds `file`. */
function findSource(system: string, opDir: string, framework: string, file: string): { path: string; version: string } | undefined {
  const dir = path.join(SOURCE_ROOT, system, opDir, framework);
  if (!fs.existsSync(dir)) return undefined;
  const versions = fs
    .readdirSync(dir)
    .filter((v) => fs.existsSync(path.join(dir, v, file)))
    .sort(compareVersions);
  const v = versions[versions.length - 1];
  return v ? { path: path.join(dir, v, file), version: v } : undefined;
}

export interface TableSummary {
  system: string;
  framework: string;
  op: KernelOp;
  file: string;
  version: string;
  points: number;
  families: number;
  rejected: number;
  bytes: number;
  dtypes: string[];
}

/** Build one table from its source parquet (no file written). */
async function buildFromSource(
  system: string,
  framework: string,
  src: OpSource,
  found: { path: string; version: string },
  peaks: Peaks,
  shapes: ModelShapes,
): Promise<{ file: KernelTableFile; rejected: RejectedRow[] } | undefined> {
  const raw = await readParquet(found.path);
  const rows: MeasuredRow[] = [];
  const caveats: Record<string, string> = {};
  for (const r of raw) {
    const m = src.normalise(r, shapes, framework);
    if (!m) continue;
    rows.push(m);
    const c = src.caveat?.(r, framework, system);
    if (c) caveats[String(m.shape.dtype ?? "*")] = c;
  }
  if (rows.length === 0) return undefined;
  const tableMeta: TableMeta = {
    system,
    framework,
    frameworkVersion: found.version,
    device: String(raw[0]?.device ?? ""),
    source: path.relative(SHARED_DIR, found.path).split(path.sep).join("/"),
    selection: src.selection(shapes),
    mapping: src.mapping,
    sourceRows: raw.length,
    ...(Object.keys(caveats).length > 0 ? { caveats } : {}),
  };
  return buildTable(OP_SPECS[src.op], rows, peaks, tableMeta);
}

/**
 * The table `op` of `system`/`framework` ("nccl" for the NCCL table) built from ../shared, or
 * undefined if the source has none. Used by tests to check the committed tables are current.
 */
export async function buildSourceTable(system: string, framework: string, op: KernelOp): Promise<KernelTableFile | undefined> {
  const src = op === "nccl" ? NCCL_SOURCE : OP_SOURCES.find((s) => s.op === op);
  if (!src) return undefined;
  const found = findSource(system, src.opDir, op === "nccl" ? "nccl" : framework, src.file);
  if (!found) return undefined;
  return (await buildFromSource(system, framework, src, found, resolvePeaks(system), loadModelShapes()))?.file;
}

async function buildOne(
  system: string,
  framework: string,
  src: OpSource,
  found: { path: string; version: string },
  peaks: Peaks,
  shapes: ModelShapes,
): Promise<TableSummary | undefined> {
  const built = await buildFromSource(system, framework, src, found, peaks, shapes);
  if (!built) {
    console.log(`  ${system}/${framework}/${src.op}: no rows selected; no table written`);
    return undefined;
  }
  const { file, rejected } = built;
  const spec = OP_SPECS[src.op];
  const rel = src.op === "nccl" ? `${system}/nccl/nccl.json` : `${system}/${framework}/${src.op}.json`;
  const out = path.join(OUT_DIR, rel);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const text = serialiseTable(file);
  fs.writeFileSync(out, text);
  const dtypeCol = spec.keys.includes("dtype") ? spec.keys.indexOf("dtype") : spec.keys.indexOf("kv_dtype");
  const dtypes = [...new Set(file.rows.map((r) => String(r[dtypeCol])))].sort();
  const c = file.header.counts;
  console.log(
    `  ${rel}: ${c.points} points from ${c.sourceRows} source rows (${c.selected} selected, ` +
      `${c.duplicatesCollapsed} duplicate shapes collapsed), ${(text.length / 1024).toFixed(0)} KiB, dtypes ${dtypes.join(",")}`,
  );
  if (rejected.length > 0) {
    console.log(`    data errors: ${rejected.length} rows dropped ${JSON.stringify(file.header.rejected.byReason)}`);
    for (const r of rejected.slice(0, 3)) console.log(`      e.g. ${JSON.stringify(r.row)}: ${r.reason}`);
  }
  const cats = spec.keys.map((k, i) => (spec.coords.includes(k) ? -1 : i)).filter((i) => i >= 0);
  return {
    system,
    framework: src.op === "nccl" ? "nccl" : framework,
    op: src.op,
    file: rel,
    version: found.version,
    points: c.points,
    families: new Set(file.rows.map((r) => cats.map((i) => r[i]).join("|"))).size,
    rejected: rejected.length,
    bytes: Buffer.byteLength(text),
    dtypes,
  };
}

export async function buildKernelTables(): Promise<TableSummary[] | undefined> {
  if (!fs.existsSync(SOURCE_ROOT)) {
    console.log(`kernel tables: ${SOURCE_ROOT} not found; keeping the committed data/kernels tables`);
    return undefined;
  }
  const shapes = loadModelShapes();
  console.log(
    `kernel tables: ${shapes.heads.length} attention head configs and ${shapes.moe.length} MoE shapes from ${shapes.models.length} model configs`,
  );
  const summaries: TableSummary[] = [];
  for (const system of KERNEL_SYSTEMS) {
    // Rebuild each system directory from scratch so tables that vanished from the source go too.
    fs.rmSync(path.join(OUT_DIR, system), { recursive: true, force: true });
    const peaks = resolvePeaks(system);
    console.log(`${system}: peaks from ${peaks.source}`);
    const jobs: [string, OpSource][] = [];
    for (const fw of KERNEL_FRAMEWORKS) for (const src of OP_SOURCES) jobs.push([fw, src]);
    jobs.push(["nccl", NCCL_SOURCE]);
    for (const [fw, src] of jobs) {
      const found = findSource(system, src.opDir, fw, src.file);
      if (!found) {
        console.log(`  ${system}/${fw}/${src.op}: no ${src.file} in the source; no table`);
        continue;
      }
      const s = await buildOne(system, fw, src, found, peaks, shapes);
      if (s) summaries.push(s);
    }
  }
  const index = {
    description:
      "Measured kernel latency tables derived from NVIDIA aiconfigurator (Apache-2.0); see README.md. " +
      "Built by scripts/build-kernel-tables.ts (npm run data).",
    license: "NVIDIA aiconfigurator (Apache-2.0)",
    tables: summaries,
  };
  fs.writeFileSync(path.join(OUT_DIR, "index.json"), JSON.stringify(index, null, 2) + "\n");
  const total = summaries.reduce((a, s) => a + s.bytes, 0);
  const rejected = summaries.reduce((a, s) => a + s.rejected, 0);
  console.log(`kernel tables: ${summaries.length} tables, ${(total / 1e6).toFixed(2)} MB, ${rejected} data-error rows dropped`);
  return summaries;
}

if (require.main === module) {
  buildKernelTables().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
