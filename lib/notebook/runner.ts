/**
 * Running one notebook headless: inject its parameters (params.ts), execute it with nbexec.py
 * (nbclient + the tslab kernel), save the executed notebook tidied for committing, render a
 * self-contained HTML report (template `mantile`, plotly.js embedded once) whose header and footer
 * state the Mantile version, data files and calibration, and write the report's JSON for the index
 * (report-index.ts). Used by scripts/notebooks.ts (`npm run notebooks`) and `mantile reconcile`.
 */
import { spawn, spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../core/paths";
import { cellSource, countPlotOutputs, embedPlotlyBundle, errorCells, stringifyNotebook, tidyExecutedNotebook, type ErrorCell, type Notebook } from "./ipynb";
import { injectParameters, type ParameterValue } from "./params";
import { readReportFacts, reportMetadata, type DeclaredFacts, type ReportMetadata } from "./provenance";
import { plotlyBundlePath } from "./render";
import { REPORT_SCHEMA, writeReportEntry, type ReportEntry } from "./report-index";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const kernelSpec = require("./kernel/spec.js") as { KERNEL_NAME: string; writeKernelSpec(dir: string, node?: string): boolean };

const TEMPLATE_DIR = path.join(PROJECT_ROOT, "lib", "notebook", "templates");
export const NBEXEC = path.join(PROJECT_ROOT, "lib", "notebook", "nbexec.py");
/** Committed notebooks stay small enough to review and diff. */
export const MAX_NOTEBOOK_BYTES = 2 * 1024 * 1024;
/** Time the runner allows beyond the notebook timeout for the kernel to start and the file to be written. */
const RUNNER_SLACK_SEC = 90;
/** nbconvert's HTML export of one notebook (most of it spent loading Jupyter). */
const REPORT_TIMEOUT_MS = 300_000;
/** Between SIGTERM and SIGKILL of a child that ran out of time. */
const KILL_GRACE_MS = 10_000;

export interface NotebookResult {
  name: string;
  notebook: string;
  report: string | null;
  ok: boolean;
  codeCells: number;
  executedCells: number;
  plots: number;
  errors: ErrorCell[];
  /** Failure outside any cell (kernel did not start, runner timeout, …). */
  failure: string | null;
  execSeconds: number;
  reportSeconds: number;
  bytes: number;
  reportBytes: number;
  bundlesStripped: number;
  /** What the notebook declared with reportFacts(), if anything. */
  facts: DeclaredFacts | null;
}

export interface RunOptions {
  /** Where the executed notebook goes (default: beside the source, i.e. in place). */
  outDir: string | null;
  reportsDir: string;
  /** Per-notebook execution timeout, seconds. */
  timeout: number;
  report: boolean;
  /** Values for the notebook's `parameters` cell. */
  params?: Record<string, ParameterValue>;
  /** Name of the executed notebook and report files (default: the notebook's name). */
  name?: string;
  /** Register the report in `reportsDir/external` (the report lives elsewhere) instead of beside it. */
  indexDir?: string;
  /** Largest executed notebook accepted (default MAX_NOTEBOOK_BYTES, for committed notebooks; Infinity for user reports). */
  maxNotebookBytes?: number;
}

/** A python3 that has nbclient and nbconvert (Debian's first), or null. */
export function findPython(): string | null {
  const candidates = [process.env.MANTILE_PYTHON, "/usr/bin/python3", "python3"].filter(Boolean) as string[];
  for (const py of candidates) {
    const r = spawnSync(py, ["-c", "import nbclient, nbconvert, nbformat, jupyter_client"], { stdio: "ignore" });
    if (r.status === 0) return py;
  }
  return null;
}

/**
 * A private Jupyter data dir holding Mantile's "tslab" kernel spec, so runs do not depend on
 * what is registered globally (JUPYTER_DATA_DIR comes first in Jupyter's search path).
 */
export function privateJupyterDir(): string {
  const dir = path.join(PROJECT_ROOT, ".cache", "jupyter");
  kernelSpec.writeKernelSpec(path.join(dir, "kernels", kernelSpec.KERNEL_NAME));
  return dir;
}

export function childEnv(jupyterDir: string): NodeJS.ProcessEnv {
  const bin = path.join(PROJECT_ROOT, "node_modules", ".bin");
  return {
    ...process.env,
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
    JUPYTER_DATA_DIR: jupyterDir,
    JUPYTER_RUNTIME_DIR: path.join(jupyterDir, "runtime"),
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };
}

interface Proc {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Proc> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), KILL_GRACE_MS).unref();
    }, opts.timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: `${stderr}${e.message}`, timedOut });
    });
  });
}

