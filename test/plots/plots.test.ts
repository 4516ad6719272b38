import { describe, expect, it } from "vitest";
import {
  accuracySummary,
  attainableTflops,
  barChart,
  errorBoxPlot,
  errorHistogram,
  lineChart,
  paretoComparison,
  paretoFrontier,
  predictedVsActual,
  relativeErrorPct,
  ridgePoint,
  roofline,
  servingFrontier,
  type AccuracyPoint,
  type Figure,
  type ParetoPoint,
  type Trace,
} from "../../lib/plots/index";

const byName = (fig: Figure, name: string): Trace => {
  const t = fig.data.find((d) => d.name === name);
  if (!t) throw new Error(`no trace "${name}" in ${fig.data.map((d) => d.name).join(", ")}`);
  return t;
};

/** A figure spec must survive JSON (it is sent as application/vnd.plotly.v1+json). */
const jsonSafe = (fig: Figure) => expect(JSON.parse(JSON.stringify(fig))).toEqual(fig);

const points: AccuracyPoint[] = [
  { actual: 100, predicted: 110, label: "a", group: "trtllm", tags: { tp: 8, islOsl: "1k/1k" } },
  { actual: 200, predicted: 150, label: "b", group: "vllm", tags: { tp: 2, islOsl: "1k/1k" } },
  { actual: 50, predicted: 50, label: "c", group: "trtllm", tags: { tp: 16, islOsl: "8k/1k" } },
  { actual: 1000, predicted: 1300, label: "d", group: "sglang", tags: { tp: 2, islOsl: "8k/1k" } },
];

describe("relative error and summary", () => {
  it("computes signed errors in percent", () => {
    expect(points.map(relativeErrorPct)).toEqual([10, -25, 0, 30]);
    expect(() => relativeErrorPct({ actual: 0, predicted: 1 })).toThrow(/actual > 0/);
  });

  it("summarises MAPE, median, bias and the share within ±20%", () => {
    const s = accuracySummary(points);
    expect(s.n).toBe(4);
    expect(s.mapePct).toBeCloseTo((10 + 25 + 0 + 30) / 4, 10);
    expect(s.medianAbsPct).toBeCloseTo((10 + 25) / 2, 10);
    expect(s.biasPct).toBeCloseTo((10 - 25 + 0 + 30) / 4, 10);
    expect(s.withinBand).toBe(2 / 4);
  });
});

describe("predictedVsActual", () => {
  const fig = predictedVsActual(points, { metric: "TTFT", unit: "ms" });

  it("has the y = x line and band lines at exactly 0.8x and 1.2x", () => {
    const diag = byName(fig, "y = x");
    const hi = byName(fig, "+20%");
    const lo = byName(fig, "−20%");
    expect(diag.y).toEqual(diag.x);
    const xs = hi.x as number[];
    expect(xs.length).toBe(2);
    expect(hi.y).toEqual(xs.map((x) => x * 1.2));
    expect(lo.y).toEqual((lo.x as number[]).map((x) => x * 0.8));
    // The lines span every point.
    expect(xs[0]).toBeLessThan(50);
    expect(xs[1]).toBeGreaterThan(1300);
  });

  it("uses log axes with equal ranges and titles with the unit", () => {
    expect(fig.layout.xaxis?.type).toBe("log");
    expect(fig.layout.yaxis?.type).toBe("log");
    expect(fig.layout.xaxis?.range).toEqual(fig.layout.yaxis?.range);
    expect(fig.layout.xaxis?.title?.text).toBe("measured TTFT (ms)");
    expect(fig.layout.yaxis?.title?.text).toBe("predicted TTFT (ms)");
  });

  it("draws one marker trace per group with actual on x and predicted on y", () => {
    const tr = byName(fig, "trtllm");
    expect(tr.mode).toBe("markers");
    expect(tr.x).toEqual([100, 50]);
    expect(tr.y).toEqual([110, 50]);
    expect(tr.text).toEqual(["a", "c"]);
    expect(fig.data.filter((d) => d.mode === "markers").map((d) => d.name)).toEqual(["sglang", "trtllm", "vllm"]);
    jsonSafe(fig);
  });

  it("leaves out non-positive points and says so", () => {
    const f = predictedVsActual([...points, { actual: 0, predicted: 5 }, { actual: 5, predicted: -1 }]);
    const shown = f.data.filter((d) => d.mode === "markers").reduce((n, d) => n + (d.x?.length ?? 0), 0);
    expect(shown).toBe(4);
    expect(String(f.layout.annotations?.[0].text)).toMatch(/2 point\(s\) with a non-positive value not shown/);
  });

  it("honours another band", () => {
    const f = predictedVsActual(points, { band: 0.1 });
    const hi = byName(f, "+10%");
    expect(hi.y).toEqual((hi.x as number[]).map((x) => x * 1.1));
  });
});

