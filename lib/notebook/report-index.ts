/**
 * reports/index.html: every report with its headline figures, data, calibration, Mantile version
 * and a link. Each report has a small JSON beside it (`<name>.json`, written by the notebook runner);
 * reports written elsewhere (`mantile reconcile --out DIR`) are registered by a JSON in
 * `reports/external/`, dropped from the index once their report file is gone.
 */
import * as fs from "fs";
import * as path from "path";
import { pathToFileURL } from "url";
import type { Headline, ReportMetadata } from "./provenance";

export const REPORT_SCHEMA = "mantile.report/v1";
export const EXTERNAL_DIR = "external";
export const INDEX_FILE = "index.html";

export interface ReportEntry extends ReportMetadata {
  schema: typeof REPORT_SCHEMA;
  name: string;
  title: string;
  /** The HTML report: a file name beside this JSON, or an absolute path for an external report. */
  report: string;
  /** The executed notebook the report was rendered from. */
  notebook: string;
  ok: boolean;
  headline: Headline;
}

/** Write `<dir>/<entry.name>.json` (or `<dir>/external/<name>.json` for a report kept elsewhere). */
export function writeReportEntry(dir: string, entry: ReportEntry, external = false): string {
  const target = external ? path.join(dir, EXTERNAL_DIR) : dir;
  fs.mkdirSync(target, { recursive: true });
  const file = path.join(target, `${entry.name}.json`);
  fs.writeFileSync(file, JSON.stringify(entry, null, 2) + "\n");
  return file;
}

function readEntries(dir: string, external: boolean): { entry: ReportEntry; href: string }[] {
  if (!fs.existsSync(dir)) return [];
  const out: { entry: ReportEntry; href: string }[] = [];
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".json")).sort()) {
    let e: ReportEntry;
    try {
      e = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as ReportEntry;
    } catch {
      continue;
    }
    if (e?.schema !== REPORT_SCHEMA) continue;
    const file = path.isAbsolute(e.report) ? e.report : path.join(dir, e.report);
    if (!fs.existsSync(file)) continue;
    out.push({ entry: e, href: external ? pathToFileURL(file).href : e.report });
  }
  return out;
}

const esc = (s: unknown) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function headlineHtml(h: Headline): string {
  const items = Array.isArray(h) ? h : [];
  if (items.length === 0) return "<em>none declared</em>";
  return `<ul>${items.map(([k, v]) => `<li>${esc(k)}: <b>${esc(v)}</b></li>`).join("")}</ul>`;
}

function rowHtml({ entry: e, href }: { entry: ReportEntry; href: string }): string {
  const data = e.data.length ? e.data.map((d) => `<code>${esc(d)}</code>`).join("<br>") : "<em>none found</em>";
  return (
    `<tr><td><a href="${esc(href)}">${esc(e.title)}</a><br><small>${esc(e.name)}${e.ok ? "" : " — <b>ran with errors</b>"}</small></td>` +
    `<td>${headlineHtml(e.headline)}</td><td>${data}${e.data_declared ? "" : "<br><small>(referenced in its code)</small>"}</td>` +
    `<td>${esc(e.calibration)}</td><td>${esc(e.version)}<br><small>${esc(e.generated)}</small></td></tr>`
  );
}

function section(title: string, rows: { entry: ReportEntry; href: string }[]): string {
  if (rows.length === 0) return "";
  return (
    `<h2>${esc(title)}</h2>\n<table>\n<thead><tr><th>report</th><th>headline figures</th><th>data files</th><th>calibration</th><th>Mantile version, generated</th></tr></thead>\n` +
    `<tbody>\n${rows.map(rowHtml).join("\n")}\n</tbody></table>`
  );
}

/** The index page for the reports in `dir` (and those registered in `dir/external`). */
export function reportIndexHtml(dir: string): string {
  const own = readEntries(dir, false);
  const external = readEntries(path.join(dir, EXTERNAL_DIR), true);
  const body =
    own.length + external.length === 0
      ? "<p>No reports yet: <code>npm start</code> runs the notebooks and writes them here.</p>"
      : section("Notebook reports", own) + section("Your benchmarks (mantile reconcile)", external);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Mantile reports</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 14px; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 6px 10px; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #999; }
ul { margin: 0; padding-left: 1.1em; }
small { color: #666; }
</style></head>
<body>
<h1>Mantile reports</h1>
<p>Each report is a notebook executed headless (<code>npm start</code>, <code>npm run notebooks</code>, <code>mantile reconcile</code>) and
rendered to self-contained HTML. Headline figures are what each notebook declares; each report's header and footer repeat its
Mantile version, data files and calibration.</p>
${body}
</body></html>
`;
}

/** Write `dir/index.html`; returns its path. */
export function writeReportIndex(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, INDEX_FILE);
  fs.writeFileSync(file, reportIndexHtml(dir));
  return file;
}
