/**
 * Widths from residual records (quantiles of ln(actual/predicted) per class, fallback to a coarser
 * class), intervals as explained numbers, and nested coverage — on hand-made records whose quantiles
 * can be derived by hand.
 */
import { describe, expect, it } from "vitest";
import { classKey, type BasisClass, type Basis } from "../../lib/uncertainty/basis";
import { covers, evaluate, scoreFold } from "../../lib/uncertainty/coverage";
import { intervalsFor, pessimisticFactor } from "../../lib/uncertainty/interval";
import { uncertaintySettings } from "../../lib/uncertainty/settings";
import { estimateWidths, logQuantile, widthFor, type ResidualRecord } from "../../lib/uncertainty/widths";

const S = uncertaintySettings();
const FITTED: BasisClass = { hardware: "same", kernels: "tables", model: "same model", engine: "same", load: "seen" };
const OTHER_CHIP: BasisClass = { ...FITTED, hardware: "other chip" };

/** n records of a class whose ln(actual/predicted) are `xs` (predicted 100). */
function records(basis: BasisClass, xs: number[], extra: Partial<ResidualRecord> = {}): ResidualRecord[] {
  return xs.map((x, i) => ({ row: `r${i}`, groups: { model: "m", gpu: "g" }, split: "test", basis, metric: "throughput", predicted: 100, actual: 100 * Math.exp(x), ...extra }));
}
/** −0.10, −0.09, …, 0.09: twenty evenly spaced log ratios. */
const TWENTY = Array.from({ length: 20 }, (_, i) => (i - 10) / 100);

describe("estimateWidths and widthFor", () => {
  it("measures p10/p90 of ln(actual/predicted) as numpy's linear quantile", () => {
    const classes = estimateWidths(records(FITTED, TWENTY));
    const w = widthFor(classes, FITTED, "throughput")!;
    expect(w.level).toBe(0);
    expect(w.n).toBe(20);
    // p10: position 0.1 × 19 = 1.9 → x[1] + 0.9 (x[2] − x[1]) = −0.09 + 0.009 = −0.081; p90: 0.9 × 19 = 17.1 → 0.07 + 0.001 = 0.071
    expect(logQuantile(w, 0.1)).toBeCloseTo(-0.081, 9);
    expect(logQuantile(w, 0.9)).toBeCloseTo(0.071, 9);
    // Between grid points the quantile is linear: p12.5 is halfway between p10 (−0.081) and p15 (0.15 × 19 = 2.85 → −0.0715)
    expect(logQuantile(w, 0.125)).toBeCloseTo((-0.081 - 0.0715) / 2, 9);
    expect(() => logQuantile(w, 0.99)).toThrow(/outside the measured widths/);
  });

  it("falls back to the next coarser class when a class has fewer than min_samples residuals, and says which", () => {
    expect(S.min_samples.value).toBe(20);
    // 5 residuals with the full "other chip" class, 20 "fitted" ones: the class "hardware=other chip" alone has only 5
    // too, so the basis falls back through every level down to "any basis" (25 residuals).
    const classes = estimateWidths([...records(OTHER_CHIP, [0.5, 0.5, 0.5, 0.5, 0.5]), ...records(FITTED, TWENTY)]);
    const w = widthFor(classes, OTHER_CHIP, "throughput")!;
    expect(w.key).toBe("any basis");
    expect(w.n).toBe(25);
    expect(w.level).toBe(S.fallback.value.length - 1);
    expect(w.thin[0]).toEqual({ key: classKey(OTHER_CHIP, S.fallback.value[0]), n: 5 });
    expect(w.thin.map((t) => t.key)).toContain("hardware=other chip");
    // A metric nobody measured has no width at all.
    expect(widthFor(classes, FITTED, "ttft")).toBeUndefined();
  });
});

