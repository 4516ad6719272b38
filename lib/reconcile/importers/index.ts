/**
 * Benchmark results as people have them → the standard CSV, with every mapping assumption recorded.
 * One importer per tool (see each file for the tool's layout and its source); `detect.ts` for --format auto.
 */
import * as fs from "fs";
import * as path from "path";
import { writeCsv } from "../../core/csv";
import { InputError } from "../../core/validate";
import { FORMATS, type Format, type ImportOverrides, type ImportResult } from "./common";
import { detectFormat } from "./detect";
import { importGenaiPerf } from "./genai-perf";
import { importInferenceMax } from "./inferencemax";
import { importStandard } from "./standard-csv";
import { importTrtllmBench } from "./trtllm-bench";
import { importVllmBench } from "./vllm-bench";

export { FORMATS, IMPORT_COLUMNS, LOAD_COLUMNS, type Format, type ImportAssumption, type ImportOverrides, type ImportResult } from "./common";
export { detectFormat } from "./detect";

const IMPORTERS: Record<Format, (input: string, o: ImportOverrides) => ImportResult> = {
  standard: (input) => importStandard(input),
  inferencemax: (input) => importInferenceMax(input),
  "vllm-bench": importVllmBench,
  "trtllm-bench": importTrtllmBench,
  "genai-perf": importGenaiPerf,
};

/** Import `input` (a file or a folder) in `format` ("auto": detected from the content). */
export function importResults(input: string, format: Format | "auto" = "auto", overrides: ImportOverrides = {}): ImportResult {
  const fmt = format === "auto" ? detectFormat(input) : format;
  if (!FORMATS.includes(fmt)) throw new InputError(`--format "${String(format)}" is not known; use auto, ${FORMATS.join(", ")}`);
  const r = IMPORTERS[fmt](input, overrides);
  if (r.rows.length === 0) throw new InputError(`--input ${input}: no result rows in ${r.sources.join(", ")}; fix: give files with at least one run`);
  return r;
}

const mdCell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** assumptions.md: one table row per mapping choice, and the files it applies to. */
export function assumptionsMarkdown(r: ImportResult, input: string): string {
  const lines = [
    `# How the results were read`,
    "",
    `Input: \`${input}\` — format **${r.format}**, ${r.sources.length} file(s), ${r.rows.length} row(s).`,
    "Every value the standard CSV has that the files did not state directly is listed here, with why.",
    "",
    "| what | value | why | applies to |",
    "| --- | --- | --- | --- |",
  ];
  for (const a of r.assumptions) {
    const applies = a.applies.length > 3 ? `${a.applies.slice(0, 3).join(", ")} and ${a.applies.length - 3} more` : a.applies.join(", ");
    lines.push(`| ${mdCell(a.what)} | ${mdCell(a.value)} | ${mdCell(a.why)} | ${mdCell(applies)} |`);
  }
  lines.push("", "Files read:", "", ...r.sources.map((s) => `- \`${s}\``), "");
  return lines.join("\n");
}

/** Write the standard CSV and the assumptions (Markdown and JSON) into `dir`; returns their paths. */
export function writeImport(dir: string, r: ImportResult, input: string, csvName = "benchmark.csv"): { csv: string; assumptionsMd: string; assumptionsJson: string } {
  fs.mkdirSync(dir, { recursive: true });
  const csv = path.join(dir, csvName);
  writeCsv(csv, r.columns, r.rows);
  const assumptionsMd = path.join(dir, "assumptions.md");
  fs.writeFileSync(assumptionsMd, assumptionsMarkdown(r, input));
  const assumptionsJson = path.join(dir, "assumptions.json");
  fs.writeFileSync(assumptionsJson, JSON.stringify({ input, format: r.format, sources: r.sources, rows: r.rows.length, assumptions: r.assumptions }, null, 2) + "\n");
  return { csv, assumptionsMd, assumptionsJson };
}
