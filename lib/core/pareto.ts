/**
 * The Pareto frontier of `points` when both coordinates are to be maximised: the points that no
 * other point beats or equals on both x and y (with one strictly better). Exact duplicates are
 * kept once (the first). Returned in ascending x (so descending y). Points with a non-finite
 * coordinate are ignored. One implementation for the deployment search and the plots.
 */
export function paretoFrontier<T>(points: readonly T[], getX: (p: T) => number, getY: (p: T) => number): T[] {
  const valid = points.filter((p) => Number.isFinite(getX(p)) && Number.isFinite(getY(p)));
  // Sweep from the largest x down; within equal x, largest y first: a point is on the frontier if it beats every y seen so far.
  const sorted = [...valid].sort((a, b) => getX(b) - getX(a) || getY(b) - getY(a));
  const front: T[] = [];
  let bestY = -Infinity;
  for (const p of sorted) {
    if (getY(p) > bestY) {
      front.push(p);
      bestY = getY(p);
    }
  }
  return front.reverse();
}
