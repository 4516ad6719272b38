/**
 * Plotly figure builders: pure functions from typed inputs to `{ data, layout }` specs.
 * No browser, no DOM: draw them with `show()` from lib/notebook, or any plotly.js.
 */
export * from "./types";
export { PALETTE, color, naturalCompare, plotText, textSafeFigure } from "./style";
export {
  relativeErrorPct,
  accuracySummary,
  groupKey,
  predictedVsActual,
  errorHistogram,
  errorBoxPlot,
  type AccuracySummary,
  type GroupBy,
  type PredictedVsActualOptions,
  type ErrorHistogramOptions,
  type ErrorBoxOptions,
} from "./accuracy";
export {
  paretoFrontier,
  servingFrontier,
  paretoPlot,
  paretoComparison,
  type ParetoSeries,
  type ParetoOptions,
} from "./pareto";
export { barChart, lineChart, type BarSeries, type BarChartOptions, type LineSeries, type LineChartOptions } from "./basic";
export { ridgePoint, attainableTflops, roofline, type RooflineChip, type RooflineOptions } from "./roofline";
export { insideInterval, intervalBars } from "./accuracy";
export { rankConfigs, type RankedConfig } from "./sweeps";
export { reliabilityDiagram, coverageBars, type ReliabilitySeries, type ReliabilityOptions } from "./uncertainty";