describe("errorHistogram", () => {
  it("bins the signed errors with lines at 0 and ±20%", () => {
    const fig = errorHistogram(points, { binPct: 10 });
    expect(fig.data).toHaveLength(1);
    expect(fig.data[0].type).toBe("histogram");
    expect(fig.data[0].x).toEqual(points.map(relativeErrorPct));
    expect(fig.data[0].xbins).toEqual({ start: -30, size: 10 });
    expect(fig.layout.shapes?.map((s) => s.x0)).toEqual([-20, 0, 20]);
    jsonSafe(fig);
  });

  it("overlays one histogram per group", () => {
    const fig = errorHistogram(points, { by: "group" });
    expect(fig.data.map((d) => d.name)).toEqual(["sglang", "trtllm", "vllm"]);
    expect(fig.layout.barmode).toBe("overlay");
  });
});

describe("errorBoxPlot", () => {
  it("groups by a tag in natural order", () => {
    const fig = errorBoxPlot(points, "tp");
    expect(fig.data.map((d) => d.name)).toEqual(["2", "8", "16"]);
    expect(fig.data[0].y).toEqual([-25, 30]);
    expect(fig.data.every((d) => d.type === "box" && d.boxpoints === "all")).toBe(true);
    expect(fig.layout.shapes?.map((s) => s.y0)).toEqual([-20, 0, 20]);
    expect(fig.layout.xaxis?.title?.text).toBe("tp");
    jsonSafe(fig);
  });

  it("groups by framework (default group), by ISL/OSL, or by a function, with an explicit order", () => {
    expect(errorBoxPlot(points).data.map((d) => d.name)).toEqual(["sglang", "trtllm", "vllm"]);
    expect(errorBoxPlot(points, "islOsl", { order: ["8k/1k"] }).data.map((d) => d.name)).toEqual(["8k/1k", "1k/1k"]);
    const f = errorBoxPlot(points, (p) => (p.actual >= 100 ? "large" : "small"));
    expect(f.data.map((d) => [d.name, (d.y as number[]).length])).toEqual([
      ["large", 3],
      ["small", 1],
    ]);
  });
});

