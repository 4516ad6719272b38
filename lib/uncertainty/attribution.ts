/**
 * Which distance from the fit makes an interval wide. Each distance of the basis that is not the
 * nearest (another chip, the roofline, another model family, …) can be closed — set to its nearest
 * value — and the measured width of the resulting basis read off; a distance's share of the width is
 * its narrowing averaged over every order of closing them (the Shapley value, so shares add up and a
 * distance that only matters together with another still gets its part). The distance with the
 * largest share is the assumption that contributes most to the width.
 */
import type { BasisClass } from "./basis";
import { uncertaintySettings, DIMENSIONS, type Dimension, type UncertaintySettings } from "./settings";
import { INTERVAL_METRICS, logQuantile, widthFor, type Classes, type IntervalMetric } from "./widths";

/** The nearest value of each distance: what a request exactly like the fit has. */
export const NEAREST: Omit<BasisClass, "profile"> = { hardware: "same", kernels: "tables", model: "same model", engine: "same", load: "seen" };
/** The distances (every dimension but the profile's name). */
const DISTANCE_DIMS = DIMENSIONS.filter((d): d is Exclude<Dimension, "profile"> => d !== "profile");

/** The assumption a distance stands for, in words. */
export function assumptionOf(d: Exclude<Dimension, "profile">, value: string): string {
  const words: Record<Exclude<Dimension, "profile">, Record<string, string>> = {
    hardware: { "other chip": "efficiency factors carried from another chip", "other vendor": "efficiency factors carried from another vendor's chip", uncalibrated: "no calibration (library defaults)", unknown: "a calibration of unknown origin" },
    kernels: { roofline: "ops timed by the roofline (no measured kernel tables)" },
    model: { "same family": "another model of a family in the fit", "other family": "a model family not in the fit", unknown: "fit coverage not recorded" },
    engine: { "same family": "engine overheads carried from another engine of its family", "other family": "engine overheads carried from an engine of another family", uncalibrated: "engine overheads at their defaults", unknown: "engine overheads of unknown origin" },
    load: { unseen: "a load mode (closed / open / offline) not in the fit", unknown: "fit coverage not recorded" },
  };
  return words[d][value] ?? `${d} ${value}`;
}

export interface DistanceContribution {
  dimension: Exclude<Dimension, "profile">;
  value: string;
  assumption: string;
  /** Relative width (p90 − p10) / predicted now, and with only this distance closed, per metric (NaN: no width). */
  width: Partial<Record<IntervalMetric, number>>;
  closed: Partial<Record<IntervalMetric, number>>;
  /**
   * Its share of the width: the narrowing from closing it, averaged over every order in which the
   * distances could be closed (Shapley value), then over the metrics with widths. The shares of all
   * distances add up to the width minus the width of a request like the fit.
   */
  share: number;
}

const relWidth = (classes: Classes, b: BasisClass, m: IntervalMetric, s: UncertaintySettings): number => {
  const w = widthFor(classes, b, m, s);
  return w ? Math.exp(logQuantile(w, s.interval.upper.value)) - Math.exp(logQuantile(w, s.interval.lower.value)) : NaN;
};

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));

/** Each distance of the basis that is not the nearest, with its share of the width, largest first. */
export function widthAttribution(basis: BasisClass, classes: Classes, s: UncertaintySettings = uncertaintySettings()): DistanceContribution[] {
  const far = DISTANCE_DIMS.filter((d) => basis[d] !== NEAREST[d]);
  const k = far.length;
  const closing = (mask: number): BasisClass => ({ ...basis, ...Object.fromEntries(far.filter((_, i) => mask & (1 << i)).map((d) => [d, NEAREST[d]])) });
  const out: DistanceContribution[] = far.map((d) => ({ dimension: d, value: basis[d], assumption: assumptionOf(d, basis[d]), width: {}, closed: {}, share: NaN }));
  const shares: number[][] = far.map(() => []);
  for (const m of INTERVAL_METRICS) {
    const w = Array.from({ length: 1 << k }, (_, mask) => relWidth(classes, closing(mask), m.key, s));
    far.forEach((_, i) => {
      out[i].width[m.key] = w[0];
      out[i].closed[m.key] = w[1 << i];
      let phi = 0;
      for (let mask = 0; mask < 1 << k; mask++) {
        if (mask & (1 << i)) continue;
        const size = countBits(mask);
        phi += ((factorial(size) * factorial(k - size - 1)) / factorial(k)) * (w[mask] - w[mask | (1 << i)]);
      }
      if (Number.isFinite(phi)) shares[i].push(phi);
    });
  }
  out.forEach((c, i) => (c.share = shares[i].length ? shares[i].reduce((a, b) => a + b, 0) / shares[i].length : NaN));
  return out.sort((a, b) => (Number.isFinite(b.share) ? b.share : -Infinity) - (Number.isFinite(a.share) ? a.share : -Infinity));
}

function countBits(x: number): number {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}
