import { describe, expect, it } from "vitest";
import type { Figure, Trace } from "../../lib/plots/types";
import {
  costPerMillionTokens,
  opRoofline,
  paretoByGroup,
  stackedBreakdown,
  type GroupedParetoPoint,
} from "../../lib/plots/sweeps";

const byName = (fig: Figure, name: string): Trace => {
  const t = fig.data.find((d) => d.name === name);
  if (!t) throw new Error(`no trace "${name}" in ${fig.data.map((d) => d.name).join(", ")}`);
  return t;
};

/** A figure spec must survive JSON (it is sent as application/vnd.plotly.v1+json). */
const jsonSafe = (fig: Figure) => expect(JSON.parse(JSON.stringify(fig))).toEqual(fig);

describe("stackedBreakdown", () => {
  const items = [
    { category: "moe", part: "memory", value: 2 },
    { category: "attention", part: "memory", value: 1 },
    { category: "moe", part: "memory", value: 3 },
    { category: "moe", part: "overhead", value: 0.5 },
    { category: "attention", part: "communication", value: 0.25 },
    { category: "attention", part: "compute", value: 0 },
  ];

  it("sums items per category and part, one stacked trace per part", () => {
    const fig = stackedBreakdown(items, { scale: 1000, yTitle: "ms" });
    expect(fig.layout.barmode).toBe("stack");
    expect(fig.data.map((d) => d.name)).toEqual(["memory", "overhead", "communication"]); // compute is all zero
    expect(byName(fig, "memory").x).toEqual(["moe", "attention"]);
    expect(byName(fig, "memory").y).toEqual([5000, 1000]);
    expect(byName(fig, "overhead").y).toEqual([500, 0]);
    expect(byName(fig, "communication").y).toEqual([0, 250]);
    jsonSafe(fig);
  });

  it("honours category and part orders and fixed colours, and can lie flat", () => {
    const fig = stackedBreakdown(items, {
      categoryOrder: ["attention"],
      partOrder: ["communication", "memory"],
      partColors: { memory: "#123456" },
      horizontal: true,
    });
    expect(fig.data.map((d) => d.name)).toEqual(["communication", "memory", "overhead"]);
    const mem = byName(fig, "memory");
    expect(mem.y).toEqual(["attention", "moe"]);
    expect(mem.x).toEqual([1, 5]);
    expect(mem.orientation).toBe("h");
    expect((mem.marker as { color: string }).color).toBe("#123456");
  });

  it("rejects a non-finite value", () => {
    expect(() => stackedBreakdown([{ category: "a", part: "b", value: NaN }])).toThrow(/non-finite/);
  });
});

describe("opRoofline", () => {
  const roof = { name: "B200 bf16", peakTflops: 2250, bandwidthTBps: 8 }; // ridge 281.25 FLOP/B
  const points = [
    { name: "experts", intensity: 9, tflops: 50, group: "decode" },
    { name: "attention", intensity: 8, tflops: 30, group: "decode" },
    { name: "experts", intensity: 2000, tflops: 1500, group: "prefill" },
    { name: "all-reduce", intensity: 0, tflops: 0, group: "decode" },
  ];

  it("draws the exact roof through the ridge and one trace per point group", () => {
    const fig = opRoofline([roof], points, { intensityRange: [1, 10_000] });
    const r = byName(fig, "B200 bf16");
    expect(r.x).toEqual([1, 281.25, 10_000]);
    expect(r.y).toEqual([8, 2250, 2250]);
    const d = byName(fig, "decode");
    expect(d.x).toEqual([9, 8]);
    expect(d.y).toEqual([50, 30]);
    expect(d.hovertext).toEqual(["experts", "attention"]);
    expect(d.text).toEqual(["experts", "attention"]);
    expect(d.textposition).toEqual(["bottom right", "middle right"]); // the first sits just under the memory roof
    // Near the right edge and just under the compute roof: below and to the left.
    expect(byName(fig, "prefill").textposition).toEqual(["bottom left"]);
    expect(d.mode).toBe("markers+text");
    expect(byName(fig, "prefill").x).toEqual([2000]);
    expect(fig.layout.xaxis?.type).toBe("log");
    expect(fig.layout.xaxis?.range).toEqual([0, 4]);
    expect(String(fig.layout.annotations?.[0].text)).toMatch(/1 op\(s\) without FLOPs/);
    jsonSafe(fig);
  });

  it("picks a range that spans the points and the ridge, and can drop the labels", () => {
    const fig = opRoofline([roof, { name: "B200 fp8", peakTflops: 4500, bandwidthTBps: 8 }], points.slice(0, 3), { labels: false });
    const [lo, hi] = fig.layout.xaxis?.range as number[];
    expect(10 ** lo).toBeLessThanOrEqual(8);
    expect(10 ** hi).toBeGreaterThanOrEqual(2000);
    expect(Number.isInteger(lo) && Number.isInteger(hi)).toBe(true);
    expect(byName(fig, "decode").mode).toBe("markers");
    expect((byName(fig, "B200 fp8").line as { dash: string }).dash).toBe("dot");
    expect(fig.layout.annotations).toBeUndefined();
  });
});

