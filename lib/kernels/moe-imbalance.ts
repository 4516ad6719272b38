/**
 * Expert-parallel load imbalance under aiconfigurator's power-law routing: the load (token-expert
 * pairs) of the most loaded EP rank over the mean rank load, as the `power_law_<alpha>` MoE rows
 * were measured (their rank 0 is that most loaded rank).
 *
 * This is aiconfigurator's synthetic routing assumption (collector/helper.py
 * `_generate_power_law_distribution`, alpha 1.01 and 1.2 in the tables), not routing observed in a
 * served model: per-expert token counts drawn from a power law on [1, 0.8·tokens] (or [0.01, 2]
 * when tokens·k ≤ E), scaled to tokens·k pairs, capped at `tokens` per expert, the remainder
 * spread one pair at a time over the ranks in turn. Re-implemented here with a seeded generator and
 * averaged over samples, so the result is deterministic; use it as a stated assumption.
 */

/** Samples averaged per call: the generator's run-to-run spread of the max/mean ratio is a few %. */
export const IMBALANCE_SAMPLES = 64;
const SEED = 0x9e3779b9;

/** mulberry32: a small deterministic PRNG (uniform in [0, 1)). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** torch.round: half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Add `step` to one expert per rank in turn (argmin/argmax among valid, first index) until done. */
function roundRobin(counts: number[], ep: number, remaining: number, step: 1 | -1, cap: number): void {
  const local = counts.length / ep;
  while (remaining > 0) {
    let progressed = false;
    for (let r = 0; r < ep && remaining > 0; r++) {
      let pick = -1;
      for (let i = r * local; i < (r + 1) * local; i++) {
        const ok = step > 0 ? counts[i] < cap : counts[i] > 0;
        if (!ok) continue;
        if (pick < 0 || (step > 0 ? counts[i] < counts[pick] : counts[i] > counts[pick])) pick = i;
      }
      if (pick < 0) continue;
      counts[pick] += step;
      remaining--;
      progressed = true;
    }
    if (!progressed) return;
  }
}

/** One draw of aiconfigurator's per-expert token counts. */
export function powerLawCounts(tokens: number, experts: number, topk: number, ep: number, alpha: number, rand: () => number): number[] {
  const [xmin, xmax] = tokens * topk > experts ? [1, tokens * 0.8] : [0.01, 2];
  const a = 1 - alpha;
  const raw = Array.from({ length: experts }, () => Math.pow((Math.pow(xmax, a) - Math.pow(xmin, a)) * rand() + Math.pow(xmin, a), 1 / a));
  const total = raw.reduce((s, x) => s + x, 0);
  const target = tokens * topk;
  const counts = raw.map((x) => roundHalfEven((x / total) * target));
  let overflow = 0;
  for (let i = 0; i < experts; i++) {
    if (counts[i] > tokens) {
      overflow += counts[i] - tokens;
      counts[i] = tokens;
    }
  }
  if (overflow > 0) roundRobin(counts, ep, overflow, 1, tokens);
  const delta = target - counts.reduce((s, x) => s + x, 0);
  if (delta > 0) roundRobin(counts, ep, delta, 1, tokens);
  if (delta < 0) roundRobin(counts, ep, -delta, -1, tokens);
  return counts;
}

export interface RankImbalance {
  /** Pairs on the most loaded rank over the mean pairs per rank (tokens·k/ep); 1 = balanced. */
  maxOverMean: number;
  /** Distinct experts with tokens on the most loaded rank, mean over samples. */
  touchedOnMax: number;
  samples: number;
}

const memo = new Map<string, RankImbalance>();

/** Expected max-rank/mean-rank load under aiconfigurator's power law (deterministic, memoised). */
export function powerLawImbalance(tokens: number, experts: number, topk: number, ep: number, alpha: number): RankImbalance {
  const key = `${tokens},${experts},${topk},${ep},${alpha}`;
  let out = memo.get(key);
  if (out) return out;
  if (!(tokens >= 1 && experts >= 1 && topk >= 1 && ep >= 1) || experts % ep !== 0 || !(alpha > 0 && alpha !== 1)) {
    throw new Error(`powerLawImbalance: need tokens, experts, topk, ep ≥ 1 with experts divisible by ep and alpha > 0, ≠ 1 (got ${key})`);
  }
  const rand = prng(SEED);
  const local = experts / ep, mean = (tokens * topk) / ep;
  let ratio = 0, touched = 0;
  for (let s = 0; s < IMBALANCE_SAMPLES; s++) {
    const c = powerLawCounts(tokens, experts, topk, ep, alpha, rand);
    let best = -1, bestSum = -1;
    for (let r = 0; r < ep; r++) {
      let sum = 0;
      for (let i = r * local; i < (r + 1) * local; i++) sum += c[i];
      if (sum > bestSum) [best, bestSum] = [r, sum];
    }
    ratio += bestSum / mean;
    touched += c.slice(best * local, (best + 1) * local).filter((x) => x > 0).length;
  }
  out = { maxOverMean: ratio / IMBALANCE_SAMPLES, touchedOnMax: touched / IMBALANCE_SAMPLES, samples: IMBALANCE_SAMPLES };
  memo.set(key, out);
  return out;
}
