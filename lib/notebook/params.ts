/**
 * Parametrised notebooks, papermill-style, for the tslab (TypeScript) kernel.
 *
 * A notebook declares its parameters in ONE code cell tagged `parameters`, one declaration per line:
 *
 *     const input: string = "test/fixtures/importers/standard/results.csv";
 *     const calibrate: boolean = false;
 *
 * `injectParameters` adds (or replaces) a cell tagged `injected-parameters` right after it that
 * declares the given values again, with the same keyword and type annotation — tslab lets a later
 * cell redeclare a name, and the repeated annotation keeps the type as wide as the original (a bare
 * `const x = "none"` would narrow it to the literal "none"). The notebook itself runs unchanged with
 * its defaults; the executed copy shows exactly which values were injected.
 */
import { InputError } from "../core/validate";
import { cellSource, type NbCell, type Notebook } from "./ipynb";

export const PARAMETERS_TAG = "parameters";
export const INJECTED_TAG = "injected-parameters";

export type ParameterValue = string | number | boolean | null | string[] | number[];

export interface ParameterDecl {
  name: string;
  keyword: "const" | "let" | "var";
  /** The annotation as written, or null when the declaration has none. */
  type: string | null;
  /** The default value's source text. */
  defaultText: string;
}

const DECLARATION = /^\s*(const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*([^=]+?))?\s*=\s*(.+?);?\s*(?:\/\/.*)?$/;

function tags(c: NbCell): string[] {
  const t = (c.metadata as { tags?: unknown })?.tags;
  return Array.isArray(t) ? t.map(String) : [];
}

/** Index of the cell tagged `parameters`, or -1. */
export function parametersCellIndex(nb: Notebook): number {
  return nb.cells.findIndex((c) => c.cell_type === "code" && tags(c).includes(PARAMETERS_TAG));
}

/** The declarations of the `parameters` cell (lines that are not a declaration are ignored). */
export function parameterDeclarations(nb: Notebook): ParameterDecl[] {
  const i = parametersCellIndex(nb);
  if (i < 0) return [];
  const out: ParameterDecl[] = [];
  for (const line of cellSource(nb.cells[i]).split("\n")) {
    const m = DECLARATION.exec(line);
    if (m) out.push({ keyword: m[1] as ParameterDecl["keyword"], name: m[2], type: m[3]?.trim() || null, defaultText: m[4].trim() });
  }
  return out;
}

/** The TypeScript type of a value, for declarations without an annotation. */
function widenedType(v: ParameterValue): string {
  if (v === null) return "any";
  if (Array.isArray(v)) return (v as unknown[]).every((x) => typeof x === "number") ? "number[]" : "string[]";
  return typeof v;
}

/** A value as a TypeScript literal (JSON is valid TypeScript for these types). */
export function tsLiteral(v: ParameterValue): string {
  if (typeof v === "number" && !Number.isFinite(v)) throw new InputError(`parameter value ${v} is not a finite number`);
  return JSON.stringify(v);
}

/** Source of the injected cell for `params` (validated against the declarations). */
export function injectedSource(decls: ParameterDecl[], params: Record<string, ParameterValue>): string {
  const known = new Map(decls.map((d) => [d.name, d]));
  const lines = ["// Parameters injected by the notebook runner (they override the cell above)."];
  for (const [name, value] of Object.entries(params)) {
    const d = known.get(name);
    if (!d) throw new InputError(`notebook parameter "${name}" is not declared in its "parameters" cell; declared: ${[...known.keys()].join(", ") || "none"}`);
    lines.push(`${d.keyword} ${name}: ${d.type ?? widenedType(value)} = ${tsLiteral(value)};`);
  }
  return lines.join("\n");
}

/**
 * A copy of `nb` with `params` injected after its `parameters` cell (replacing an earlier injected
 * cell). No parameters: the copy is returned unchanged. Unknown names and a notebook without a
 * `parameters` cell are InputErrors.
 */
export function injectParameters(nb: Notebook, params: Record<string, ParameterValue>): Notebook {
  const copy = JSON.parse(JSON.stringify(nb)) as Notebook;
  if (Object.keys(params).length === 0) return copy;
  const at = parametersCellIndex(copy);
  if (at < 0) throw new InputError(`the notebook has no code cell tagged "${PARAMETERS_TAG}": tag the cell that declares its parameters`);
  const cell: NbCell = {
    cell_type: "code",
    id: "injected-parameters",
    metadata: { tags: [INJECTED_TAG] },
    source: injectedSource(parameterDeclarations(copy), params),
    outputs: [],
    execution_count: null,
  };
  const next = copy.cells[at + 1];
  if (next && tags(next).includes(INJECTED_TAG)) copy.cells[at + 1] = cell;
  else copy.cells.splice(at + 1, 0, cell);
  return copy;
}

/** The values a `--param NAME=VALUE` flag means: JSON when it parses (numbers, booleans, arrays), else the text. */
export function parseParameterFlag(flag: string): [string, ParameterValue] {
  const eq = flag.indexOf("=");
  if (eq <= 0) throw new InputError(`--param "${flag}": use NAME=VALUE, e.g. --param input=results.csv`);
  const name = flag.slice(0, eq);
  const text = flag.slice(eq + 1);
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || ["number", "boolean", "string"].includes(typeof v) || Array.isArray(v)) return [name, v as ParameterValue];
  } catch {
    /* plain text */
  }
  return [name, text];
}
