/**
 * An explained value (lib/core/explain.ts) as table rows: one row per value in its formula tree,
 * indented by depth, with the formula that produced it and where each input came from.
 */
import type { Explained } from "../core/explain";

/** A type alias, not an interface, so rows pass as `Record<string, unknown>` to table(). */
export type ExplainedRow = {
  quantity: string;
  value: number;
  unit: string;
  formula: string;
  source: string;
};

/** Indent of one tree level in the quantity column (non-breaking spaces survive HTML). */
const INDENT = "\u00a0\u00a0";

/** Rows of `x`'s tree, down to `maxDepth` levels below it (0: the value alone). */
export function explainedRows(x: Explained, name: string, maxDepth = 2): ExplainedRow[] {
  const out: ExplainedRow[] = [];
  const walk = (v: Explained, n: string, depth: number) => {
    out.push({
      quantity: `${INDENT.repeat(depth)}${n}`,
      value: v.value,
      unit: v.unit,
      formula: v.formula === "given" ? "" : v.formula,
      // A derived value's provenance repeats its formula: say only "derived" then.
      source: v.provenance.kind === "derived" && v.provenance.source === v.formula ? "derived" : `${v.provenance.kind}: ${v.provenance.source}`,
    });
    if (depth < maxDepth) for (const [k, child] of Object.entries(v.inputs)) walk(child, k, depth + 1);
  };
  walk(x, name, 0);
  return out;
}
