/**
 * Plotly figure specs as plain data: `{ data, layout }` objects that plotly.js (browser),
 * JupyterLab / VS Code (`application/vnd.plotly.v1+json`) and lib/notebook can draw.
 * Only the fields this library sets are typed; anything else plotly accepts may be added.
 */

export type Datum = number | string | null;

export interface Trace {
  type?: "scatter" | "bar" | "histogram" | "box";
  mode?: string;
  name?: string;
  x?: Datum[];
  y?: Datum[];
  text?: string[];
  customdata?: Datum[];
  hovertemplate?: string;
  marker?: Record<string, unknown>;
  line?: Record<string, unknown>;
  showlegend?: boolean;
  legendgroup?: string;
  orientation?: "v" | "h";
  [key: string]: unknown;
}

export interface Axis {
  title?: { text: string };
  type?: "linear" | "log" | "category";
  range?: number[];
  [key: string]: unknown;
}

export interface Shape {
  type: "line" | "rect";
  xref: string;
  yref: string;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  line?: Record<string, unknown>;
  fillcolor?: string;
  opacity?: number;
  layer?: "above" | "below";
  [key: string]: unknown;
}

export interface Layout {
  title?: { text: string };
  xaxis?: Axis;
  yaxis?: Axis;
  shapes?: Shape[];
  annotations?: Record<string, unknown>[];
  width?: number;
  height?: number;
  [key: string]: unknown;
}

export interface Figure {
  data: Trace[];
  layout: Layout;
}

/** One prediction checked against one measurement. */
export interface AccuracyPoint {
  actual: number;
  predicted: number;
  /** Shown on hover, e.g. "Llama-3.1-70B TP8 ISL1k/OSL1k c=64". */
  label?: string;
  /** Default colour/category group (e.g. framework). */
  group?: string;
  /** Further categories to group by in box plots: { tp: 8, framework: "trtllm", islOsl: "1k/1k" }. */
  tags?: Record<string, string | number>;
  /** The prediction's interval (e.g. the 80% interval p10–p90): drawn as an error bar. */
  low?: number;
  high?: number;
}

/** One serving configuration on a throughput-interactivity chart. */
export interface ParetoPoint {
  /** Interactivity: output tokens/s seen by one user (x axis). */
  tokPerSecPerUser: number;
  /** Efficiency: output tokens/s per GPU (y axis). */
  tokPerSecPerGpu: number;
  label?: string;
  /** The interval of tokPerSecPerGpu (e.g. p10–p90 of a prediction): drawn as an error bar. */
  gpuLow?: number;
  gpuHigh?: number;
}
