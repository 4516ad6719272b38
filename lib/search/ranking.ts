/**
 * Ranking checks: Spearman's rank correlation, and measured throughput–interactivity points from a
 * standard benchmark CSV (one point per configuration, repeated runs averaged) with their frontier —
 * what a search's predictions are ranked against (notebook 11: GPT-OSS-120B on B200 with vLLM).
 */
import type { CsvRow } from "../core/csv";
import { frontierOf } from "./frontier";

/** 1-based ranks of `v` (ascending), ties sharing their average rank. */
export function ranks(v: number[]): number[] {
  const idx = v.map((_, i) => i).sort((a, b) => v[a] - v[b]);
  const out = new Array<number>(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]] === v[idx[i]]) j++;
    for (let k = i; k <= j; k++) out[idx[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

/** Spearman's ρ: Pearson's correlation of the two samples' ranks (ties averaged). */
export function spearman(a: number[], b: number[]): number {
  if (a.length !== b.length || a.length < 2) return NaN;
  const ra = ranks(a);
  const rb = ranks(b);
  const m = (ra.length + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < ra.length; i++) {
    sab += (ra[i] - m) * (rb[i] - m);
    saa += (ra[i] - m) ** 2;
    sbb += (rb[i] - m) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** A measured configuration: lengths, TP, clients, throughput per GPU (input + output), output tokens/s per user (1 / mean TPOT). */
export interface MeasuredPoint {
  isl: number;
  osl: number;
  tp: number;
  concurrency: number;
  throughputPerGpu: number;
  tokPerUser: number;
  runs: number;
}

/** One point per configuration of the rows that pass `keep` (aggregated rows of a standard CSV; repeated configurations averaged). */
export function measuredPoints(rows: CsvRow[], keep: (r: CsvRow) => boolean): MeasuredPoint[] {
  const groups = new Map<string, CsvRow[]>();
  for (const r of rows.filter((x) => keep(x) && x.disagg !== "true")) {
    const k = [r.input_seq_len, r.output_seq_len, r.tensor_parallel, r.concurrency].join("|");
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const mean = (rs: CsvRow[], c: string) => rs.reduce((s, r) => s + Number(r[c]), 0) / rs.length;
  return [...groups.values()].map((rs) => ({
    isl: Number(rs[0].input_seq_len), osl: Number(rs[0].output_seq_len), tp: Number(rs[0].tensor_parallel), concurrency: Number(rs[0].concurrency),
    throughputPerGpu: mean(rs, "throughput_tokens_per_sec_per_gpu"), tokPerUser: 1 / mean(rs, "mean_time_per_output_token_sec"), runs: rs.length,
  }));
}

/** The measured frontier of each ISL/OSL pair. */
export function measuredFrontiers(points: MeasuredPoint[]): MeasuredPoint[] {
  const keys = [...new Set(points.map((p) => `${p.isl}|${p.osl}`))];
  return keys.flatMap((k) => frontierOf(points.filter((p) => `${p.isl}|${p.osl}` === k), (p) => p.tokPerUser, (p) => p.throughputPerGpu));
}