describe("intervals", () => {
  const classes = estimateWidths(records(FITTED, TWENTY));
  const basis: Basis = { ...FITTED, calibration: "fitted", efficiencyFrom: "b200-vllm", engineFrom: "b200-vllm", phrase: "fitted profile b200-vllm" };

  it("are the prediction times exp(p10) and exp(p90), explained with the class, sample and split", () => {
    const x = intervalsFor(basis, { throughput: 1000, output_throughput: 500, ttft: NaN, tpot: 0.01, e2e: 1 }, classes);
    expect(x.nominal).toBeCloseTo(0.8, 12);
    const t = x.metrics.throughput!;
    expect(t.low.value).toBeCloseTo(1000 * Math.exp(-0.081), 6); // 922.2
    expect(t.high.value).toBeCloseTo(1000 * Math.exp(0.071), 6); // 1073.6
    expect(t.low.formula).toBe("predicted × exp(p10_ln_ratio)");
    expect(t.low.inputs.p10_ln_ratio.provenance.source).toMatch(/class "hardware=same; kernels=tables; model=same model; engine=same; load=seen", throughput, n=20 held-out residuals \(test 20\)/);
    // No residuals of TTFT, and a non-finite point: no interval rather than a made-up one.
    expect(x.metrics.ttft).toBeNull();
    expect(x.metrics.tpot).toBeNull();
  });

  it("gives the pessimistic factor at a one-sided confidence: the upper quantile for latencies, the lower for throughput", () => {
    const w = widthFor(classes, FITTED, "throughput")!;
    expect(pessimisticFactor(w, 0.9, true)).toBeCloseTo(Math.exp(0.071), 9);
    expect(pessimisticFactor(w, 0.9, false)).toBeCloseTo(Math.exp(-0.081), 9);
  });
});

describe("nested coverage", () => {
  it("scores a held-out group with widths measured without its rows", () => {
    // Group A's residuals are all +0.5 (the model is 65% low there); group B's are the twenty small ones.
    const a = records(OTHER_CHIP, Array(20).fill(0.5), { groups: { gpu: "A" } }).map((r, i) => ({ ...r, row: `a${i}` }));
    const b = records(OTHER_CHIP, TWENTY, { groups: { gpu: "B" } }).map((r, i) => ({ ...r, row: `b${i}` }));
    const pool = [...a, ...b];
    // Scoring A: widths from B only (p10 −0.081, p90 0.071), so none of A's +0.5 is covered.
    const scoredA = scoreFold(a, pool, "gpu", "A");
    expect(scoredA.every((s) => s.width?.n === 20)).toBe(true);
    const e = evaluate(scoredA).throughput;
    expect(e.n).toBe(20);
    expect(e.coverage).toBe(0);
    // MAPE = |predicted − actual| / actual with actual = exp(0.5) × predicted: 1 − exp(−0.5) = 39.35%
    expect(e.mape).toBeCloseTo(100 * (1 - Math.exp(-0.5)), 6);
    // Width (p90 − p10)/predicted = exp(0.071) − exp(−0.081) = 1.07358 − 0.92219 = 0.15139
    expect(e.medianRelativeWidth).toBeCloseTo(Math.exp(0.071) - Math.exp(-0.081), 9);
    // Scoring B with A's widths (all quantiles 0.5): nothing of B lies at exactly +0.5.
    expect(evaluate(scoreFold(b, pool, "gpu", "B")).throughput.coverage).toBe(0);
  });

  it("covers 16 of 20 evenly spaced residuals with their own p10–p90 (the ends lie outside)", () => {
    const b = records(OTHER_CHIP, TWENTY);
    const w = widthFor(estimateWidths(b), OTHER_CHIP, "throughput")!;
    // −0.10 and −0.09 are below p10 = −0.081; 0.08 and 0.09 above p90 = 0.071: 16 of 20 inside.
    expect(b.filter((r) => covers(w, Math.log(r.actual / r.predicted), 0.8)).length).toBe(16);
  });
});
