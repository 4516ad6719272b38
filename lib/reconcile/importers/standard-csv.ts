/** The standard CSV itself (lib/reconcile/standard.ts): checked for the columns a prediction needs, passed through unchanged. */
import { readCsv } from "../../core/csv";
import { InputError } from "../../core/validate";
import { ConfigRow } from "../standard";
import { Assumptions, fileError, inputFiles, type ImportResult } from "./common";

/** Columns without which no row can be predicted (the others have defaults, recorded by convert). */
const REQUIRED = Object.entries(ConfigRow.shape)
  .filter(([, s]) => !s.isOptional())
  .map(([k]) => k);

export function importStandard(input: string): ImportResult {
  const files = inputFiles(input, (f) => f.toLowerCase().endsWith(".csv"));
  if (files.length !== 1) throw new InputError(`--input ${input}: the standard format reads one CSV file (found ${files.length}); fix: name the file`);
  const file = files[0];
  const { columns, rows } = readCsv(file);
  if (columns.length === 0) throw new InputError(`${file}: the CSV is empty; fix: give a header line and one row per configuration`);
  for (const c of REQUIRED) {
    if (!columns.includes(c)) throw fileError(file, c, "is not a column", `add a "${c}" column (standard columns: lib/reconcile/standard.ts), or choose the tool's --format`);
  }
  const a = new Assumptions();
  a.add(file, "rows", "as given", "standard CSV: every column carried through unchanged");
  return { format: "standard", sources: [file], columns, rows, assumptions: a.list() };
}
