import { describe, expect, it } from "vitest";
import type { Figure, Trace } from "../../lib/plots/types";
import { binTimeline, comparedPoints, defaultRowLabel, metricErrorBoxes, parameterPositions, simulationTimeline, type TimelineRecord } from "../../lib/plots/reconcile";

const byName = (fig: Figure, name: string): Trace => {
  const t = fig.data.find((d) => d.name === name);
  if (!t) throw new Error(`no trace "${name}" in ${fig.data.map((d) => d.name).join(", ")}`);
  return t;
};
const jsonSafe = (fig: Figure) => expect(JSON.parse(JSON.stringify(fig))).toEqual(fig);

const row = (o: Record<string, string>) => ({
  gpu_model: "b200", framework: "vllm", input_seq_len: "1024", output_seq_len: "1024", tensor_parallel: "2", dp_attention: "false", concurrency: "64", disagg: "false", ...o,
});

describe("comparedPoints", () => {
  const rows = [
    { row: row({}), errors: { tpot: { actual: 0.01, predicted: 0.012 }, throughput: { actual: 100, predicted: 90 } } },
    { row: row({ framework: "trt", dp_attention: "true", tensor_parallel: "8" }), errors: { throughput: { actual: 50, predicted: 55 } } },
  ];

  it("takes the rows that have the metric, scaled, labelled and grouped by framework", () => {
    const pts = comparedPoints(rows, "tpot", { scale: 1000, tags: (r) => ({ tp: r.tensor_parallel }) });
    expect(pts).toHaveLength(1);
    expect(pts[0].actual).toBeCloseTo(10);
    expect(pts[0].predicted).toBeCloseTo(12);
    expect(pts[0].group).toBe("vllm");
    expect(pts[0].tags).toEqual({ tp: "2" });
    expect(pts[0].label).toBe("b200 vllm 1024/1024 TP2 conc 64");
    const tp = comparedPoints(rows, "throughput", { group: (r) => r.gpu_model });
    expect(tp.map((p) => p.group)).toEqual(["b200", "b200"]);
    expect(tp[1].label).toContain("TP8 DPA");
    expect(tp[1].tags).toBeUndefined();
  });

  it("labels disaggregated rows by their pools", () => {
    expect(defaultRowLabel(row({ disagg: "true", prefill_tp: "4", prefill_num_workers: "1", decode_tp: "8", decode_num_workers: "2" }))).toBe(
      "b200 vllm 1024/1024 P4×1/D8×2 conc 64",
    );
  });
});

describe("metricErrorBoxes", () => {
  const pts = (errs: number[], tp: string[]) => errs.map((e, i) => ({ actual: 100, predicted: 100 + e, tags: { tp: tp[i] }, label: `p${i}` }));

  it("one box trace per metric, grouped by category, in natural order, bands at 0 and ±band", () => {
    const fig = metricErrorBoxes(
      [
        { metric: "throughput", points: pts([10, -5, 30], ["TP8", "TP2", "TP2"]) },
        { metric: "TPOT", points: [...pts([1, 2], ["TP16", "TP2"]), { actual: 0, predicted: 1 }] },
      ],
      "tp",
      { band: 0.1 },
    );
    expect(fig.layout.boxmode).toBe("group");
    expect(fig.data.map((d) => d.name)).toEqual(["throughput", "TPOT"]);
    const t = byName(fig, "throughput");
    expect(t.x).toEqual(["TP8", "TP2", "TP2"]);
    expect(t.y).toEqual([10, -5, 30]);
    expect(t.boxpoints).toBe("outliers");
    expect(byName(fig, "TPOT").y).toEqual([1, 2]); // actual 0 dropped
    expect((fig.layout.xaxis as { categoryarray: string[] }).categoryarray).toEqual(["TP2", "TP8", "TP16"]);
    expect((fig.layout.shapes ?? []).map((s) => s.y0)).toEqual([-10, 0, 10]);
    jsonSafe(fig);
  });

  it("honours an explicit order and can draw all points", () => {
    const fig = metricErrorBoxes([{ metric: "e2e", points: pts([1, 2], ["b", "a"]) }], "tp", { order: ["b"], points: "all" });
    expect((fig.layout.xaxis as { categoryarray: string[] }).categoryarray).toEqual(["b", "a"]);
    expect(fig.data[0].boxpoints).toBe("all");
    expect(fig.layout.showlegend).toBe(false);
  });
});

