import { createHash } from "crypto";
import { textSafeFigure } from "../plots/style";
import type { Figure } from "../plots/types";
import { displayBundle, type MimeBundle } from "./display";
import { renderSvg } from "./render";

/** Mime type JupyterLab (plotly extension), VS Code and nteract draw natively. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

export interface ShowOptions {
  /** Size of the static image and of the HTML plot; default the layout's or 760 × 460. */
  width?: number;
  height?: number;
  /**
   * Put the static SVG inside the text/html output too, so front ends that pick text/html but
   * have no plotly.js (JupyterLab without the plotly extension, GitHub) still show the plot.
   * The script replaces it by the interactive plot where `window.Plotly` exists. Default true.
   */
  htmlFallback?: boolean;
  /** Skip the static image (no browser launched): plotly JSON + HTML only. */
  noImage?: boolean;
}

/** JSON for a <script> element: `<`, U+2028 and U+2029 escaped so no text ends the script early. */
export function scriptJson(x: unknown): string {
  return JSON.stringify(x)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

let shown = 0;

/**
 * A stable id for the next figure of this process: a hash of the figure and of how many figures
 * came before it, so re-running a notebook gives byte-identical outputs (clean diffs) while two
 * figures on one page never share an id.
 */
function nextFigureKey(fig: Figure): string {
  return createHash("sha256")
    .update(`${++shown}\n${JSON.stringify(fig)}`)
    .digest("hex")
    .slice(0, 12);
}

/**
 * Plotly names the SVG's clip paths and defs after a random per-plot uid (`clip3b879bxy`,
 * `defs-3b879b`, …): replace it with `uid` so the image is deterministic too.
 */
export function stabiliseSvgIds(svg: string, uid: string): string {
  const m = /id="defs-([0-9a-z]+)"/.exec(svg);
  if (!m) return svg;
  const re = new RegExp(`(clip|defs-|topdefs-|legend)${m[1]}`, "g");
  return svg.replace(re, (_all, prefix: string) => `${prefix}${uid}`);
}

/** The text/html part: a div, and a script that draws into it if plotly.js is on the page. */
export function figureHtml(fig: Figure, opts: { height: number; width?: number; fallbackSvg?: string; key?: string }): string {
  const id = `mantile-plot-${opts.key ?? nextFigureKey(fig)}`;
  const size = `width:${opts.width ? `${opts.width}px` : "100%"};max-width:100%;height:${opts.height}px`;
  const inner = opts.fallbackSvg ? stripXmlProlog(opts.fallbackSvg) : "";
  const layout = { ...fig.layout, height: opts.height, ...(opts.width ? { width: opts.width } : { autosize: true }) };
  return (
    `<div id="${id}" class="mantile-plot" style="${size}">${inner}</div>\n` +
    `<script type="text/javascript">\n` +
    `(function () {\n` +
    `  var el = document.getElementById(${scriptJson(id)});\n` +
    `  if (!el || !window.Plotly) return;\n` +
    `  var fig = ${scriptJson({ data: fig.data, layout })};\n` +
    `  el.innerHTML = "";\n` +
    `  window.Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false });\n` +
    `})();\n` +
    `</script>`
  );
}

function stripXmlProlog(svg: string): string {
  return svg.replace(/^\s*<\?xml[^>]*>\s*/, "");
}

/** One-line description for text/plain. */
export function figureText(fig: Figure): string {
  const title = fig.layout.title?.text ?? "untitled figure";
  const kinds = [...new Set(fig.data.map((t) => t.type ?? "scatter"))].join(", ");
  return `<Plotly figure "${title}": ${fig.data.length} trace(s): ${kinds}>`;
}

/**
 * The mime bundle of one figure: plotly JSON, a static SVG (rendered now by headless Chromium),
 * HTML that draws the interactive plot where plotly.js is loaded, and a text/plain line.
 */
export async function figureBundle(shownFig: Figure, opts: ShowOptions = {}): Promise<MimeBundle> {
  // Strings from data render as text in every representation (plotly JSON, SVG, HTML).
  const fig = textSafeFigure(shownFig);
  const height = opts.height ?? (typeof fig.layout.height === "number" ? fig.layout.height : 460);
  const width = opts.width ?? (typeof fig.layout.width === "number" ? fig.layout.width : undefined);
  const key = nextFigureKey(fig);
  let svg: string | undefined;
  if (!opts.noImage) {
    try {
      // Fixed trace uids too (plotly draws random ones into class names otherwise).
      const forImage: Figure = { data: fig.data.map((t, i) => ({ uid: `t${key.slice(0, 6)}${i}`, ...t })), layout: fig.layout };
      svg = stabiliseSvgIds(await renderSvg(forImage, { width: width ?? 760, height }), `m${key.slice(0, 8)}`);
    } catch (e) {
      // Still show the plot where plotly.js is available (Jupyter's plotly renderer, reports).
      process.stderr.write(`show(): no static image (${e instanceof Error ? e.message.split("\n")[0] : String(e)})\n`);
    }
  }
  const bundle: MimeBundle = {
    [PLOTLY_MIME]: { data: fig.data, layout: fig.layout },
    "text/html": figureHtml(fig, { height, width, key, fallbackSvg: opts.htmlFallback === false ? undefined : svg }),
    "text/plain": figureText(shownFig),
  };
  if (svg) bundle["image/svg+xml"] = svg;
  return bundle;
}

/**
 * Display a figure in the current notebook cell as ONE output with several mime types.
 * `await show(fig)` so the output lands in the cell that made it.
 */
export async function show(fig: Figure, opts: ShowOptions = {}): Promise<void> {
  displayBundle(await figureBundle(fig, opts));
}
