import type { Axis, Layout } from "./types";

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