describe("Pareto frontier", () => {
  // Hand-made set, maximising both x (tok/s/user) and y (tok/s/GPU):
  //   A(10,100) B(20,90) C(15,80) D(30,50) E(30,40) F(5,100) G = B again, H(40,10), I(NaN,500)
  // C is beaten by B, E by D (same x, lower y), F by A (higher x, same y), G duplicates B,
  // I is not a number. Frontier by hand: A, B, D, H.
  type P = { id: string; x: number; y: number };
  const set: P[] = [
    { id: "C", x: 15, y: 80 },
    { id: "A", x: 10, y: 100 },
    { id: "E", x: 30, y: 40 },
    { id: "B", x: 20, y: 90 },
    { id: "F", x: 5, y: 100 },
    { id: "D", x: 30, y: 50 },
    { id: "G", x: 20, y: 90 },
    { id: "H", x: 40, y: 10 },
    { id: "I", x: NaN, y: 500 },
  ];

  it("keeps exactly the non-dominated points, in ascending x", () => {
    const front = paretoFrontier(set, (p) => p.x, (p) => p.y);
    expect(front.map((p) => p.id).join("")).toMatch(/^A[BG]DH$/);
  });

  it("handles empty and single-point sets", () => {
    expect(paretoFrontier([] as P[], (p) => p.x, (p) => p.y)).toEqual([]);
    expect(paretoFrontier([set[0]], (p) => p.x, (p) => p.y)).toEqual([set[0]]);
  });

  const toServing = (ps: P[]): ParetoPoint[] =>
    ps.map((p) => ({ tokPerSecPerUser: p.x, tokPerSecPerGpu: p.y, label: p.id }));

  it("servingFrontier uses tok/s/user on x and tok/s/GPU on y", () => {
    expect(servingFrontier(toServing(set)).map((p) => p.label)).toEqual(["A", "B", "D", "H"]);
  });

  it("paretoComparison draws measured solid and predicted dashed frontiers over all points", () => {
    const predicted = toServing([
      { id: "p1", x: 12, y: 95 },
      { id: "p2", x: 25, y: 60 },
      { id: "p3", x: 20, y: 50 },
    ]);
    const fig = paretoComparison(toServing(set), predicted);
    const m = byName(fig, "measured frontier");
    const p = byName(fig, "predicted frontier");
    expect(m.x).toEqual([10, 20, 30, 40]);
    expect(m.y).toEqual([100, 90, 50, 10]);
    expect((m.line as { dash: string }).dash).toBe("solid");
    expect(p.text).toEqual(["p1", "p2"]);
    expect((p.line as { dash: string }).dash).toBe("dash");
    expect(byName(fig, "measured (all)").x).toHaveLength(set.length - 1); // the NaN point is left out
    expect(fig.layout.xaxis?.title?.text).toBe("output tokens/s per user");
    expect(fig.layout.yaxis?.title?.text).toBe("output tokens/s per GPU");
    jsonSafe(fig);
  });
});

describe("bar and line helpers", () => {
  it("builds grouped bars with gaps for nulls", () => {
    const fig = barChart(["h100", "b200"], [
      { name: "bf16", values: [989, 2250] },
      { name: "fp4", values: [null, 9000] },
    ]);
    expect(fig.data.map((d) => [d.type, d.name, d.x, d.y])).toEqual([
      ["bar", "bf16", ["h100", "b200"], [989, 2250]],
      ["bar", "fp4", ["h100", "b200"], [null, 9000]],
    ]);
    expect(fig.layout.barmode).toBe("group");
    jsonSafe(fig);
  });

  it("rejects a series whose length does not match the categories", () => {
    expect(() => barChart(["a", "b"], [{ name: "s", values: [1] }])).toThrow(/1 values for 2 categories/);
    expect(() => lineChart([{ name: "s", x: [1, 2], y: [1] }])).toThrow(/2 x and 1 y/);
  });

  it("builds lines on log axes when asked", () => {
    const fig = lineChart([{ name: "s", x: [1, 10], y: [2, 20], dash: "dot" }], { logX: true, logY: true, xTitle: "x" });
    expect(fig.data[0].mode).toBe("lines+markers");
    expect(fig.layout.xaxis?.type).toBe("log");
    expect(fig.layout.xaxis?.title?.text).toBe("x");
  });
});

describe("roofline", () => {
  it("computes ridge points in FLOP/byte", () => {
    expect(ridgePoint(989, 3.35)).toBeCloseTo(295.22, 2);
    expect(ridgePoint(4500, 8)).toBe(562.5);
    expect(attainableTflops(989, 3.35, 1)).toBeCloseTo(3.35, 10);
    expect(attainableTflops(989, 3.35, 1000)).toBe(989);
    expect(() => ridgePoint(0, 1)).toThrow(/positive/);
  });

  it("draws each roof through its ridge and marks reference intensities", () => {
    const fig = roofline([{ name: "H100", peakTflops: 989, bandwidthTBps: 3.35 }], {
      intensityRange: [1, 10000],
      markers: [{ name: "decode b=1", intensity: 1 }],
    });
    const roof = byName(fig, "H100");
    const r = 989 / 3.35;
    expect(roof.x).toEqual([1, r, 10000]);
    expect(roof.y).toEqual([3.35, 989, 989]);
    expect(byName(fig, "H100 ridge").x).toEqual([r]);
    expect(fig.layout.shapes?.[0].x0).toBe(1);
    expect(fig.layout.xaxis?.type).toBe("log");
    jsonSafe(fig);
  });
});
