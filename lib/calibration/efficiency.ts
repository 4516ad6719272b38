import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { fact, type Explained, type SourceKind } from "../core/explain";
import { DATA_DIR } from "../core/paths";
import { InputError, parseOrThrow } from "../core/validate";

export const FACTOR_NAMES = [
  "gemm_compute",
  "moe_compute",
  "moe_overlap",
  "moe_routing_skew",
  "attention_compute",
  "memory_bandwidth",
  "memory_latency_us",
  "comm_bandwidth",
  "kernel_gap_graph_us",
  "kernel_gap_eager_us",
] as const;
export type FactorName = (typeof FACTOR_NAMES)[number];

const Factor = z.object({
  value: z.number().nonnegative(),
  unit: z.string(),
  min: z.number(),
  max: z.number(),
  source: z.string(),
});
const File = z.object({ _about: z.string(), factors: z.record(z.enum(FACTOR_NAMES), Factor) });

export interface EfficiencyFactor {
  value: number;
  unit: string;
  min: number;
  max: number;
  kind: SourceKind;
  source: string;
}
export type Efficiency = Record<FactorName, EfficiencyFactor>;

let defaults: Efficiency | undefined;

export function defaultEfficiency(): Efficiency {
  if (!defaults) {
    const file = path.join(DATA_DIR, "efficiency", "defaults.json");
    const f = parseOrThrow(File, JSON.parse(fs.readFileSync(file, "utf8")), "data/efficiency/defaults.json");
    const out = {} as Efficiency;
    for (const n of FACTOR_NAMES) {
      const x = f.factors[n];
      if (!x) throw new InputError(`data/efficiency/defaults.json: factor ${n} is missing`);
      // Fields named one by one: notebooks compile without strict null checks, where zod's inferred fields are optional.
      out[n] = { value: x.value as number, unit: x.unit as string, min: x.min as number, max: x.max as number, kind: "default", source: `data/efficiency/defaults.json: ${x.source}` };
    }
    defaults = out;
  }
  return { ...defaults };
}

/** Replace factors (user overrides or calibration), checking each stays inside its bounds. */
export function withFactors(base: Efficiency, values: Partial<Record<FactorName, number>>, kind: SourceKind, source: string): Efficiency {
  const out = { ...base };
  for (const [k, v] of Object.entries(values) as [FactorName, number][]) {
    if (v === undefined) continue;
    const f = base[k];
    if (!f) throw new InputError(`unknown efficiency factor "${k}": use one of ${FACTOR_NAMES.join(", ")}`);
    if (!(v >= f.min && v <= f.max)) {
      throw new InputError(`efficiency factor ${k} = ${v} is outside its physical range [${f.min}, ${f.max}] (${f.unit})`);
    }
    out[k] = { ...f, value: v, kind, source };
  }
  return out;
}

export function factorFact(e: Efficiency, n: FactorName): Explained {
  const f = e[n];
  return fact(f.value, f.unit, f.kind, f.source);
}
