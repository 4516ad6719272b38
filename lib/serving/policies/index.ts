/** Scheduler policies by the name engine profiles select them with (data/engines/*.json `scheduling`). */
import { InputError } from "../../core/validate";
import type { SchedulerPolicy } from "../scheduler";
import { DECODE_FIRST } from "./decode-first";

const POLICIES: Record<string, SchedulerPolicy> = { [DECODE_FIRST.name]: DECODE_FIRST };

export function policyFor(name: string): SchedulerPolicy {
  const p = POLICIES[name];
  if (!p) throw new InputError(`scheduling "${name}" is not a known scheduler policy: use one of ${Object.keys(POLICIES).join(", ")}`);
  return p;
}