describe("simulationTimeline", () => {
  const rec = (t: number, running: number, replica = "both0", decodes = running): TimelineRecord => ({
    t, running, decodes, prefillTokens: running === decodes ? 0 : 1000, kvUsed: running / 100, replica,
  });

  it("bins into equal time bins, weighting each record by the time until the next", () => {
    // 1000 records 0.1 s apart; running cycles 0..9: every bin of 100 records averages 4.5.
    const recs = Array.from({ length: 1000 }, (_, i) => rec(i / 10, i % 10));
    const b = binTimeline(recs, 10);
    expect(b.t).toHaveLength(10);
    expect(b.running.every((v) => Math.abs(v - 4.5) < 1e-9)).toBe(true);
    expect(b.t[0]).toBeCloseTo(5);
    // A long decode run (one record, 9 s) outweighs a short prefill step (1 s) before it; the last
    // record gets the median duration (9 s).
    const runs = [rec(0, 10, "r", 9), rec(1, 20), rec(10, 20)];
    const one = binTimeline(runs, 1);
    expect(one.running[0]).toBeCloseTo((10 * 1 + 20 * 9 + 20 * 9) / 19);
    expect(one.prefillRate[0]).toBeCloseTo(1000 / 19); // tokens per second, not per record
    // Fewer records than bins: one point per record, in time order.
    const short = binTimeline(recs.slice(0, 5).reverse(), 10);
    expect(short.t.map((x) => Number(x.toFixed(2)))).toEqual([0.05, 0.15, 0.25, 0.35, 0.45]);
    expect(short.prefillRate).toEqual([0, 0, 0, 0, 0]);
    expect(binTimeline([], 5).t).toEqual([]);
  });

  it("spreads a long record over every bin it covers, so no bin inside a decode run is empty", () => {
    // Records at 0, 1, 2 and 10 s: the third lasts 8 s; the last gets the median duration (1 s). Span 11 s, 4 bins of 2.75 s.
    const b = binTimeline([rec(0, 1), rec(1, 2), rec(2, 3), rec(10, 4)], 4);
    expect(b.running).toHaveLength(4);
    expect(b.running[0]).toBeCloseTo((1 + 2 + 0.75 * 3) / 2.75);
    expect(b.running[1]).toBeCloseTo(3);
    expect(b.running[2]).toBeCloseTo(3);
    expect(b.running[3]).toBeCloseTo((1.75 * 3 + 4) / 2.75);
    expect(b.t[1]).toBeCloseTo(4.125);
  });

  it("stacks batch, prefill and KV panels; one colour per replica", () => {
    const recs = [rec(0, 1, "prefill0", 0), rec(1, 2, "prefill0", 0), rec(0.5, 10, "decode0"), rec(1.5, 20, "decode0")];
    const fig = simulationTimeline(recs, { maxPoints: 50 });
    expect(fig.data.map((d) => d.name)).toEqual([
      "prefill0: running", "prefill0: decoding", "prefill0: prefill tokens", "prefill0: KV used",
      "decode0: running", "decode0: prefill tokens", "decode0: KV used",
    ]);
    expect(byName(fig, "decode0: KV used").y).toEqual([10, 20]);
    expect(byName(fig, "prefill0: prefill tokens").y).toEqual([1000, 1000]);
    expect(byName(fig, "decode0: KV used").yaxis).toBe("y3");
    expect(byName(fig, "prefill0: prefill tokens").yaxis).toBe("y2");
    expect(fig.layout.yaxis3).toBeDefined();
    expect((fig.layout.xaxis as { anchor: string }).anchor).toBe("y3");
    jsonSafe(fig);
  });

  it("can leave out the prefill panel", () => {
    const fig = simulationTimeline([rec(0, 4), rec(1, 5)], { prefill: false, title: "one replica" });
    expect(fig.data.map((d) => d.name)).toEqual(["running sequences", "both0: KV used"]);
    expect(byName(fig, "both0: KV used").yaxis).toBe("y2");
    expect(fig.layout.yaxis3).toBeUndefined();
    expect(fig.layout.title?.text).toBe("one replica");
  });
});

describe("parameterPositions", () => {
  const p = (name: string, value: number, extra: Partial<import("../../lib/plots/reconcile").FittedParameter> = {}) => ({ name, value, min: 0, max: 2, ...extra });

  it("places values between bounds with sd error bars, one trace per profile plus hollow defaults", () => {
    const fig = parameterPositions([
      { name: "a", parameters: [p("bw", 1, { sd: 0.1, default: 1.5, unit: "x" }), p("gemm", 2)] },
      { name: "b", parameters: [p("gemm", 0.5, { sd: null })] },
    ]);
    expect(fig.data.map((d) => d.name)).toEqual(["a", "default (start of the fit)", "b"]);
    const a = byName(fig, "a");
    expect(a.y).toEqual([50, 100]);
    expect((a.error_y as { array: number[] }).array).toEqual([5, 0]);
    expect(a.x).toEqual([-0.15, 0.85]);
    expect(byName(fig, "b").x).toEqual([1.15]);
    expect(byName(fig, "default (start of the fit)").y).toEqual([75]);
    expect((a.text as string[])[0]).toBe("bw = 1 ± 0.1 x (bounds 0–2)");
    expect((fig.layout.xaxis as { ticktext: string[] }).ticktext).toEqual(["bw", "gemm"]);
    jsonSafe(fig);
  });

  it("honours a parameter order and centres a single profile", () => {
    const fig = parameterPositions([{ name: "only", parameters: [p("x", 0), p("y", 2)] }], { order: ["y", "x"], title: "t" });
    expect(fig.data[0].x).toEqual([0, 1]);
    expect(fig.data[0].y).toEqual([100, 0]);
    expect(fig.layout.title?.text).toBe("t");
  });
});
