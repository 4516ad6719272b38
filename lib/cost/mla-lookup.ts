/**
 * The MLA kernel-table keys (context / generation MLA, absorbed BMMs) and the geometry they were measured at.
 * Apart from ./mla.ts so that ./gemm.ts can read the BMM tables without an import cycle (tslab's loader recurses on one).
 */
import type { Dtype } from "../core/dtypes";
import type { KernelLookup, KernelTables } from "../kernels/index";
import { MLA } from "../kernels/index";
import type { AttentionSpec } from "../model/ir";
import type { Op } from "./op";

/** KV dtypes the MLA tables were measured with. */
const MLA_KV_DTYPE: Partial<Record<Dtype, string>> = { bf16: "bf16", fp16: "bf16", fp8: "fp8" };

/** Whether a layer has the geometry aiconfigurator measured MLA at (lib/kernels/ops-mla.ts MLA). */
export function mlaTableGeometry(a: AttentionSpec): boolean {
  const m = a.mla!;
  return m.kvLoraRank === MLA.kvLoraRank && m.ropeHeadDim === MLA.qkRopeHeadDim && m.nopeHeadDim === MLA.qkNopeHeadDim && a.vHeadDim === MLA.vHeadDim;
}

/**
 * Dtype of the absorbed BMMs: fp8 when the K/V projection weights are quantised, else bf16 — as
 * aiconfigurator keys them (sdk/models/deepseek.py `mla_bmm_quant_mode`: W_UK/W_UV inherit kv_b's dtype).
 */
export function mlaBmmDtype(wd: Dtype): "bf16" | "fp8" {
  return wd === "bf16" || wd === "fp16" || wd === "fp32" ? "bf16" : "fp8";
}

/** The MLA kernel-table lookup of an MLA attention op (undefined: roofline). */
export function mlaLookup(t: KernelTables, op: Op, promptLength: (op: Op) => number, lengthKey: (x: number) => number): KernelLookup | undefined {
  const a = op.attention!;
  const kv = MLA_KV_DTYPE[a.kvDtype];
  if (!kv || !op.mla!.tables || a.seqs <= 0) return undefined;
  const shape = { batch: Math.max(1, Math.round(a.seqs)), heads: a.heads, kvDtype: kv };
  if (a.phase === "decode") return t.generationMla({ ...shape, kvLen: lengthKey(a.kvRead / a.seqs) });
  return t.contextMla({ ...shape, seqLen: promptLength(op) });
}

/** The absorbed-BMM lookup: the op's dtype, else bf16 (vLLM measured only bf16 BMMs). */
export function mlaBmmLookup(t: KernelTables, op: Op): KernelLookup | undefined {
  const b = op.bmm!;
  const q = { op: b.op, tokens: Math.max(1, Math.ceil(b.tokens)), heads: b.heads };
  return t.mlaBmm({ ...q, dtype: b.dtype }) ?? (b.dtype === "bf16" ? undefined : t.mlaBmm({ ...q, dtype: "bf16" }));
}
