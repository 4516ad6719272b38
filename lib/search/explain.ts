/**
 * Why the chosen point's neighbours lose: for each dimension of the search (engine and mode, precision,
 * worker layout, speculative decoding, token budget, load), the closest simulated alternative that
 * differs in that dimension only where there is one (else the best that differs in it), and what
 * separates them — an SLO missed, throughput per GPU, interactivity, the decode step's bottleneck,
 * the GPUs left idle, the price of a token.
 */
import { formatNumber } from "../core/explain";
import { candidateId, workerText } from "./space";
import type { Candidate, Evaluated, Neighbour, Screened } from "./types";

interface Dimension {
  name: string;
  value(c: Candidate): string;
}

const workersOf = (c: Candidate) =>
  c.layout.mode === "aggregated" ? workerText(c.layout.worker!) : `P ${workerText(c.layout.prefill!)}×${c.layout.ratio!.prefill} + D ${workerText(c.layout.decode!)}×${c.layout.ratio!.decode}`;

export const DIMENSIONS: Dimension[] = [
  { name: "engine", value: (c) => `${c.layout.engine} (${c.layout.mode})` },
  { name: "precision", value: (c) => c.layout.precision },
  { name: "workers", value: workersOf },
  { name: "speculative decoding", value: (c) => (c.layout.speculative ? "MTP" : "off") },
  { name: "token budget", value: (c) => (c.layout.tokenBudget > 0 ? String(c.layout.tokenBudget) : "engine default") },
  { name: "load", value: (c) => `${c.concurrency} clients per ${c.layout.mode === "aggregated" ? "replica" : "unit"}` },
];

const pct = (x: number) => `${x >= 0 ? "+" : "−"}${formatNumber(Math.abs(100 * x))}%`;

/** How many of the other dimensions differ between two candidates. */
function otherDifferences(a: Candidate, b: Candidate, skip: Dimension): number {
  return DIMENSIONS.filter((d) => d !== skip && d.value(a) !== d.value(b)).length;
}

/** The reason a neighbour loses to (or trades against) the chosen point. */
export function verdict(chosen: Evaluated, n: Evaluated): string {
  const miss = n.slo.find((k) => !k.met);
  if (miss) return `misses the SLO: ${miss.slo} ${formatNumber(miss.value)} against ${miss.target}`;
  const dThr = n.throughputPerGpu / chosen.throughputPerGpu - 1;
  const dUser = n.tokPerUser / chosen.tokPerUser - 1;
  const why: string[] = [];
  if (n.bottleneck !== chosen.bottleneck) why.push(`its typical decode step is ${n.bottleneck}-bound (chosen: ${chosen.bottleneck})`);
  why.push(`TPOT ${formatNumber(n.tpot * 1e3)} ms vs ${formatNumber(chosen.tpot * 1e3)} ms`);
  if (n.deployment.gpusUsed !== chosen.deployment.gpusUsed) why.push(`uses ${n.deployment.gpusUsed} GPUs of the budget (chosen: ${chosen.deployment.gpusUsed})`);
  if (n.preemptions > 0) why.push(`${n.preemptions} preemptions (KV cache full)`);
  const cost = `$${formatNumber(n.costPerMillionTokens)} vs $${formatNumber(chosen.costPerMillionTokens)} per million tokens`;
  if (dThr <= 0 && dUser <= 0) return `dominated: ${pct(dThr)} throughput per GPU, ${pct(dUser)} tok/s per user (${cost}); ${why.join("; ")}`;
  if (dThr < 0) return `trades ${pct(dThr)} throughput per GPU for ${pct(dUser)} tok/s per user (${cost}); ${why.join("; ")}`;
  return `${pct(dThr)} throughput per GPU at ${pct(dUser)} tok/s per user: slower per user than the chosen point; ${why.join("; ")}`;
}

/** The verdict on an alternative known only from the analytic screen (it was not simulated). */
export function analyticVerdict(chosen: Evaluated, n: Screened, miss: string): string {
  if (miss) return `not simulated: ${miss}`;
  const dThr = n.analytic.throughputPerGpu / chosen.analytic.throughputPerGpu - 1;
  const dUser = n.analytic.tokPerUser / chosen.analytic.tokPerUser - 1;
  return `not simulated: analytically ${pct(dThr)} throughput per GPU at ${pct(dUser)} tok/s per user against the chosen point's own analytic estimate (TPOT ${formatNumber(n.analytic.tpot * 1e3)} ms vs ${formatNumber(chosen.analytic.tpot * 1e3)} ms)`;
}

const distance = (a: { tokPerUser: number }, b: { tokPerUser: number }) => Math.abs(Math.log(a.tokPerUser / b.tokPerUser));

/**
 * The neighbours of the chosen point, one per dimension: the simulated point that differs from it in
 * that dimension alone; else the screened point that does (its analytic numbers, and why it was not
 * simulated); else the simulated point with the fewest other differences, closest in interactivity.
 */
export function neighbours(chosen: Evaluated, evaluated: Evaluated[], screened: Screened[] = [], missOf: (p: Screened) => string = () => ""): Neighbour[] {
  const out: Neighbour[] = [];
  const delta = (thr: number, user: number) => ({ throughputDelta: thr / chosen.throughputPerGpu - 1, tokPerUserDelta: user / chosen.tokPerUser - 1 });
  for (const d of DIMENSIONS) {
    const mine = d.value(chosen.candidate);
    const alts = evaluated.filter((e) => e !== chosen && d.value(e.candidate) !== mine);
    const only = alts.filter((e) => otherDifferences(e.candidate, chosen.candidate, d) === 0);
    const analytic = only.length ? undefined : screened.filter((p) => d.value(p.candidate) !== mine && otherDifferences(p.candidate, chosen.candidate, d) === 0);
    if (analytic?.length) {
      const n = [...analytic].sort((a, b) => b.analytic.throughputPerGpu - a.analytic.throughputPerGpu)[0];
      const scale = chosen.throughputPerGpu / chosen.analytic.throughputPerGpu;
      const thr = n.analytic.throughputPerGpu * scale;
      const user = n.analytic.tokPerUser * (chosen.tokPerUser / chosen.analytic.tokPerUser);
      out.push({ dimension: d.name, id: candidateId(n.candidate), value: d.value(n.candidate), throughputPerGpu: thr, tokPerUser: user, ...delta(thr, user), source: "analytic", verdict: analyticVerdict(chosen, n, missOf(n)) });
      continue;
    }
    if (!alts.length) continue;
    // One difference first; then fewest other differences; then meeting the SLO; then closest in interactivity.
    const best = (only.length ? only : [...alts]).sort(
      (a, b) => otherDifferences(a.candidate, chosen.candidate, d) - otherDifferences(b.candidate, chosen.candidate, d) || Number(b.meetsSlo) - Number(a.meetsSlo) || distance(a, chosen) - distance(b, chosen),
    )[0];
    out.push({ dimension: d.name, id: best.id, value: d.value(best.candidate), throughputPerGpu: best.throughputPerGpu, tokPerUser: best.tokPerUser, ...delta(best.throughputPerGpu, best.tokPerUser), source: "simulated", verdict: verdict(chosen, best) });
  }
  return out;
}

/** The frontier point to deploy: the most throughput per GPU (the cheapest token) among the points that meet every SLO. */
export function choose(frontier: Evaluated[]): Evaluated | undefined {
  return [...frontier].sort((a, b) => b.throughputPerGpu - a.throughputPerGpu || b.tokPerUser - a.tokPerUser)[0];
}
