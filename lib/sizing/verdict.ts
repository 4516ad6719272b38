/** The sizing verdict: the best feasible candidate and the GPUs for the target, or why nothing is feasible; and the search as table rows. */
import { fmt } from "./rate";
import { replicasFor, type Precision, type TtftStat } from "./settings";
import type { Candidate, SizingResult } from "./types";

export interface Verdict {
  best?: Candidate;
  feasible: boolean;
  reason: string;
  bestSingleTtft: number;
  replicas: number;
  gpusForTarget: number;
}

export function verdict(candidates: Candidate[], x: { tps: number[]; precisions: Precision[]; budget: number; stat: TtftStat; targetRps: number }): Verdict {
  const feasible = candidates.filter((c) => c.status === "feasible").sort((a, b) => b.rpsPerGpu - a.rpsPerGpu || a.gpus - b.gpus);
  const fits = candidates.filter((c) => Number.isFinite(c.singleTtft));
  const bestSingle = fits.length ? Math.min(...fits.map((c) => c.singleTtft)) : NaN;
  const best = feasible[0];
  let reason = "";
  if (!best) {
    if (fits.length === 0) {
      const mem = candidates.filter((c) => c.reasonKind === "memory");
      const smallest = [...mem].sort((a, b) => a.weightsGbPerGpu - b.weightsGbPerGpu)[0];
      reason = mem.length
        ? `the weights do not fit at any TP ≤ ${Math.max(...x.tps)} (${x.precisions.join("/")}): even at TP ${smallest.tp} ${smallest.precision}, ${smallest.reason}`
        : `no valid TP split: ${candidates.map((c) => c.reason).join(" | ")}`;
    } else if (fits.every((c) => c.reasonKind === "single")) {
      const b = fits.reduce((a, y) => (y.singleTtft < a.singleTtft ? y : a));
      reason = `TTFT over budget even for one request at every TP/precision: best single-request TTFT ${fmt(b.singleTtft)} s (TP ${b.tp} ${b.precision}) > ${x.budget} s`;
    } else {
      reason = `no sustained rate meets TTFT ${x.stat} ≤ ${x.budget} s (best single-request TTFT ${fmt(bestSingle)} s): ` + candidates.filter((c) => c.reasonKind === "load").map((c) => `TP ${c.tp} ${c.precision}: ${c.reason}`).join("; ");
    }
  }
  const replicas = best ? replicasFor(x.targetRps, best.rate) : NaN;
  return { best, feasible: !!best, reason, bestSingleTtft: bestSingle, replicas, gpusForTarget: best ? replicas * best.gpus : NaN };
}

/** The search as table rows (one per trial), for --table and --json. */
export const TABLE_COLUMNS = [
  "tp", "precision", "gpus", "stage", "rate_per_replica", "rps_per_gpu", "requests", "ttft_stat_sec", "ttft_mean_sec", "ttft_p90_sec", "ttft_p99_sec",
  "e2e_mean_sec", "tpot_ms", "achieved_rate", "keep_up", "concurrency", "feasible", "chosen", "reason",
] as const;

export function tableRows(r: SizingResult): Record<(typeof TABLE_COLUMNS)[number], string | number | boolean>[] {
  const round = (x: number, d = 4) => (Number.isFinite(x) ? Number(x.toPrecision(d)) : "");
  return r.trials.map((t) => {
    const c = r.candidates.find((x) => x.tp === t.tp && x.precision === t.precision);
    return {
      tp: t.tp, precision: t.precision, gpus: t.gpus, stage: t.stage, rate_per_replica: round(t.rate), rps_per_gpu: round(t.rpsPerGpu), requests: t.requests,
      ttft_stat_sec: round(t.ttft), ttft_mean_sec: round(t.ttftMean), ttft_p90_sec: round(t.ttftP90), ttft_p99_sec: round(t.ttftP99), e2e_mean_sec: round(t.e2eMean),
      tpot_ms: round(t.tpotMs), achieved_rate: round(t.achievedRate), keep_up: round(t.keepUp), concurrency: round(t.concurrency), feasible: t.feasible,
      chosen: !!(c && c.best === t && r.best === c), reason: t.reason,
    };
  });
}
