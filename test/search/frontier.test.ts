/** The frontier and the selection for simulation, on hand-made points. */
import { describe, expect, it } from "vitest";
import { closeness, frontierOf, frontierYAt, nearFrontier } from "../../lib/search/frontier";

type P = { n: string; x: number; y: number; g?: string };
const X = (p: P) => p.x;
const Y = (p: P) => p.y;
const pts: P[] = [
  { n: "A", x: 10, y: 100 },
  { n: "B", x: 20, y: 80 },
  { n: "C", x: 15, y: 70 }, // below B on both
  { n: "D", x: 30, y: 40 },
  { n: "E", x: 30, y: 30 }, // same x as D, lower y
  { n: "F", x: 5, y: 100 }, // same y as A, lower x
  { n: "G", x: NaN, y: 500 }, // not finite: ignored
];

describe("frontier", () => {
  it("keeps the points nothing beats on both axes, in ascending x", () => {
    expect(frontierOf(pts, X, Y).map((p) => p.n)).toEqual(["A", "B", "D"]);
  });

  it("keeps an exact duplicate once", () => {
    expect(frontierOf([{ n: "A", x: 1, y: 1 }, { n: "A2", x: 1, y: 1 }], X, Y)).toHaveLength(1);
  });

  it("closeness: y over the frontier's best y at interactivity ≥ x", () => {
    const front = frontierOf(pts, X, Y);
    // At x = 15 the frontier reaches B (x 20 ≥ 15, y 80): C is 70 / 80.
    expect(frontierYAt(front, X, Y, 15)).toBe(80);
    expect(closeness(pts[2], front, X, Y)).toBeCloseTo(0.875, 12);
    // E at x = 30: D (40) → 30 / 40; F at x = 5: A (100) → 1.
    expect(closeness(pts[4], front, X, Y)).toBeCloseTo(0.75, 12);
    expect(closeness(pts[5], front, X, Y)).toBe(1);
  });

  it("near the frontier: within the slack, closest first (then faster), at most the limit, duplicates once", () => {
    // Slack 10%: A, B, D, F (closeness 1) stay; C (0.875) and E (0.75) go. Ties by larger x first: D, B, A, F.
    expect(nearFrontier(pts, () => "all", X, Y, 0.1, 10).map((p) => p.n)).toEqual(["D", "B", "A", "F"]);
    expect(nearFrontier(pts, () => "all", X, Y, 0.1, 3).map((p) => p.n)).toEqual(["D", "B", "A"]);
    // Slack 20% also takes C (0.875 ≥ 0.8), after the closeness-1 points.
    expect(nearFrontier(pts, () => "all", X, Y, 0.2, 10).map((p) => p.n)).toEqual(["D", "B", "A", "F", "C"]);
    // H is within 1% of D on both axes: a duplicate of it.
    const h: P = { n: "H", x: 30.2, y: 40.1 };
    expect(nearFrontier([...pts, h], () => "all", X, Y, 0.1, 10, 0.01).map((p) => p.n)).toEqual(["H", "B", "A", "F"]);
  });

  it("takes points in turns from each group so every group is simulated", () => {
    const two: P[] = [
      { n: "a1", x: 1, y: 10, g: "agg" }, { n: "a2", x: 2, y: 9, g: "agg" }, { n: "a3", x: 3, y: 8, g: "agg" },
      { n: "d1", x: 1, y: 1, g: "dis" }, { n: "d2", x: 2, y: 0.5, g: "dis" },
    ];
    // Each group's own frontier: agg a1–a3, dis d1–d2 (dis is far below agg, but its own frontier counts).
    // Groups in sorted order (agg, dis), closest first within each, ties by larger x: a3 d2 a2 d1 a1.
    expect(nearFrontier(two, (p) => p.g!, X, Y, 0.1, 5).map((p) => p.n)).toEqual(["a3", "d2", "a2", "d1", "a1"]);
    expect(nearFrontier(two, (p) => p.g!, X, Y, 0.1, 3).map((p) => p.n)).toEqual(["a3", "d2", "a2"]);
  });
});
