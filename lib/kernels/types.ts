/**
 * Types shared by the kernel-table builder (scripts/build-kernel-tables.ts) and the lookup API.
 * The committed tables live in data/kernels/<system>/<framework>/<op>.json.
 */

export type KernelFramework = "vllm" | "trtllm" | "sglang";
export const KERNEL_FRAMEWORKS: readonly KernelFramework[] = ["vllm", "trtllm", "sglang"];

/** Systems measured by aiconfigurator, as directory names under data/kernels. */
export const KERNEL_SYSTEMS = ["b200_sxm", "gb200", "h100_sxm", "h200_sxm"] as const;

export type KernelOp =
  | "gemm"
  | "context_attention"
  | "generation_attention"
  | "moe"
  | "context_mla"
  | "generation_mla"
  | "mla_bmm"
  | "mla_context_module"
  | "mla_generation_module"
  | "nccl"
  | "custom_allreduce";

export type GemmDtype = "bf16" | "fp8" | "fp8_block" | "nvfp4";
export type CollectiveOp = "all_reduce" | "all_gather" | "reduce_scatter" | "all_to_all";

/** One measured point used for a lookup: its full shape (categorical + size columns) and latency. */
export interface LookupPoint {
  shape: Record<string, number | string>;
  latencyMs: number;
}

/** The answer to a kernel lookup. Treat as read-only: results are memoised and shared. */
export interface KernelLookup {
  /** Predicted latency of one call on one GPU, milliseconds. */
  latencyMs: number;
  /**
   * Roofline time / latency: the fraction of dense peak FLOPs or of HBM bandwidth, whichever
   * bounds the shape (for collectives: bus bandwidth as a fraction of the scale-up link).
   */
  utilisation?: number;
  /** Measured neighbours the prediction was made from (grid corners with non-zero weight). */
  points: LookupPoint[];
  /** True if a coordinate lay outside the measured range, or a grid corner had to be filled. */
  extrapolated: boolean;
  /** Max |log2(requested / nearest measured)| over the size coordinates; 0 for a measured point. */
  reach: number;
  /** Table file and framework version. */
  source: string;
  /**
   * What the measurement does not represent, when known (e.g. a kernel measured without the
   * autotuning the engine runs at startup). See the table header's `caveats`.
   */
  caveat?: string;
  /**
   * A correction applied on top of the measured points (e.g. MoE `uniform` routing derived from
   * the `balanced` rows): factor on the interpolated latency, and why.
   */
  adjustment?: { factor: number; reason: string };
}

/** Peaks used for the data-error check and for roofline scaling outside the measured range. */
export interface Peaks {
  /** Dense tensor-core TFLOPS. fp4 is null where the chip has no FP4 tensor cores. */
  bf16Tflops: number;
  fp8Tflops: number;
  fp4Tflops: number | null;
  /** HBM bandwidth, TB/s. */
  hbmTBps: number;
  /** Scale-up (NVLink) bandwidth per GPU, one direction, GB/s. */
  linkGBps: number;
  /** Where these figures came from (hardware profile file, or the documented fallback). */
  source: string;
}

/** A row that failed the data-error rule, as written into a table header. */
export interface RejectedRow {
  row: Record<string, number | string>;
  reason: string;
}

export interface KernelTableHeader {
  format: "mantile-kernel-table/1";
  op: KernelOp;
  system: string;
  /** vllm | trtllm | sglang, or "nccl" for the NCCL table. */
  framework: string;
  frameworkVersion: string;
  device: string;
  /** Source parquet, relative to the shared/ directory. */
  source: string;
  license: string;
  /** Logical columns of every measured point, in order: key columns, axis column, latency_us. */
  columns: string[];
  /** Columns stored once per row (categorical values and the fixed size coordinates). */
  keyColumns: string[];
  /** The size coordinate that varies along a row; its values are `axes[row[keyColumns.length]]`. */
  axisColumn: string;
  /** Numeric columns interpolated over (log latency vs log size); the rest must match exactly. */
  interpolate: string[];
  /** Latency unit of the stored values; 4 significant digits. */
  latencyUnit: "us";
  encoding: string;
  /** How source columns map to these columns (renames, unit conversions). */
  mapping: Record<string, string>;
  /** Which source rows were kept, and why. */
  selection: string;
  peaks: Peaks;
  counts: { sourceRows: number; selected: number; rejected: number; duplicatesCollapsed: number; points: number };
  /** Source rows that measured the same shape with different kernels: the fastest is kept. */
  duplicates?: { rule: string; kept: Record<string, number> };
  /** Framework version strings seen in the rows, with counts (some tables mix builds). */
  versions: Record<string, number>;
  kernelSources: Record<string, number>;
  rejected: { count: number; byReason: Record<string, number>; first: RejectedRow[] };
  /** Known limits of what was measured, keyed by the family or kernel they apply to. */
  caveats?: Record<string, string>;
}

/**
 * A committed table: `rows[i] = [...keyValues, axisIndex, latencies]` where `latencies[j]` is the
 * latency in µs at size `axes[axisIndex][j]` of the axis column. Rows sharing a size list share
 * one entry of `axes`, which keeps the tables small.
 */
export type KernelTableRow = (string | number | number[])[];
export interface KernelTableFile {
  header: KernelTableHeader;
  axes: number[][];
  rows: KernelTableRow[];
}
