/**
 * No lib file imports itself through others: tslab's module loader (notebooks) recurses forever on an import
 * cycle ("Maximum call stack size exceeded" in __importStar), although Node's CommonJS loader tolerates one.
 * Type-only imports are erased and do not count.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";

const LIB = path.join(__dirname, "..", "..", "lib");

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

/** Value imports (not `import type`, not `export type`) of a file, resolved to lib files. */
function imports(file: string): string[] {
  const src = fs.readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of src.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+"(\.[^"]+)"/gms)) {
    const target = path.resolve(path.dirname(file), m[1]) + ".ts";
    if (fs.existsSync(target)) out.push(target);
  }
  return out;
}

describe("lib has no import cycles", () => {
  it("every value import chain ends", () => {
    const graph = new Map(files(LIB).map((f) => [f, imports(f)]));
    const state = new Map<string, "visiting" | "done">();
    const cycles: string[] = [];
    const visit = (f: string, stack: string[]) => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "visiting") {
        cycles.push([...stack.slice(stack.indexOf(f)), f].map((x) => path.relative(LIB, x)).join(" → "));
        return;
      }
      state.set(f, "visiting");
      for (const g of graph.get(f) ?? []) visit(g, [...stack, f]);
      state.set(f, "done");
    };
    for (const f of graph.keys()) visit(f, []);
    expect(cycles).toEqual([]);
  });
});
