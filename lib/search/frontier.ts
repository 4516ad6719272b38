/**
 * The throughput–interactivity frontier: the points no other point beats on both throughput per GPU
 * and tokens/s per user, and the screened points close enough to the (analytic) frontier to be worth a
 * simulation.
 */
import { paretoFrontier } from "../core/pareto";

/** The Pareto frontier when both coordinates are maximised (lib/core/pareto.ts), in ascending x. */
export const frontierOf = paretoFrontier;

/** The best y the frontier reaches at interactivity ≥ x (−∞ beyond the frontier's fastest point). */
export function frontierYAt<T>(front: readonly T[], x: (p: T) => number, y: (p: T) => number, at: number): number {
  let best = -Infinity;
  for (const f of front) if (x(f) >= at && y(f) > best) best = y(f);
  return best;
}

/** A point's closeness to the frontier: its y over the frontier's best y at its x (1 on the frontier). */
export function closeness<T>(p: T, front: readonly T[], x: (q: T) => number, y: (q: T) => number): number {
  const fy = frontierYAt(front, x, y, x(p));
  return fy > 0 ? y(p) / fy : Number.isFinite(fy) ? 1 : 0;
}

/**
 * The points within `slack` of the frontier of their own group (e.g. aggregated and disaggregated
 * modes), closest first, taken in turns from each group so every group is simulated, at most `limit`;
 * a point within `same` (relative) of a closer one on both axes is left out as a duplicate.
 */
export function nearFrontier<T>(points: readonly T[], group: (p: T) => string, x: (p: T) => number, y: (p: T) => number, slack: number, limit: number, same = 0): T[] {
  const groups = [...new Set(points.map(group))].sort();
  const lists = groups.map((g) => {
    const mine = points.filter((p) => group(p) === g);
    const front = frontierOf(mine, x, y);
    const ranked = mine
      .map((p) => ({ p, c: closeness(p, front, x, y) }))
      .filter((e) => e.c >= 1 - slack)
      .sort((a, b) => b.c - a.c || x(b.p) - x(a.p))
      .map((e) => e.p);
    // A point within `same` (relative) of one already kept on both axes is the same point to the frontier.
    const kept: T[] = [];
    for (const p of ranked) if (kept.length < limit && !kept.some((k) => Math.abs(x(k) / x(p) - 1) <= same && Math.abs(y(k) / y(p) - 1) <= same)) kept.push(p);
    return kept;
  });
  const out: T[] = [];
  for (let i = 0; out.length < limit && lists.some((l) => i < l.length); i++) {
    for (const l of lists) if (i < l.length && out.length < limit) out.push(l[i]);
  }
  return out;
}
