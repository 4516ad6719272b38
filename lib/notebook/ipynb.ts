/**
 * Reading and tidying executed .ipynb files (nbformat 4) and their HTML reports.
 * Used by scripts/notebooks.ts and the notebook tests.
 */
import { PLOTLY_MIME } from "./show";

export interface NbOutput {
  output_type: "stream" | "display_data" | "execute_result" | "error";
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  execution_count?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface NbCell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: Record<string, unknown>;
  outputs?: NbOutput[];
  execution_count?: number | null;
  id?: string;
  [k: string]: unknown;
}

export interface Notebook {
  cells: NbCell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

export function cellSource(c: NbCell): string {
  return Array.isArray(c.source) ? c.source.join("") : c.source;
}

function text(x: unknown): string {
  return Array.isArray(x) ? x.join("") : typeof x === "string" ? x : "";
}

export interface ErrorCell {
  /** Index among all cells. */
  index: number;
  ename: string;
  evalue: string;
  source: string;
}

/** Code cells with an `error` output. */
export function errorCells(nb: Notebook): ErrorCell[] {
  const out: ErrorCell[] = [];
  nb.cells.forEach((c, index) => {
    for (const o of c.outputs ?? []) {
      if (o.output_type === "error") {
        out.push({ index, ename: o.ename ?? "Error", evalue: o.evalue ?? "", source: cellSource(c) });
        break;
      }
    }
  });
  return out;
}

/** Number of outputs that carry a Plotly figure. */
export function countPlotOutputs(nb: Notebook): number {
  let n = 0;
  for (const c of nb.cells) for (const o of c.outputs ?? []) if (o.data && PLOTLY_MIME in o.data) n++;
  return n;
}

/** A <script> whose body is an inlined plotly.js bundle (large, and with the library banner). */
const BUNDLE_SCRIPT = /<script\b[^>]*>((?:(?!<\/script>)[\s\S]){200000,}?)<\/script>/gi;

export function isPlotlyBundle(js: string): boolean {
  return js.length > 200_000 && /plotly\.js v\d|window\.Plotly\s*=|Plotly\.newPlot\s*=/.test(js.slice(0, 2000) + js.slice(-4000));
}

/** Remove inlined plotly.js bundles from one HTML string. */
export function stripBundleFromHtml(html: string): string {
  return html.replace(BUNDLE_SCRIPT, (all, body: string) =>
    isPlotlyBundle(body) ? "<!-- plotly.js bundle removed: reports embed it once -->" : all,
  );
}

export interface TidyReport {
  /** Inlined plotly.js bundles removed. */
  bundlesStripped: number;
  /** Code cells numbered. */
  codeCells: number;
}

/**
 * Make an executed notebook fit to commit: number the executed code cells 1..n (tslab leaves
 * `execution_count` null), drop inlined plotly.js bundles from outputs, drop per-cell timing
 * metadata. Cells that were not executed (after an error) keep a null count. Mutates `nb`.
 */
export function tidyExecutedNotebook(nb: Notebook, executed?: Set<number>): TidyReport {
  let count = 0;
  let stripped = 0;
  nb.cells.forEach((c, i) => {
    if (c.cell_type !== "code") return;
    const ran = executed ? executed.has(i) : true;
    c.execution_count = ran ? ++count : null;
    for (const o of c.outputs ?? []) {
      if (o.output_type === "execute_result") o.execution_count = c.execution_count;
      if (!o.data) continue;
      for (const mime of ["text/html", "application/javascript", "text/javascript"]) {
        const v = o.data[mime];
        const s = text(v);
        if (!s) continue;
        const cleaned = mime === "text/html" ? stripBundleFromHtml(s) : isPlotlyBundle(s) ? "" : s;
        if (cleaned !== s) {
          stripped++;
          if (cleaned === "") delete o.data[mime];
          else o.data[mime] = cleaned;
        }
      }
    }
    if (c.metadata && "execution" in c.metadata) delete c.metadata.execution;
  });
  return { bundlesStripped: stripped, codeCells: count };
}

/** JSON text of a notebook as Jupyter writes it: sorted keys, one-space indent, final newline. */
export function stringifyNotebook(nb: Notebook): string {
  const sortKeys = (_k: string, v: unknown) => {
    if (!v || typeof v !== "object" || Array.isArray(v)) return v;
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  };
  return `${JSON.stringify(nb, sortKeys, 1)}\n`;
}

/** Marker our nbconvert template leaves in <head> for the bundle. */
export const BUNDLE_PLACEHOLDER = "<!-- MANTILE:PLOTLY_BUNDLE -->";

/**
 * Put plotly.js into a report exactly once, inline (no CDN): at the template's placeholder, or
 * at the start of <head>. `</script` inside the bundle is escaped so it cannot end the element.
 */
export function embedPlotlyBundle(html: string, bundle: string): string {
  const safe = bundle.replace(/<\/script/gi, "<\\/script");
  const tag = `<script type="text/javascript">/* plotly.js from node_modules/plotly.js-dist, embedded once */\n${safe}\n</script>`;
  if (html.includes(BUNDLE_PLACEHOLDER)) return html.split(BUNDLE_PLACEHOLDER).join(tag);
  const m = /<head[^>]*>/i.exec(html);
  if (!m) return tag + html;
  const at = m.index + m[0].length;
  return html.slice(0, at) + tag + html.slice(at);
}
