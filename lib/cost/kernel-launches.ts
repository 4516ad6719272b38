/** Kernel launches per op kind (data/cost/kernel-launches.json): each costs one kernel gap in the step. */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { DATA_DIR } from "../core/paths";
import { parseOrThrow } from "../core/validate";

const Count = z.object({ value: z.number().int().nonnegative(), source: z.string() });
const File = z.object({
  _about: z.string(),
  launches: z.object({ gemm: Count, attention: Count, moe: Count, elementwise: Count, comm: Count }).strict(),
});

const file = path.join(DATA_DIR, "cost", "kernel-launches.json");
const data = parseOrThrow(File, JSON.parse(fs.readFileSync(file, "utf8")), "data/cost/kernel-launches.json").launches;

/** Launches of one op of this kind. */
export const LAUNCHES: Record<"gemm" | "attention" | "moe" | "elementwise" | "comm", number> = {
  gemm: data.gemm.value as number,
  attention: data.attention.value as number,
  moe: data.moe.value as number,
  elementwise: data.elementwise.value as number,
  comm: data.comm.value as number,
};
