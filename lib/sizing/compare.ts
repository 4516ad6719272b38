/**
 * Agreement of predicted sizing with a published chart: feasible/infeasible agreement, and for rows
 * feasible in both, predicted / chart requests/s per GPU with |log10 ratio|.
 * The chart's columns: requests_per_sec_per_gpu (empty = N/A = infeasible).
 */
export interface ChartRow {
  index: number;
  model: string;
  gpu: string;
  budget: number;
  chartFeasible: boolean;
  predictedFeasible: boolean;
  agree: boolean;
  chartRps: number;
  predictedRps: number;
  /** predicted / chart (rows feasible in both). */
  ratio: number;
  absLog10: number;
  tp: string;
  precision: string;
  batch1Rps: number;
  reason: string;
}

export interface ChartAgreement {
  rows: ChartRow[];
  total: number;
  agree: number;
  bothFeasible: number;
  medianAbsLog10: number;
  within2x: number;
}

const num = (v: unknown): number => (v === undefined || v === null || v === "" ? NaN : Number(v));

export function median(v: number[]): number {
  if (!v.length) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Rows of `mantile size --input CHART --output OUT` (chart columns + predicted columns). */
export function compareWithChart(rows: Record<string, unknown>[]): ChartAgreement {
  const out: ChartRow[] = rows.map((r, i) => {
    const chartRps = num(r.requests_per_sec_per_gpu);
    const predictedRps = num(r.predicted_requests_per_sec_per_gpu);
    const chartFeasible = Number.isFinite(chartRps) && chartRps > 0;
    const predictedFeasible = String(r.predicted_feasible) === "true";
    const both = chartFeasible && predictedFeasible;
    const ratio = both ? predictedRps / chartRps : NaN;
    return {
      index: i + 1, model: String(r.model ?? ""), gpu: String(r.gpu ?? ""), budget: num(r.ttft_budget_sec), chartFeasible, predictedFeasible,
      agree: chartFeasible === predictedFeasible, chartRps, predictedRps, ratio, absLog10: both ? Math.abs(Math.log10(ratio)) : NaN,
      tp: String(r.predicted_tp ?? ""), precision: String(r.predicted_precision ?? ""), batch1Rps: num(r.predicted_batch1_requests_per_sec_per_gpu), reason: String(r.reason ?? ""),
    };
  });
  const both = out.filter((r) => Number.isFinite(r.absLog10));
  return {
    rows: out,
    total: out.length,
    agree: out.filter((r) => r.agree).length,
    bothFeasible: both.length,
    medianAbsLog10: median(both.map((r) => r.absLog10)),
    within2x: both.filter((r) => r.absLog10 <= Math.log10(2)).length,
  };
}

export function agreementText(a: ChartAgreement): string {
  return (
    `feasible/infeasible agreement ${a.agree}/${a.total}; rows feasible in both: ${a.bothFeasible}, ` +
    `median |log10(predicted/chart)| ${a.medianAbsLog10.toFixed(3)}, within 2×: ${a.within2x}/${a.bothFeasible}`
  );
}
