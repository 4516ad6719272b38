import type { Axis, Figure, Layout } from "./types";

/** Colours used across Mantile plots (Plotly's default qualitative palette). */
export const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

export const DEFAULT_HEIGHT = 460;

export function color(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

export function axis(title: string | undefined, extra: Partial<Axis> = {}): Axis {
  return {
    ...(title ? { title: { text: title } } : {}),
    gridcolor: "#e5e5e5",
    zerolinecolor: "#c8c8c8",
    automargin: true,
    ...extra,
  };
}

/** The base layout every builder starts from; `extra` wins. */
export function baseLayout(title: string | undefined, extra: Partial<Layout> = {}): Layout {
  return {
    ...(title ? { title: { text: title } } : {}),
    height: DEFAULT_HEIGHT,
    font: { family: "Helvetica, Arial, sans-serif", size: 13 },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    margin: { l: 70, r: 30, t: title ? 60 : 30, b: 60 },
    legend: { orientation: "v" },
    hovermode: "closest",
    ...extra,
  };
}

/** Sort category labels naturally: "TP2" < "TP8" < "TP16", numbers numerically. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true, sensitivity: "base" });
}

/**
 * Data as Plotly text: Plotly reads tags in text (`<b>`, `<br>`, `<a href>`) as markup and drops other
 * tags, and decodes `&lt;` `&gt;` `&amp;`. Escaped, a model id such as `<img src=x onerror=…>` shows as written.
 */
export function plotText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Keys whose strings are markup written by the library (templates with their data already escaped, annotations). */
const MARKUP_KEYS = new Set(["hovertemplate", "texttemplate", "annotations"]);

/**
 * The figure as displayed: every string (names, labels, categories, titles…) escaped with `plotText` so that
 * it renders as plain text, except the library's own markup (MARKUP_KEYS). Other strings of a figure (colours,
 * enums such as "lines+markers") have no `&`, `<` or `>` and are unchanged.
 */
export function textSafeFigure(fig: Figure): Figure {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return plotText(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object" && !ArrayBuffer.isView(v)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, MARKUP_KEYS.has(k) ? x : walk(x)]));
    }
    return v;
  };
  return { data: fig.data.map((t) => walk(t) as Figure["data"][number]), layout: walk(fig.layout) as Figure["layout"] };
}
