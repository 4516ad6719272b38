/**
 * Which distance from the fit makes an interval wide: for each distance of the basis that is not the
 * nearest (another chip, the roofline, another model family, …), the interval's relative width if
 * that one distance were closed — the measured width of the basis with it set to the nearest value.
 * The distance whose closing narrows the interval most is the assumption that contributes most.
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
  /** Relative width (p90 − p10) / predicted now and with this distance closed, per metric (NaN: no width). */
  width: Partial<Record<IntervalMetric, number>>;
  closed: Partial<Record<IntervalMetric, number>>;
  /** Mean narrowing over the metrics that have both widths, in relative-width units. */
  narrowing: number;
}

const relWidth = (classes: Classes, b: BasisClass, m: IntervalMetric, s: UncertaintySettings): number => {
  const w = widthFor(classes, b, m, s);
  return w ? Math.exp(logQuantile(w, s.interval.upper.value)) - Math.exp(logQuantile(w, s.interval.lower.value)) : NaN;
};

/** Each non-nearest distance of the basis with the width it accounts for, largest narrowing first. */
export function widthAttribution(basis: BasisClass, classes: Classes, s: UncertaintySettings = uncertaintySettings()): DistanceContribution[] {
  const out: DistanceContribution[] = [];
  for (const d of DISTANCE_DIMS) {
    if (basis[d] === NEAREST[d]) continue;
    const closedBasis = { ...basis, [d]: NEAREST[d] };
    const width: DistanceContribution["width"] = {};
    const closed: DistanceContribution["closed"] = {};
    const gains: number[] = [];
    for (const m of INTERVAL_METRICS) {
      width[m.key] = relWidth(classes, basis, m.key, s);
      closed[m.key] = relWidth(classes, closedBasis, m.key, s);
      if (Number.isFinite(width[m.key]!) && Number.isFinite(closed[m.key]!)) gains.push(width[m.key]! - closed[m.key]!);
    }
    out.push({ dimension: d, value: basis[d], assumption: assumptionOf(d, basis[d]), width, closed, narrowing: gains.length ? gains.reduce((a, b) => a + b, 0) / gains.length : NaN });
  }
  return out.sort((a, b) => (Number.isFinite(b.narrowing) ? b.narrowing : -Infinity) - (Number.isFinite(a.narrowing) ? a.narrowing : -Infinity));
}
