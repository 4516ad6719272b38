import { InputError } from "../core/validate";
import type { KernelTableChoice } from "../step/kernel-source";

const OPS = ["gemm", "attention", "moe", "comm"] as const;

/** --no-tables / --table-ops LIST → the step model's kernel-table choice. */
export function tableChoice(f: Record<string, unknown>): KernelTableChoice {
  if (f["no-tables"]) return false;
  if (typeof f["table-ops"] !== "string") return true;
  const list = f["table-ops"].split(",").map((s) => s.trim()).filter(Boolean);
  if (list.length === 1 && list[0] === "none") return false;
  for (const x of list) if (!(OPS as readonly string[]).includes(x)) throw new InputError(`--table-ops: "${x}" is not an op family; use ${OPS.join(", ")} or none`);
  return list as KernelTableChoice;
}
