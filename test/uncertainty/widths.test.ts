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
import { logQuantile, residualClasses, widthFor, type ResidualRecord } from "../../lib/uncertainty/widths";

const S = uncertaintySettings();
const FITTED: BasisClass = { profile: "b200-vllm", hardware: "same", kernels: "tables", model: "same model", engine: "same", load: "seen" };
const OTHER_CHIP: BasisClass = { ...FITTED, profile: "transferred", hardware: "other chip" };

/** n records of a class whose ln(actual/predicted) are `xs` (predicted 100). */
function records(basis: BasisClass, xs: number[], extra: Partial<ResidualRecord> = {}): ResidualRecord[] {
  return xs.map((x, i) => ({ row: `r${i}`, groups: { model: "m", gpu: "g" }, split: "test", basis, metric: "throughput", predicted: 100, actual: 100 * Math.exp(x), ...extra }));
}
/** −0.10, −0.09, …, 0.09: twenty evenly spaced log ratios. */
const TWENTY = Array.from({ length: 20 }, (_, i) => (i - 10) / 100);

describe("residualClasses and widthFor", () => {
  it("pools a class's residuals with their mirror images and takes numpy's linear quantiles", () => {
    expect(S.symmetric.value).toBe(true);
    const w = widthFor(residualClasses(records(FITTED, TWENTY)), FITTED, "throughput")!;
    expect(w.level).toBe(0);
    expect(w.n).toBe(20);
    // Mirrored: −0.10, −0.09, −0.09, −0.08, −0.08, −0.07, … (40 values). p10 at position 0.1 × 39 = 3.9, between
    // the 4th and 5th values (both −0.08) → −0.08; p90 = +0.08 by symmetry; p15 at 5.85 → −0.07.
    expect(logQuantile(w, 0.1)).toBeCloseTo(-0.08, 9);
    expect(logQuantile(w, 0.9)).toBeCloseTo(0.08, 9);
    expect(logQuantile(w, 0.15)).toBeCloseTo(-0.07, 9);
    // Between grid points the quantile is linear: p12.5 is halfway between p10 and p15.
    expect(logQuantile(w, 0.125)).toBeCloseTo(-0.075, 9);
    expect(() => logQuantile(w, 0.99)).toThrow(/outside the measured widths/);
  });

  it("falls back only to residuals at least as far from their fit as the request", () => {
    expect(S.min_samples.value).toBe(20);
    // 20 residuals of ±0.5 from another vendor's profile, 20 small ones from a fitted profile. A request whose
    // calibration came from another chip of its vendor has no residuals of its own class: the pool at least as far
    // (hardware ≥ other chip) holds the other vendor's 20, never the nearer fitted ones.
    const otherVendor = { ...OTHER_CHIP, hardware: "other vendor" };
    const classes = residualClasses([...records(otherVendor, TWENTY.map((_, i) => (i % 2 ? 0.5 : -0.5))), ...records(FITTED, TWENTY)]);
    const w = widthFor(classes, OTHER_CHIP, "throughput")!;
    expect(w.key).toBe("hardware ≥ other chip");
    expect(w.level).toBe(S.fallback.value.length - 1);
    expect(w.n).toBe(20);
    expect(logQuantile(w, 0.1)).toBeCloseTo(-0.5, 9);
    expect(logQuantile(w, 0.9)).toBeCloseTo(0.5, 9);
    expect(w.thin[0]).toEqual({ key: classKey(OTHER_CHIP, S.fallback.value[0]), n: 0 });
  });

  it("beyond every measured pool: the widest measured class, and says so", () => {
    // Only 5 residuals as far as the request: no pool reaches 20. Classes with 20 residuals: FITTED (±0.10 spread,
    // p10..p90 = −0.08..0.08 as derived above) and WIDE (alternating ±0.3: p10..p90 = −0.3..0.3). The request gets
    // WIDE's width — a request farther from its fit than any measured pool is not given the narrower errors.
    const WIDE: BasisClass = { ...FITTED, profile: "b200-trtllm" };
    const classes = residualClasses([...records(OTHER_CHIP, [0.5, 0.5, 0.5, 0.5, 0.5]), ...records(FITTED, TWENTY), ...records(WIDE, TWENTY.map((_, i) => (i % 2 ? 0.3 : -0.3)))]);
    const w = widthFor(classes, OTHER_CHIP, "throughput")!;
    expect(w.n).toBe(20);
    expect(w.key).toBe(`widest measured class, ${classKey(WIDE, S.dimensions.value)} (no pool at least as far as this basis has 20)`);
    expect(logQuantile(w, 0.1)).toBeCloseTo(-0.3, 9);
    expect(logQuantile(w, 0.9)).toBeCloseTo(0.3, 9);
    expect(w.thin.map((t) => t.n)).toEqual(S.fallback.value.map(() => 5));
    // No class has 20 residuals: every residual of the metric (5 + 5), said so.
    const few = residualClasses([...records(OTHER_CHIP, [0.5, 0.5, 0.5, 0.5, 0.5]), ...records(FITTED, [0, 0, 0.1, -0.1, 0])]);
    const v = widthFor(few, OTHER_CHIP, "throughput")!;
    expect(v.n).toBe(10);
    expect(v.key).toMatch(/^every throughput residual \(no class has 20\)/);
    // A metric nobody measured has no width at all.
    expect(widthFor(classes, FITTED, "ttft")).toBeUndefined();
  });
});