interface ExecSummary {
  ok: boolean;
  executed: number[];
  error: { index?: number; ename: string; evalue: string } | null;
  seconds: number;
}

let bundleCache: string | null = null;
function plotlyBundle(): string {
  bundleCache ??= fs.readFileSync(plotlyBundlePath(), "utf8");
  return bundleCache;
}

/** The notebook's title: its first Markdown heading, else its file name. */
export function notebookTitle(nb: Notebook, fallback: string): string {
  for (const c of nb.cells) {
    if (c.cell_type !== "markdown") continue;
    const m = /^#\s+(.+)$/m.exec(cellSource(c));
    if (m) return m[1].trim();
  }
  return fallback;
}

function emptyResult(name: string, notebook: string): NotebookResult {
  return {
    name, notebook, report: null, ok: false, codeCells: 0, executedCells: 0, plots: 0, errors: [], failure: null,
    execSeconds: 0, reportSeconds: 0, bytes: 0, reportBytes: 0, bundlesStripped: 0, facts: null,
  };
}

/** Execute one notebook, save it, build its report. */
export async function runNotebook(file: string, o: RunOptions, py: string, jupyterDir: string): Promise<NotebookResult> {
  const name = o.name ?? path.basename(file, ".ipynb");
  const outDir = o.outDir ?? path.dirname(file);
  fs.mkdirSync(outDir, { recursive: true });
  const outFile = path.join(outDir, `${name}.ipynb`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-nb-"));
  const env = childEnv(jupyterDir);
  const res = emptyResult(name, outFile);
  try {
    const input = path.join(tmp, `${name}.in.ipynb`);
    fs.writeFileSync(input, stringifyNotebook(injectParameters(JSON.parse(fs.readFileSync(file, "utf8")) as Notebook, o.params ?? {})));
    const rawOut = path.join(tmp, `${name}.ipynb`);
    const t0 = Date.now();
    const p = await run(py, [NBEXEC, input, rawOut, "--cwd", path.dirname(file), "--timeout", String(o.timeout)], {
      cwd: path.dirname(file),
      env,
      timeoutMs: (o.timeout + RUNNER_SLACK_SEC) * 1000,
    });
    res.execSeconds = (Date.now() - t0) / 1000;
    let summary: ExecSummary | null = null;
    try {
      summary = JSON.parse(p.stdout.trim().split("\n").pop() ?? "") as ExecSummary;
    } catch {
      summary = null;
    }
    if (!summary || !fs.existsSync(rawOut)) {
      res.failure = p.timedOut
        ? `runner timeout: no result within ${o.timeout + RUNNER_SLACK_SEC} s`
        : `nbexec failed (exit ${p.code}): ${p.stderr.trim().split("\n").slice(-8).join("\n")}`;
      return res;
    }
    const nb = JSON.parse(fs.readFileSync(rawOut, "utf8")) as Notebook;
    const tidy = tidyExecutedNotebook(nb, new Set(summary.executed));
    res.bundlesStripped = tidy.bundlesStripped;
    res.codeCells = nb.cells.filter((c) => c.cell_type === "code").length;
    res.executedCells = tidy.codeCells;
    res.plots = countPlotOutputs(nb);
    res.errors = errorCells(nb);
    res.facts = readReportFacts(nb);
    if (summary.error && res.errors.length === 0) res.failure = `${summary.error.ename}: ${summary.error.evalue}`;
    const text = stringifyNotebook(nb);
    fs.writeFileSync(outFile, text);
    res.bytes = Buffer.byteLength(text);
    const limit = o.maxNotebookBytes ?? MAX_NOTEBOOK_BYTES;
    if (res.bytes > limit) {
      res.failure = `executed notebook is ${(res.bytes / 1e6).toFixed(2)} MB, over the ${(limit / 1e6).toFixed(0)} MB limit for committed notebooks`;
    }
    const meta = reportMetadata(nb, res.facts, o.params ?? {});
    if (o.report) await writeReport({ ...nb, metadata: { ...nb.metadata, mantile: meta } }, res, o, { py, env, tmp, outDir, name });
    res.ok = res.errors.length === 0 && res.failure === null;
    if (res.report) writeEntry(nb, meta, res, o);
    return res;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * HTML report from the executed notebook: a copy carrying the provenance metadata (never the saved
 * notebook, so committed notebooks stay byte-identical between runs) goes through nbconvert.
 */
async function writeReport(withMeta: Notebook, res: NotebookResult, o: RunOptions, ctx: { py: string; env: NodeJS.ProcessEnv; tmp: string; outDir: string; name: string }): Promise<void> {
  const t1 = Date.now();
  const metaFile = path.join(ctx.tmp, "report", `${ctx.name}.ipynb`);
  fs.mkdirSync(path.dirname(metaFile), { recursive: true });
  fs.writeFileSync(metaFile, stringifyNotebook(withMeta));
  const h = await run(
    ctx.py,
    ["-m", "nbconvert", "--to", "html", `--TemplateExporter.extra_template_basedirs=${TEMPLATE_DIR}`, "--template", "mantile", "--output-dir", ctx.tmp, "--output", `${ctx.name}.html`, metaFile],
    { cwd: ctx.outDir, env: ctx.env, timeoutMs: REPORT_TIMEOUT_MS },
  );
  const htmlTmp = path.join(ctx.tmp, `${ctx.name}.html`);
  if (h.code !== 0 || !fs.existsSync(htmlTmp)) {
    res.failure ??= `HTML report failed (exit ${h.code}): ${h.stderr.trim().split("\n").slice(-5).join("\n")}`;
  } else {
    const html = embedPlotlyBundle(fs.readFileSync(htmlTmp, "utf8"), plotlyBundle());
    fs.mkdirSync(o.reportsDir, { recursive: true });
    res.report = path.join(o.reportsDir, `${ctx.name}.html`);
    fs.writeFileSync(res.report, html);
    res.reportBytes = Buffer.byteLength(html);
  }
  res.reportSeconds = (Date.now() - t1) / 1000;
}

/** Hex digits of the path hash naming an external report's entry (two reports in different folders never share it). */
const EXTERNAL_ID_DIGITS = 10;

/** The report's JSON for the index: beside the report, and registered in `indexDir` when given. */
function writeEntry(nb: Notebook, meta: ReportMetadata, res: NotebookResult, o: RunOptions): void {
  const entry: ReportEntry = {
    schema: REPORT_SCHEMA, name: res.name, title: typeof o.params?.title === "string" && o.params.title ? o.params.title : notebookTitle(nb, res.name), report: path.basename(res.report!),
    notebook: res.notebook, ok: res.ok, headline: res.facts?.headline ?? [], ...meta,
  };
  writeReportEntry(o.reportsDir, entry);
  if (o.indexDir && path.resolve(o.indexDir) !== path.resolve(o.reportsDir)) {
    const report = path.resolve(res.report!);
    const id = createHash("sha256").update(report).digest("hex").slice(0, EXTERNAL_ID_DIGITS);
    writeReportEntry(o.indexDir, { ...entry, name: `${res.name}-${id}`, report }, true);
  }
}

export function describeResult(r: NotebookResult): string {
  const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
  const parts = [
    r.ok ? "ok" : "FAILED",
    `${r.executedCells}/${r.codeCells} code cells`,
    `${r.plots} plot(s)`,
    `run ${r.execSeconds.toFixed(1)} s`,
    ...(r.report ? [`report ${r.reportSeconds.toFixed(1)} s (${(r.reportBytes / 1e6).toFixed(1)} MB)`] : []),
    `notebook ${kb(r.bytes)}`,
    ...(r.bundlesStripped ? [`${r.bundlesStripped} inlined plotly bundle(s) stripped`] : []),
  ];
  return `${r.name}: ${parts.join(", ")}`;
}
