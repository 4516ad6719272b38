import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { DATA_DIR } from "./paths";
import { parseOrThrow } from "./validate";

/** Tensor-core rates a chip can have (dense peaks are given per compute dtype). */
export const ComputeDtype = z.enum(["bf16", "fp16", "fp8", "fp4", "int8", "int4"]);
export type ComputeDtype = z.infer<typeof ComputeDtype>;

export const Dtype = z.enum(["fp32", "bf16", "fp16", "fp8", "fp8-block", "nvfp4", "mxfp4", "int8", "int4"], {
  errorMap: () => ({ message: "use one of fp32, bf16, fp16, fp8, fp8-block, nvfp4, mxfp4, int8, int4" }),
});
export type Dtype = z.infer<typeof Dtype>;

const DtypeInfo = z.object({
  element_bits: z.number().positive(),
  scale_bits: z.number().nonnegative(),
  block_elements: z.number().positive(),
  compute: z.enum(["bf16", "fp8", "fp4", "int8"]),
  source: z.string(),
});
const DtypeFile = z.object({ _about: z.string(), dtypes: z.record(Dtype, DtypeInfo) });

const table = parseOrThrow(DtypeFile, JSON.parse(fs.readFileSync(path.join(DATA_DIR, "dtypes.json"), "utf8")), "data/dtypes.json").dtypes;

export function dtypeInfo(d: Dtype) {
  const info = table[d];
  if (!info) throw new Error(`data/dtypes.json has no entry for ${d}`);
  return info;
}

/** Bytes per stored element including block-scale overhead. */
export function bytesPerElement(d: Dtype): number {
  const i = dtypeInfo(d);
  return (i.element_bits + i.scale_bits / i.block_elements) / 8;
}

/** The tensor-core rate a matmul with these weights runs at (weights-only formats run at bf16). */
export function computeDtypeOf(d: Dtype): ComputeDtype {
  return dtypeInfo(d).compute;
}
