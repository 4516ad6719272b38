/**
 * Parameter injection (papermill-style, for tslab), report facts and provenance, the reports index,
 * and explained-value rows — without running a kernel.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { derive, fact } from "../../lib/core/explain";
import { InputError } from "../../lib/core/validate";
import { explainedRows } from "../../lib/notebook/explain-table";
import type { Notebook } from "../../lib/notebook/ipynb";
import { injectedSource, injectParameters, INJECTED_TAG, parameterDeclarations, parseParameterFlag } from "../../lib/notebook/params";
import { mantileVersion, readReportFacts, referencedDataFiles, REPORT_MIME, reportMetadata } from "../../lib/notebook/provenance";
import { reportIndexHtml, REPORT_SCHEMA, writeReportEntry, writeReportIndex, type ReportEntry } from "../../lib/notebook/report-index";
import { PROJECT_ROOT } from "../../lib/core/paths";

const code = (source: string, tags?: string[], outputs: Notebook["cells"][number]["outputs"] = []) => ({
  cell_type: "code" as const, source, metadata: tags ? { tags } : {}, outputs, execution_count: null,
});
const nbOf = (...cells: Notebook["cells"]): Notebook => ({ cells, metadata: {}, nbformat: 4, nbformat_minor: 5 });

const PARAMS = [
  'const input: string = "a.csv";  // your results',
  "let folds = 5;",
  "const calibrate: boolean = false;",
  "// not a declaration",
].join("\n");

describe("parameter injection", () => {
  it("reads one declaration per line: keyword, name, annotation", () => {
    const d = parameterDeclarations(nbOf(code("x;"), code(PARAMS, ["parameters"])));
    expect(d.map((x) => [x.keyword, x.name, x.type])).toEqual([
      ["const", "input", "string"],
      ["let", "folds", null],
      ["const", "calibrate", "boolean"],
    ]);
  });

  it("inserts an injected cell after the parameters cell, redeclaring with the same keyword and type", () => {
    const nb = nbOf(code("a"), code(PARAMS, ["parameters"]), code("b"));
    const out = injectParameters(nb, { input: "my results/x.csv", folds: 3, calibrate: true });
    expect(out.cells).toHaveLength(4);
    expect(out.cells[2].metadata).toEqual({ tags: [INJECTED_TAG] });
    // `let folds = 5` has no annotation: the type comes from the value (number).
    expect(String(out.cells[2].source).split("\n").slice(1)).toEqual([
      'const input: string = "my results/x.csv";',
      "let folds: number = 3;",
      "const calibrate: boolean = true;",
    ]);
    expect(nb.cells).toHaveLength(3); // the original is untouched
    // Injecting again replaces the injected cell instead of stacking a second one.
    const again = injectParameters(out, { folds: 7 });
    expect(again.cells).toHaveLength(4);
    expect(String(again.cells[2].source)).toContain("let folds: number = 7;");
  });

  it("no parameters: the notebook is returned as it is", () => {
    const nb = nbOf(code("a"));
    expect(injectParameters(nb, {})).toEqual(nb);
  });

  it("an undeclared name or a notebook without a parameters cell is an InputError naming the fix", () => {
    const decls = parameterDeclarations(nbOf(code(PARAMS, ["parameters"])));
    expect(() => injectedSource(decls, { inptu: "x" })).toThrow(/"inptu" is not declared.*declared: input, folds, calibrate/);
    expect(() => injectParameters(nbOf(code("a")), { input: "x" })).toThrow(InputError);
    expect(() => injectParameters(nbOf(code("a")), { input: "x" })).toThrow(/tag the cell/);
  });

  it("--param NAME=VALUE reads JSON values, else text", () => {
    expect(parseParameterFlag("folds=3")).toEqual(["folds", 3]);
    expect(parseParameterFlag("calibrate=true")).toEqual(["calibrate", true]);
    expect(parseParameterFlag("input=results/a.csv")).toEqual(["input", "results/a.csv"]);
    expect(parseParameterFlag('files=["a","b"]')).toEqual(["files", ["a", "b"]]);
    expect(parseParameterFlag("eq=a=b")).toEqual(["eq", "a=b"]);
    expect(() => parseParameterFlag("noequals")).toThrow(/NAME=VALUE/);
  });
});

describe("report facts and provenance", () => {
  it("facts are read back from the outputs, later calls overriding earlier ones key by key", () => {
    const out = (f: object) => [{ output_type: "display_data" as const, data: { [REPORT_MIME]: f, "text/plain": "" }, metadata: {} }];
    const nb = nbOf(
      code("a", undefined, out({ headline: [["rows", "1 of 2"], ["TTFT MAPE %", 30]], data: ["x.csv"] })),
      code("b", undefined, out({ headline: [["TTFT MAPE %", 12], ["E2E MAPE %", 9]], calibration: "none" })),
    );
    // Order kept (an array survives the notebook's sorted-key JSON): first-seen order, later values win.
    expect(readReportFacts(nb)).toEqual({ headline: [["rows", "1 of 2"], ["TTFT MAPE %", 12], ["E2E MAPE %", 9]], data: ["x.csv"], calibration: "none" });
    expect(readReportFacts(nbOf(code("c")))).toBeNull();
  });

  it("without declared data, files named in the code that exist are listed", () => {
    const nb = nbOf(code('readCsv("reconcile/by_model/openai_GPT-OSS-120B/inferencemax.csv"); load("data/nope.json"); x = "lib/core/csv.ts";'));
    expect(referencedDataFiles(nb)).toEqual(["reconcile/by_model/openai_GPT-OSS-120B/inferencemax.csv"]);
    const meta = reportMetadata(nb, null, { a: 1 });
    expect(meta.data_declared).toBe(false);
    expect(meta.calibration).toBe("not declared by the notebook");
    expect(meta.parameters).toEqual({ a: 1 });
  });

  it("the version is the package version and the checkout's commit", () => {
    const v = mantileVersion();
    expect(v.version).toBe(JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")).version);
    expect(v.commit).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe("reports index", () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-index-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const entry = (name: string, report: string): ReportEntry => ({
    schema: REPORT_SCHEMA, name, title: `Title of ${name}`, report, notebook: `${name}.ipynb`, ok: true,
    headline: [["throughput MAPE %", 6.1]], version: "Mantile 0.1.0, commit 0123456789ab", data: ["reconcile/x.csv"], data_declared: true,
    calibration: "auto: b200-vllm", parameters: {}, generated: "2026-01-01T00:00:00Z",
  });

  it("lists each report with its headline figures, data, calibration and version; drops entries whose report is gone", () => {
    fs.writeFileSync(path.join(dir, "01_a.html"), "<html></html>");
    writeReportEntry(dir, entry("01_a", "01_a.html"));
    writeReportEntry(dir, entry("02_gone", "02_gone.html")); // no HTML file
    const elsewhere = path.join(dir, "elsewhere");
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(elsewhere, "report.html"), "<html></html>");
    writeReportEntry(dir, entry("report-abc", path.join(elsewhere, "report.html")), true);
    const html = fs.readFileSync(writeReportIndex(dir), "utf8");
    expect(html).toContain('<a href="01_a.html">Title of 01_a</a>');
    expect(html).not.toContain("02_gone");
    expect(html).toContain(`href="file://${path.join(elsewhere, "report.html")}"`);
    expect(html).toContain("throughput MAPE %: <b>6.1</b>");
    expect(html).toContain("<code>reconcile/x.csv</code>");
    expect(html).toContain("auto: b200-vllm");
    expect(html).toContain("commit 0123456789ab");
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)=["']?https?:/i);
  });

  it("an empty folder says how to make reports", () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-index-empty-"));
    expect(reportIndexHtml(empty)).toContain("No reports yet");
    fs.rmSync(empty, { recursive: true });
  });
});

describe("explained rows", () => {
  it("one row per value of the tree, indented by depth, down to maxDepth", () => {
    // step = 2 ms + 0.5 ms; gpu = 4 layers × 0.5 ms.
    const layer = fact(0.0005, "s", "measurement", "kernel table gemm");
    const gpu = derive(0.002, "s", "layers × layer", { layers: fact(4, "", "config", "config.json num_hidden_layers"), layer });
    const step = derive(0.0025, "s", "gpu + host", { gpu, host: fact(0.0005, "s", "default", "engine host overhead") });
    const rows = explainedRows(step, "step", 1);
    expect(rows.map((r) => r.quantity)).toEqual(["step", "\u00a0\u00a0gpu", "\u00a0\u00a0host"]);
    expect(rows[0]).toMatchObject({ value: 0.0025, unit: "s", formula: "gpu + host", source: "derived" });
    expect(rows[2]).toMatchObject({ formula: "", source: "default: engine host overhead" });
    expect(explainedRows(step, "step", 2)).toHaveLength(5);
  });
});
