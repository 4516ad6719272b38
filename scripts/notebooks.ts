/**
 * Notebook runner: executes notebooks/*.ipynb headless, one at a time, saves each executed
 * notebook (outputs included, execution counts 1..n, no inlined plotly.js) and writes a
 * self-contained offline HTML report per notebook to reports/<name>.html (plotly.js embedded once).
 *
 *   npm run notebooks [-- NAME…] [--out-dir DIR] [--reports-dir DIR] [--timeout SEC]
 *                     [--no-report] [--summary FILE]
 *
 * NAME matches a notebook by file name, with or without .ipynb, or by prefix ("02").
 * Exits 1 if any notebook has an error cell (or failed to run), 2 on bad usage or setup.
 * Needs Jupyter (python3 with nbclient + nbconvert) and Chromium: `npm start` installs them.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/core/paths";
import {
  countPlotOutputs,
  embedPlotlyBundle,
  errorCells,
  stringifyNotebook,
  tidyExecutedNotebook,
  type ErrorCell,
  type Notebook,
} from "../lib/notebook/ipynb";
import { plotlyBundlePath } from "../lib/notebook/render";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const kernelSpec = require("../lib/notebook/kernel/spec.js") as {
  KERNEL_NAME: string;
  writeKernelSpec(dir: string, node?: string): boolean;
};

const NOTEBOOK_DIR = path.join(PROJECT_ROOT, "notebooks");
const TEMPLATE_DIR = path.join(PROJECT_ROOT, "lib", "notebook", "templates");
export const NBEXEC = path.join(PROJECT_ROOT, "lib", "notebook", "nbexec.py");
const MAX_NOTEBOOK_BYTES = 2 * 1024 * 1024;

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
}

interface Options {
  names: string[];
  outDir: string | null;
  reportsDir: string;
  timeout: number;
  report: boolean;
  summary: string | null;
}

function log(msg: string): void {
  process.stderr.write(`[notebooks] ${msg}\n`);
}

function usage(msg: string): never {
  process.stderr.write(
    `${msg}\nusage: tsx scripts/notebooks.ts [NAME…] [--out-dir DIR] [--reports-dir DIR] [--timeout SEC] [--no-report] [--summary FILE]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    names: [],
    outDir: null,
    reportsDir: path.join(PROJECT_ROOT, "reports"),
    timeout: Number(process.env.MANTILE_NOTEBOOK_TIMEOUT ?? 600),
    report: true,
    summary: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === "--out-dir") o.outDir = path.resolve(val());
    else if (a === "--reports-dir") o.reportsDir = path.resolve(val());
    else if (a === "--timeout") o.timeout = Number(val());
    else if (a === "--no-report") o.report = false;
    else if (a === "--summary") o.summary = path.resolve(val());
    else if (a === "-h" || a === "--help") usage("Run the notebooks headless and build their HTML reports.");
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else o.names.push(a);
  }
  if (!(o.timeout > 0)) usage("--timeout must be a positive number of seconds");
  return o;
}

/** Notebooks to run: all of notebooks/*.ipynb, or those matching `names`. */
export function selectNotebooks(names: string[], dir = NOTEBOOK_DIR): string[] {
  const all = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".ipynb") && !f.startsWith("."))
        .sort()
    : [];
  if (names.length === 0) return all.map((f) => path.join(dir, f));
  const picked: string[] = [];
  for (const n of names) {
    const base = path.basename(n).replace(/\.ipynb$/, "");
    const hits = all.filter((f) => f === `${base}.ipynb` || f.startsWith(base));
    if (hits.length === 0) usage(`no notebook matches "${n}" in notebooks/ (have: ${all.join(", ") || "none"})`);
    for (const h of hits) if (!picked.includes(h)) picked.push(h);
  }
  return picked.map((f) => path.join(dir, f));
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
      setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
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

