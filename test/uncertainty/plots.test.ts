/** Figures of the intervals: error bars, the reliability diagram, coverage bars, ranking by the pessimistic end. */
import { describe, expect, it } from "vitest";
import { coverageBars, insideInterval, predictedVsActual, rankConfigs, reliabilityDiagram } from "../../lib/plots/index";
import { comparedPoints } from "../../lib/plots/reconcile";
import { paretoByGroup } from "../../lib/plots/sweeps";

describe("error bars", () => {
  it("predicted vs measured draws each point's interval as an asymmetric error bar and counts the points inside", () => {
    const pts = [
      { actual: 100, predicted: 90, low: 80, high: 110 }, // inside
      { actual: 200, predicted: 150, low: 120, high: 180 }, // outside
      { actual: 50, predicted: 55 }, // no interval
    ];
    expect(insideInterval(pts)).toBe(0.5); // 1 of the 2 points with an interval
    const fig = predictedVsActual(pts);
    const bars = fig.data[0].error_y as { array: (number | null)[]; arrayminus: (number | null)[] };
    // Above the point: high − predicted (110 − 90 = 20, 180 − 150 = 30); below: predicted − low (10, 30); none for the third.
    expect(bars.array).toEqual([20, 30, null]);
    expect(bars.arrayminus).toEqual([10, 30, null]);
    expect(String(fig.layout.annotations![0].text)).toMatch(/inside the predicted interval: 50\.0%/);
  });

  it("compared rows carry their interval columns into the points (scaled like the values)", () => {
    const row = { gpu_model: "b200", framework: "vllm", predicted_ttft_sec_p10: "0.08", predicted_ttft_sec_p90: "0.12" };
    const [p] = comparedPoints([{ row, errors: { ttft: { actual: 0.11, predicted: 0.1 } } }], "ttft", { scale: 1000 });
    expect(p.low).toBeCloseTo(80, 9);
    expect(p.high).toBeCloseTo(120, 9);
    const [q] = comparedPoints([{ row: { gpu_model: "b200" }, errors: { ttft: { actual: 0.11, predicted: 0.1 } } }], "ttft");
    expect(q.low).toBeUndefined();
  });

  it("frontier charts draw the predicted points' throughput interval", () => {
    const fig = paretoByGroup([], [{ group: "TP2", tokPerSecPerUser: 50, tokPerSecPerGpu: 1000, gpuLow: 800, gpuHigh: 1300 }]);
    const t = fig.data.find((d) => d.name === "TP2 predicted")!;
    expect((t.error_y as { array: number[] }).array).toEqual([300]);
    expect((t.error_y as { arrayminus: number[] }).arrayminus).toEqual([200]);
  });
});

describe("reliability", () => {
  it("plots nominal against observed coverage in percent, with the diagonal and the target band", () => {
    const fig = reliabilityDiagram([{ name: "leave-one-gpu-out throughput", points: [{ nominal: 0.8, observed: 0.78 }, { nominal: 0.5, observed: 0.45 }, { nominal: 0.9, observed: NaN }], n: 592 }], { target: { nominal: 0.8, low: 0.75, high: 0.85 } });
    expect(fig.data[0].x).toEqual([50, 80]); // sorted; the NaN point left out
    expect(fig.data[0].y).toEqual([45, 78]);
    expect(fig.data[1].name).toBe("perfectly calibrated");
    expect(fig.layout.shapes![0]).toMatchObject({ y0: 75, y1: 85 });
  });

  it("coverage bars per split and metric, a missing coverage as a gap", () => {
    const fig = coverageBars(["k-fold", "leave-one-model-out"], [{ metric: "ttft", coverage: [0.78, NaN] }], { target: [0.75, 0.85] });
    expect(fig.data[0].y).toEqual([78, null]);
    expect(fig.layout.shapes![0]).toMatchObject({ y0: 75, y1: 85 });
  });
});

describe("ranking by the pessimistic end", () => {
  const configs = [
    { label: "TP1", value: 1000, low: 600, high: 1400 }, // best point, wide
    { label: "TP2", value: 900, low: 800, high: 1000 }, // narrower: best pessimistic end
    { label: "TP4", value: 700 }, // no interval: its point either way
  ];
  it("throughput (higher is better): by the low end", () => {
    expect(rankConfigs(configs, { higherIsBetter: true, by: "point" }).map((c) => c.label)).toEqual(["TP1", "TP2", "TP4"]);
    expect(rankConfigs(configs, { higherIsBetter: true, by: "pessimistic" }).map((c) => `${c.label} ${c.score}`)).toEqual(["TP2 800", "TP4 700", "TP1 600"]);
  });
  it("latency (lower is better): by the high end", () => {
    expect(rankConfigs(configs, { higherIsBetter: false, by: "pessimistic" }).map((c) => c.label)).toEqual(["TP4", "TP2", "TP1"]);
  });
});
