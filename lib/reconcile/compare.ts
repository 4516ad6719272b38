/** Predicted vs actual: per-row errors and a summary (MAPE, RMSE, median, bias, breakdowns, best/worst). */
import { quantileOf } from "../core/stats";
import { actualNumber } from "./standard";

export const METRICS = [
  { key: "throughput", actual: "throughput_tokens_per_sec_per_gpu", predicted: "predicted_throughput_per_gpu", unit: "tokens/s/GPU" },
  { key: "ttft", actual: "mean_time_to_first_token_sec", predicted: "predicted_ttft_sec", unit: "s" },
  { key: "tpot", actual: "mean_time_per_output_token_sec", predicted: "predicted_tpot_sec", unit: "s" },
  { key: "e2e", actual: "mean_end_to_end_latency_sec", predicted: "predicted_e2e_latency_sec", unit: "s" },
] as const;
export type MetricKey = (typeof METRICS)[number]["key"];

export interface ComparedRow {
  row: Record<string, string>;
  /** Per metric; `inside`: whether the actual lies in the row's predicted 80% interval (<predicted>_p10.._p90), when it has one. */
  errors: Partial<Record<MetricKey, { actual: number; predicted: number; abs: number; pct: number; inside?: boolean }>>;
}

/** Columns a prediction adds to a row: predicted_* (values and intervals), the basis, the calibration, the error. */
export const isPredictionColumn = (k: string): boolean => k.startsWith("predicted_") || k === "prediction_basis" || k === "error_message" || k === "calibration_profile";

/** Join actuals and predictions by row position when both carry the same input columns, else by row_id. */
export function joinRows(actuals: Record<string, string>[], predictions: Record<string, string>[]): Record<string, string>[] {
  const byId = new Map(predictions.filter((p) => p.row_id).map((p) => [p.row_id, p]));
  return actuals.map((a, i) => {
    const p = a.row_id && byId.size ? byId.get(a.row_id) : predictions[i];
    return { ...(p ?? {}), ...a, ...Object.fromEntries(Object.entries(p ?? {}).filter(([k]) => isPredictionColumn(k))) };
  });
}

export function compareRows(rows: Record<string, string>[]): ComparedRow[] {
  return rows.map((row) => {
    const errors: ComparedRow["errors"] = {};
    for (const m of METRICS) {
      const a = actualNumber(row, m.actual);
      const p = actualNumber(row, m.predicted);
      if (a === undefined || p === undefined || a === 0) continue;
      const lo = actualNumber(row, `${m.predicted}_p10`);
      const hi = actualNumber(row, `${m.predicted}_p90`);
      errors[m.key] = { actual: a, predicted: p, abs: p - a, pct: (100 * (p - a)) / a, ...(lo !== undefined && hi !== undefined ? { inside: a >= lo && a <= hi } : {}) };
    }
    return { row, errors };
  });
}

export interface MetricSummary {
  n: number;
  mape: number;
  rmse: number;
  medianApe: number;
  p90Ape: number;
  bias: number;
  /** Rows with a predicted interval, and the share of them whose actual lies inside it. */
  withInterval: number;
  insideInterval: number;
}

export function summariseMetric(rows: ComparedRow[], key: MetricKey): MetricSummary {
  const e = rows.map((r) => r.errors[key]).filter((x): x is NonNullable<typeof x> => !!x);
  const ape = e.map((x) => Math.abs(x.pct));
  return {
    n: e.length,
    mape: ape.reduce((a, b) => a + b, 0) / Math.max(1, e.length),
    rmse: Math.sqrt(e.reduce((a, x) => a + x.abs * x.abs, 0) / Math.max(1, e.length)),
    medianApe: ape.length ? quantileOf(ape, 0.5) : NaN,
    p90Ape: ape.length ? quantileOf(ape, 0.9) : NaN,
    bias: e.reduce((a, x) => a + x.pct, 0) / Math.max(1, e.length),
    withInterval: e.filter((x) => x.inside !== undefined).length,
    insideInterval: e.filter((x) => x.inside !== undefined).length ? e.filter((x) => x.inside).length / e.filter((x) => x.inside !== undefined).length : NaN,
  };
}

export function concurrencyBand(c: number): string {
  if (c <= 8) return "1-8";
  if (c <= 32) return "9-32";
  if (c <= 128) return "33-128";
  if (c <= 512) return "129-512";
  return ">512";
}