/** Execute one notebook, save it, build its report. */
export async function runNotebook(file: string, o: Options, py: string, jupyterDir: string): Promise<NotebookResult> {
  const name = path.basename(file, ".ipynb");
  const outDir = o.outDir ?? path.dirname(file);
  fs.mkdirSync(outDir, { recursive: true });
  const outFile = path.join(outDir, `${name}.ipynb`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-nb-"));
  const env = childEnv(jupyterDir);
  const res: NotebookResult = {
    name,
    notebook: outFile,
    report: null,
    ok: false,
    codeCells: 0,
    executedCells: 0,
    plots: 0,
    errors: [],
    failure: null,
    execSeconds: 0,
    reportSeconds: 0,
    bytes: 0,
    reportBytes: 0,
    bundlesStripped: 0,
  };
  try {
    const rawOut = path.join(tmp, `${name}.ipynb`);
    const t0 = Date.now();
    const p = await run(py, [NBEXEC, file, rawOut, "--cwd", path.dirname(file), "--timeout", String(o.timeout)], {
      cwd: path.dirname(file),
      env,
      timeoutMs: (o.timeout + 90) * 1000,
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
        ? `runner timeout: no result within ${o.timeout + 90} s`
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
    if (summary.error && res.errors.length === 0) res.failure = `${summary.error.ename}: ${summary.error.evalue}`;
    const text = stringifyNotebook(nb);
    fs.writeFileSync(outFile, text);
    res.bytes = Buffer.byteLength(text);
    if (res.bytes > MAX_NOTEBOOK_BYTES) {
      res.failure = `executed notebook is ${(res.bytes / 1e6).toFixed(2)} MB, over the 2 MB limit for committed notebooks`;
    }

    if (o.report) {
      const t1 = Date.now();
      const h = await run(
        py,
        [
          "-m",
          "nbconvert",
          "--to",
          "html",
          `--TemplateExporter.extra_template_basedirs=${TEMPLATE_DIR}`,
          "--template",
          "mantile",
          "--output-dir",
          tmp,
          "--output",
          `${name}.html`,
          outFile,
        ],
        { cwd: outDir, env, timeoutMs: 300_000 },
      );
      const htmlTmp = path.join(tmp, `${name}.html`);
      if (h.code !== 0 || !fs.existsSync(htmlTmp)) {
        res.failure ??= `HTML report failed (exit ${h.code}): ${h.stderr.trim().split("\n").slice(-5).join("\n")}`;
      } else {
        const html = embedPlotlyBundle(fs.readFileSync(htmlTmp, "utf8"), plotlyBundle());
        fs.mkdirSync(o.reportsDir, { recursive: true });
        res.report = path.join(o.reportsDir, `${name}.html`);
        fs.writeFileSync(res.report, html);
        res.reportBytes = Buffer.byteLength(html);
      }
      res.reportSeconds = (Date.now() - t1) / 1000;
    }
    res.ok = res.errors.length === 0 && res.failure === null;
    return res;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function describe(r: NotebookResult): string {
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

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const o = parseArgs(argv);
  const files = selectNotebooks(o.names);
  if (files.length === 0) {
    log("no notebooks in notebooks/");
    return 0;
  }
  const py = findPython();
  if (!py) {
    log("no python3 with Jupyter's nbclient/nbconvert: run `npm start` (installs Debian's jupyter-nbconvert, python3-nbclient, python3-ipykernel)");
    return 2;
  }
  const jupyterDir = privateJupyterDir();
  const results: NotebookResult[] = [];
  const t0 = Date.now();
  for (const f of files) {
    log(`running ${path.relative(PROJECT_ROOT, f)} …`);
    const r = await runNotebook(f, o, py, jupyterDir);
    results.push(r);
    log(describe(r));
    for (const e of r.errors) {
      const src = e.source.split("\n").find((l) => l.trim()) ?? "";
      log(`  error in cell ${e.index} (${src.trim().slice(0, 80)}): ${e.ename}: ${e.evalue.split("\n")[0].slice(0, 300)}`);
    }
    if (r.failure) log(`  ${r.failure}`);
  }
  const failed = results.filter((r) => !r.ok);
  log(
    `${results.length - failed.length} passed, ${failed.length} failed in ${((Date.now() - t0) / 1000).toFixed(1)} s` +
      (o.report ? ` (reports in ${path.relative(PROJECT_ROOT, o.reportsDir) || "."}/)` : ""),
  );
  if (o.summary) {
    fs.mkdirSync(path.dirname(o.summary), { recursive: true });
    fs.writeFileSync(o.summary, JSON.stringify(results, null, 2) + "\n");
  }
  return failed.length ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`[notebooks] ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exit(2);
    },
  );
}
