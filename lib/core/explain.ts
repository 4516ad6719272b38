import { z } from "zod";

/**
 * Explainable numbers: every reported figure carries its unit, the formula that produced it,
 * the inputs it used and where each input came from.
 */

/** Where a value came from. */
export type SourceKind =
  | "config" // a field of the model's Hugging Face config.json
  | "derived" // computed from other explained values
  | "data" // a committed data file (hardware profile, engine profile, table)
  | "measurement" // a measured kernel latency or benchmark figure
  | "override" // given by the user for this run
  | "calibration" // fitted by `mantile calibrate`
  | "default" // a documented default of this library
  | "assumption"; // a mapping choice that is not a plain fact

export interface Provenance {
  kind: SourceKind;
  /** Human-readable origin: file and field, formula name, flag, … */
  source: string;
}

export interface Explained {
  value: number;
  unit: string;
  /** The formula as text, in terms of the keys of `inputs`. Leaves use the input's own name. */
  formula: string;
  inputs: Record<string, Explained>;
  provenance: Provenance;
}

/** A leaf value: a fact with a source. */
export function fact(value: number, unit: string, kind: SourceKind, source: string): Explained {
  return { value, unit, formula: "given", inputs: {}, provenance: { kind, source } };
}

/** A value computed from named inputs. */
export function derive(
  value: number,
  unit: string,
  formula: string,
  inputs: Record<string, Explained>,
): Explained {
  if (!Number.isFinite(value)) {
    const shown = Object.entries(inputs)
      .map(([k, v]) => `${k}=${v.value}`)
      .join(", ");
    throw new Error(`non-finite result for "${formula}" (${shown})`);
  }
  return { value, unit, formula, inputs, provenance: { kind: "derived", source: formula } };
}

/** Render an explained value as an indented text tree (for CLI and notebooks). */
export function explainText(x: Explained, name = "value", depth = 0, maxDepth = 6): string {
  const pad = "  ".repeat(depth);
  const head =
    x.formula === "given"
      ? `${pad}${name} = ${formatNumber(x.value)} ${x.unit}  [${x.provenance.kind}: ${x.provenance.source}]`
      : `${pad}${name} = ${x.formula} = ${formatNumber(x.value)} ${x.unit}`;
  if (depth >= maxDepth) return head;
  const kids = Object.entries(x.inputs).map(([k, v]) => explainText(v, k, depth + 1, maxDepth));
  return [head, ...kids].join("\n");
}

export function formatNumber(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e15 || a < 1e-4) return v.toExponential(3);
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  return Number(v.toPrecision(4)).toString();
}

/** A figure in a data file (hardware, engine profile, …) with a unit and where it came from. `uncertain` marks figures sources disagree on. */
export const Fact = z
  .object({
    value: z.number().nonnegative(),
    unit: z.string().min(1),
    source: z.string().min(3, "every figure needs a source (file, datasheet, page)"),
    uncertain: z.boolean().optional(),
  })
  .strict();
export type Fact = z.infer<typeof Fact>;

/** A choice that is not a plain fact of the inputs (a mapping, a default, a transfer), with the reason for it. */
export interface Assumption {
  what: string;
  value: string;
  why: string;
}