export const BREAKDOWNS: Record<string, (r: Record<string, string>) => string> = {
  hardware: (r) => r.gpu_model,
  framework: (r) => r.framework,
  tp: (r) => (r.disagg === "true" ? `disagg p${r.prefill_tp}/d${r.decode_tp}` : `TP=${r.tensor_parallel}${r.dp_attention === "true" ? " DP-attn" : ""}`),
  "isl/osl": (r) => `${r.input_seq_len}/${r.output_seq_len}`,
  concurrency: (r) => concurrencyBand(Number(r.concurrency)),
};

const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "-");

export function summaryText(rows: ComparedRow[], title: string, noiseFloor?: string): string {
  const out: string[] = [];
  const predicted = rows.filter((r) => Object.keys(r.errors).length > 0).length;
  out.push(`=== ${title} ===`, "");
  out.push(`Coverage: ${predicted} of ${rows.length} rows predicted (${f((100 * predicted) / Math.max(1, rows.length))}%)`);
  const errs = rows.filter((r) => r.row.error_message);
  if (errs.length) out.push(`Rows with errors: ${errs.length} (first: ${errs[0].row.error_message})`);
  if (noiseFloor) out.push(noiseFloor);
  out.push("", "metric        n    MAPE%  median%  p90%   bias%   RMSE");
  for (const m of METRICS) {
    const s = summariseMetric(rows, m.key);
    out.push(`${m.key.padEnd(12)} ${String(s.n).padStart(4)}  ${f(s.mape).padStart(6)}  ${f(s.medianApe).padStart(7)}  ${f(s.p90Ape).padStart(5)}  ${f(s.bias).padStart(6)}   ${s.rmse.toPrecision(4)} ${m.unit}`);
  }
  const inside = METRICS.map((m) => ({ m, s: summariseMetric(rows, m.key) })).filter((x) => x.s.withInterval > 0);
  if (inside.length) out.push("", `Inside the predicted 80% interval: ${inside.map((x) => `${x.m.key} ${f(100 * x.s.insideInterval, 0)}% (n=${x.s.withInterval})`).join(", ")}`);
  for (const [name, keyOf] of Object.entries(BREAKDOWNS)) {
    const groups = new Map<string, ComparedRow[]>();
    for (const r of rows) {
      const k = keyOf(r.row);
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    out.push("", `By ${name}:  (MAPE% throughput / TTFT / TPOT / E2E, n)`);
    for (const [k, g] of [...groups.entries()].sort()) {
      const ms = METRICS.map((m) => f(summariseMetric(g, m.key).mape)).join(" / ");
      out.push(`  ${k.padEnd(22)} ${ms}  (n=${g.length})`);
    }
  }
  const ranked = rows.filter((r) => r.errors.throughput).sort((a, b) => Math.abs(a.errors.throughput!.pct) - Math.abs(b.errors.throughput!.pct));
  const label = (r: ComparedRow) => `${r.row.gpu_model} ${r.row.framework} ${r.row.input_seq_len}/${r.row.output_seq_len} ${BREAKDOWNS.tp(r.row)} conc=${r.row.concurrency}: throughput ${f(r.errors.throughput!.pct)}%, TPOT ${f(r.errors.tpot?.pct ?? NaN)}%, TTFT ${f(r.errors.ttft?.pct ?? NaN)}%`;
  out.push("", "Top 5 best (throughput |error|):", ...ranked.slice(0, 5).map((r) => "  " + label(r)));
  out.push("", "Top 5 worst (throughput |error|):", ...ranked.slice(-5).reverse().map((r) => "  " + label(r)));
  return out.join("\n") + "\n";
}

export const REPORT_METRIC_COLUMNS = METRICS.flatMap((m) => [`actual_${m.key}`, `predicted_${m.key}`, `${m.key}_abs_error`, `${m.key}_pct_error`, `${m.key}_in_interval`]);

export function reportRows(rows: ComparedRow[]): Record<string, string | number>[] {
  return rows.map((r) => {
    const o: Record<string, string | number> = { ...r.row };
    for (const m of METRICS) {
      const e = r.errors[m.key];
      o[`actual_${m.key}`] = e?.actual ?? "";
      o[`predicted_${m.key}`] = e?.predicted ?? "";
      o[`${m.key}_abs_error`] = e?.abs ?? "";
      o[`${m.key}_pct_error`] = e?.pct ?? "";
      o[`${m.key}_in_interval`] = e?.inside === undefined ? "" : String(e.inside);
    }
    return o;
  });
}