describe("opRoofline labels", () => {
  it("gives nearly coinciding points one shared label", () => {
    const roof = { name: "roof", peakTflops: 1000, bandwidthTBps: 5 };
    const fig = opRoofline([roof], [
      { name: "qkv_proj", intensity: 60, tflops: 120, group: "decode" },
      { name: "o_proj", intensity: 61, tflops: 118, group: "decode" },
      { name: "experts", intensity: 1000, tflops: 900, group: "prefill" },
      { name: "qkv_proj", intensity: 1800, tflops: 880, group: "prefill" },
      { name: "lm_head", intensity: 9, tflops: 40, group: "decode" },
    ]);
    expect(byName(fig, "decode").text).toEqual(["qkv_proj, o_proj", "", "lm_head"]);
    expect(byName(fig, "decode").hovertext).toEqual(["qkv_proj", "o_proj", "lm_head"]);
    expect(byName(fig, "prefill").text).toEqual(["experts, qkv_proj", ""]);
  });

  it("chains clusters: a point near a labelled-away point joins its owner's label", () => {
    const roof = { name: "roof", peakTflops: 2000, bandwidthTBps: 8 };
    const fig = opRoofline([roof], [
      { name: "experts", intensity: 640, tflops: 950 },
      { name: "qkv_proj", intensity: 1160, tflops: 1500 }, // near experts
      { name: "o_proj", intensity: 1040, tflops: 1540 }, // near qkv_proj only
    ]);
    expect(byName(fig, "ops").text).toEqual(["experts, qkv_proj, o_proj", "", ""]);
  });
});

describe("paretoByGroup", () => {
  const pt = (group: string, x: number, y: number, label: string): GroupedParetoPoint => ({ group, tokPerSecPerUser: x, tokPerSecPerGpu: y, label });
  const measured = [pt("TP2", 100, 900, "m2a"), pt("TP2", 50, 1500, "m2b"), pt("TP1", 40, 2000, "m1a"), pt("TP1", 80, 800, "m1b")];
  const predicted = [pt("TP1", 45, 1800, "p1a"), pt("TP8", 200, 100, "p8a"), pt("TP2", 90, NaN, "bad")];

  it("draws each group's measured and predicted points, in natural group order and x order", () => {
    const fig = paretoByGroup(measured, predicted);
    expect(fig.data.map((d) => d.name)).toEqual([
      "TP1 measured",
      "TP1 predicted",
      "TP2 measured",
      "TP8 predicted",
      "measured frontier",
      "predicted frontier",
    ]);
    const m2 = byName(fig, "TP2 measured");
    expect(m2.x).toEqual([50, 100]);
    expect(m2.y).toEqual([1500, 900]);
    expect(m2.legendgroup).toBe("TP2");
    expect((byName(fig, "TP1 predicted").marker as { symbol: string }).symbol).toBe("diamond-open");
    expect((byName(fig, "TP1 measured").marker as { color: string }).color).toBe((byName(fig, "TP1 predicted").marker as { color: string }).color);
    jsonSafe(fig);
  });

  it("draws the frontier of each kind across all groups", () => {
    const fig = paretoByGroup(measured, predicted);
    const mf = byName(fig, "measured frontier");
    expect(mf.text).toEqual(["m1a", "m2b", "m2a"]); // m1b (80, 800) is beaten by m2a (100, 900)
    expect((mf.line as { dash: string }).dash).toBe("solid");
    const pf = byName(fig, "predicted frontier");
    expect(pf.x).toEqual([45, 200]); // the NaN point is left out
    expect((pf.line as { dash: string }).dash).toBe("dash");
  });

  it("works with one side empty and honours names, order and log axes", () => {
    const fig = paretoByGroup([], predicted, { predictedName: "Mantile", groupOrder: ["TP8"], logX: true, connectGroups: false });
    expect(fig.data.map((d) => d.name)).toEqual(["TP8 Mantile", "TP1 Mantile", "Mantile frontier"]);
    expect(byName(fig, "TP8 Mantile").mode).toBe("markers");
    expect(fig.layout.xaxis?.type).toBe("log");
  });
});

describe("costPerMillionTokens", () => {
  it("is price per GPU-hour over tokens per GPU-hour, per million", () => {
    // 3600 USD/h at 1000 tok/s/GPU: 3.6e6 tokens per hour cost 3600 USD → 1000 USD per million.
    expect(costPerMillionTokens(3600, 1000)).toBeCloseTo(1000, 10);
    expect(costPerMillionTokens(6, 5000)).toBeCloseTo((6 / (5000 * 3600)) * 1e6, 12);
    expect(costPerMillionTokens(0, 10)).toBe(0);
  });

  it("rejects a zero throughput or a negative price", () => {
    expect(() => costPerMillionTokens(6, 0)).toThrow(/positive throughput/);
    expect(() => costPerMillionTokens(-1, 10)).toThrow(/price/);
  });
});