describe("intervals", () => {
  const classes = residualClasses(records(FITTED, TWENTY));
  const basis: Basis = { ...FITTED, calibration: "fitted", efficiencyFrom: "b200-vllm", engineFrom: "b200-vllm", phrase: "fitted profile b200-vllm" };

  it("are the prediction times exp(p10) and exp(p90), explained with the class, sample and split", () => {
    const x = intervalsFor(basis, { throughput: 1000, output_throughput: 500, ttft: 0.1, tpot: 0.01, e2e: NaN }, classes);
    expect(x.nominal).toBeCloseTo(0.8, 12);
    const t = x.metrics.throughput!;
    expect(t.low.value).toBeCloseTo(1000 * Math.exp(-0.08), 6); // 923.1
    expect(t.high.value).toBeCloseTo(1000 * Math.exp(0.08), 6); // 1083.3
    expect(t.low.formula).toBe("predicted × exp(p10_ln_ratio)");
    expect(t.low.inputs.p10_ln_ratio.provenance.source).toMatch(/class "profile=b200-vllm; hardware=same; kernels=tables; model=same model; engine=same; load=seen", throughput, n=20 held-out residuals \(test 20\)/);
    // A non-finite point (E2E): no interval. TPOT has no residual of its own here: the throughput width stands in
    // (settings.proxy), and says so; nothing stands in for TTFT's.
    expect(x.metrics.e2e).toBeNull();
    expect(x.metrics.ttft).toBeNull();
    const tpot = x.metrics.tpot!;
    expect(tpot.high.value).toBeCloseTo(0.01 * Math.exp(0.08), 12);
    expect(tpot.width.key).toMatch(/\(throughput residuals standing in: no tpot residual measured\)$/);
  });

  it("gives the pessimistic factor at a one-sided confidence: the upper quantile for latencies, the lower for throughput", () => {
    const w = widthFor(classes, FITTED, "throughput")!;
    expect(pessimisticFactor(w, 0.9, true)).toBeCloseTo(Math.exp(0.08), 9);
    expect(pessimisticFactor(w, 0.9, false)).toBeCloseTo(Math.exp(-0.08), 9);
  });
});

describe("nested coverage", () => {
  it("scores a held-out group with widths measured without its rows", () => {
    // Group A's residuals are all +0.5 (the model is 39% low there); group B's are the twenty small ones.
    const a = records(OTHER_CHIP, Array(20).fill(0.5), { groups: { gpu: "A" } }).map((r, i) => ({ ...r, row: `a${i}` }));
    const b = records(OTHER_CHIP, TWENTY, { groups: { gpu: "B" } }).map((r, i) => ({ ...r, row: `b${i}` }));
    const pool = [...a, ...b];
    // Scoring A: widths from B only (±0.08), so none of A's +0.5 is covered.
    const scoredA = scoreFold(a, pool, "gpu", "A");
    expect(scoredA.every((s) => s.width?.n === 20)).toBe(true);
    const e = evaluate(scoredA).throughput;
    expect(e.n).toBe(20);
    expect(e.coverage).toBe(0);
    // MAPE = |predicted − actual| / actual with actual = exp(0.5) × predicted: 1 − exp(−0.5) = 39.35%
    expect(e.mape).toBeCloseTo(100 * (1 - Math.exp(-0.5)), 6);
    // Width (p90 − p10)/predicted = exp(0.08) − exp(−0.08) = 0.16009
    expect(e.medianRelativeWidth).toBeCloseTo(Math.exp(0.08) - Math.exp(-0.08), 9);
    // Scoring B with A's widths (±0.5 mirrored): every residual of B (|x| ≤ 0.1) is inside.
    expect(evaluate(scoreFold(b, pool, "gpu", "B")).throughput.coverage).toBe(1);
  });

  it("holding out each row on its own leaves the other 19 residuals for its width", () => {
    const b = records(FITTED, TWENTY);
    const scored = scoreFold(b, b, "row", "");
    expect(scored.every((s) => s.width?.n === 19)).toBe(true);
    // The row at 0.00: its width from the other 19 (mirrored ±0.10, ±0.09, …) covers it; the row at −0.10 is outside
    // the p10 of the others' 38 mirrored values (position 3.7 → between −0.09 and −0.08).
    expect(covers(scored[10].width!, 0, 0.8)).toBe(true);
    expect(covers(scored[0].width!, -0.1, 0.8)).toBe(false);
  });

  it("covers the residuals inside its own p10–p90 (±0.08) and none outside", () => {
    const b = records(OTHER_CHIP, TWENTY);
    const w = widthFor(residualClasses(b), OTHER_CHIP, "throughput")!;
    // ±0.08 sit on the bounds (floating point decides), so count the others: −0.07 … 0.07 (15) inside; −0.10, −0.09, 0.09 outside.
    const off = b.filter((r) => Math.abs(Math.abs(Math.log(r.actual / r.predicted)) - 0.08) > 1e-6);
    expect(off.filter((r) => covers(w, Math.log(r.actual / r.predicted), 0.8)).length).toBe(15);
    expect(off.length - 15).toBe(3);
  });
});
