/**
 * Notebook runner: executes notebooks/*.ipynb headless, one at a time, saves each executed
 * notebook (outputs included, execution counts 1..n, no inlined plotly.js), writes a
 * self-contained offline HTML report per notebook to reports/<name>.html (plotly.js embedded once;
 * header and footer with the Mantile version, data files and calibration), and rebuilds
 * reports/index.html. The work per notebook is lib/notebook/runner.ts.
 *
 *   npm run notebooks [-- NAME…] [--out-dir DIR] [--reports-dir DIR] [--timeout SEC]
 *                     [--no-report] [--summary FILE] [--param NAME=VALUE …]
 *
 * NAME matches a notebook by file name, with or without .ipynb, or by prefix ("02").
 * --param sets a value of the notebook's `parameters` cell (lib/notebook/params.ts); VALUE is read as
 * JSON when it parses (numbers, true/false, ["a","b"]), else as text. With --param the executed notebook
 * goes beside the report (reports/), not over the committed one, unless --out-dir says otherwise.
 * Exits 1 if any notebook has an error cell (or failed to run), 2 on bad usage or setup.
 * Needs Jupyter (python3 with nbclient + nbconvert) and Chromium: `npm start` installs them.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/core/paths";
import { InputError } from "../lib/core/validate";
import { parseParameterFlag, type ParameterValue } from "../lib/notebook/params";
import { writeReportIndex } from "../lib/notebook/report-index";
import { describeResult, findPython, privateJupyterDir, runNotebook, type NotebookResult, type RunOptions } from "../lib/notebook/runner";

export { NBEXEC, childEnv, findPython, privateJupyterDir, runNotebook, type NotebookResult } from "../lib/notebook/runner";

const NOTEBOOK_DIR = path.join(PROJECT_ROOT, "notebooks");
const DEFAULT_TIMEOUT_SEC = 600;

interface Options extends RunOptions {
  names: string[];
  summary: string | null;
}

function log(msg: string): void {
  process.stderr.write(`[notebooks] ${msg}\n`);
}

function usage(msg: string): never {
  process.stderr.write(
    `${msg}\nusage: tsx scripts/notebooks.ts [NAME…] [--out-dir DIR] [--reports-dir DIR] [--timeout SEC] [--no-report] [--summary FILE] [--param NAME=VALUE …]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const params: Record<string, ParameterValue> = {};
  const o: Options = {
    names: [],
    outDir: null,
    reportsDir: path.join(PROJECT_ROOT, "reports"),
    timeout: Number(process.env.MANTILE_NOTEBOOK_TIMEOUT ?? DEFAULT_TIMEOUT_SEC),
    report: true,
    summary: null,
    params,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === "--out-dir") o.outDir = path.resolve(val());
    else if (a === "--reports-dir") o.reportsDir = path.resolve(val());
    else if (a === "--timeout") o.timeout = Number(val());
    else if (a === "--no-report") o.report = false;
    else if (a === "--summary") o.summary = path.resolve(val());
    else if (a === "--param") {
      try {
        const [k, v] = parseParameterFlag(val());
        params[k] = v;
      } catch (e) {
        usage((e as Error).message);
      }
    } else if (a === "-h" || a === "--help") usage("Run the notebooks headless and build their HTML reports.");
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else o.names.push(a);
  }
  if (!(o.timeout > 0)) usage("--timeout must be a positive number of seconds");
  // A notebook run with other parameters is not the committed one: keep it out of notebooks/.
  if (Object.keys(params).length && o.outDir === null) o.outDir = o.reportsDir;
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

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const o = parseArgs(argv);
  const files = selectNotebooks(o.names);
  if (files.length === 0) {
    log("no notebooks in notebooks/");
    return 0;
  }
  if (Object.keys(o.params ?? {}).length && files.length > 1) usage("--param applies to one notebook: name it");
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
    let r: NotebookResult;
    try {
      r = await runNotebook(f, o, py, jupyterDir);
    } catch (e) {
      if (e instanceof InputError) usage(e.message);
      throw e;
    }
    results.push(r);
    log(describeResult(r));
    for (const e of r.errors) {
      const src = e.source.split("\n").find((l) => l.trim()) ?? "";
      log(`  error in cell ${e.index} (${src.trim().slice(0, 80)}): ${e.ename}: ${e.evalue.split("\n")[0].slice(0, 300)}`);
    }
    if (r.failure) log(`  ${r.failure}`);
  }
  if (o.report) log(`index: ${path.relative(PROJECT_ROOT, writeReportIndex(o.reportsDir)) || o.reportsDir}`);
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
