/**
 * The basis of a prediction: how far its request is from what calibration was fitted on. A fitted
 * profile for its hardware × engine, or a transfer (which of hardware, vendor, engine differ); its
 * model seen in the fit, only its family, or neither; its load mode (closed / open / offline) seen or
 * not; kernel tables or the roofline. The basis names the class whose measured errors give the
 * prediction's interval (./widths.ts).
 */
import { createHash } from "crypto";
import { engineDistance, nearestProfiles, transferAmong } from "../calibration/transfer";
import { TRANSFER_POLICY } from "../calibration/parameters";
import type { CalibrationFile } from "../calibration/profile";
import { getHardware } from "../hardware/registry";
import type { ResolvedRun } from "../run/request";
import { decodePool, unscopedName } from "../run/resolve";
import { kernelSourceFor } from "../step/kernel-source";
import type { Dimension } from "./settings";

/** What a fit saw: models (ids), their families, load modes. */
export interface FitCoverage {
  models: string[];
  families: string[];
  loads: string[];
}

/** The class of a request: one value per distance (Dimension). */
export type BasisClass = Record<Dimension, string>;

export interface Basis extends BasisClass {
  /** fitted: the profile of this hardware × engine; transferred: factors carried from other profiles; none: library defaults; other: a calibration not among the profiles. */
  calibration: "fitted" | "transferred" | "none" | "other";
  /** The profiles the efficiency factors and the engine times came from. */
  efficiencyFrom: string | null;
  engineFrom: string | null;
  /** One short phrase (the prediction_basis column). */
  phrase: string;
}

/** The profiles a prediction may have used and what each was fitted on. */
export interface BasisContext {
  profiles: CalibrationFile[];
  coverage(profile: string): FitCoverage | undefined;
}

/**
 * Values each distance takes, nearest first (a fallback pools only residuals at least as far as the
 * request). `profile` is a name, not a distance: the fitted profile, or how the calibration was made.
 */
export const DISTANCES: Record<Dimension, readonly string[] | null> = {
  profile: null,
  hardware: ["same", "other chip", "other vendor", "uncalibrated", "unknown"],
  kernels: ["tables", "roofline"],
  model: ["same model", "same family", "other family", "unknown"],
  engine: ["same", "same family", "other family", "uncalibrated", "unknown"],
  load: ["seen", "unseen", "unknown"],
};

/** A profile's identity for the coverage table: the hash of what it was fitted on (see below). */
export function profileFingerprint(p: CalibrationFile): string {
  // What a profile was fitted on (its name, hardware, engine and training rows), not its fitted values: a
  // refit on the same rows keeps the coverage recorded for it; a profile fitted on other rows does not.
  const { name, hardware, engine, data, scope } = p;
  return createHash("sha256").update(JSON.stringify({ name, hardware, engine, data, scope })).digest("hex").slice(0, 16);
}

/** Whether the run times ops from measured kernel tables (some op family) or only by the roofline. */
export function usesKernelTables(run: ResolvedRun): boolean {
  const choice = run.useKernelTables;
  if (choice === false) return false;
  return kernelSourceFor(run.hardware, decodePool(run).engine, Array.isArray(choice) ? choice : undefined) !== undefined;
}

/** The load mode a run's workload is (closed, open, offline, trace). */
export function loadModeOf(run: ResolvedRun): string {
  return run.workload?.kind ?? "one step";
}

function hardwareDistance(run: ResolvedRun, profile: CalibrationFile): string {
  if (profile.hardware === run.hardware.id) return "same";
  try {
    return getHardware(profile.hardware ?? "").vendor === run.hardware.vendor ? "other chip" : "other vendor";
  } catch {
    return "unknown";
  }
}

function engineDistanceOf(engine: string, profile: CalibrationFile): string {
  if (profile.engine === engine) return "same";
  return engineDistance(engine, profile.engine ?? "") < TRANSFER_POLICY.engine_outside_family.value ? "same family" : "other family";
}

/** The union of what the source profiles saw (undefined when a profile's coverage is not known). */
function coverageOf(ctx: BasisContext, names: string[]): FitCoverage | undefined {
  const all = names.map((n) => ctx.coverage(n));
  if (all.some((c) => !c)) return undefined;
  const union = (k: keyof FitCoverage) => [...new Set(all.flatMap((c) => c![k]))];
  return { models: union("models"), families: union("families"), loads: union("loads") };
}

/** The basis of a resolved run's prediction among the given profiles (`load`: the load mode when the run has no workload yet, e.g. sizing's open loop). */
export function classify(run: ResolvedRun, ctx: BasisContext, load = loadModeOf(run)): Basis {
  const engine = run.baseEngine.id;
  const kernels = usesKernelTables(run) ? "tables" : "roofline";
  const kernelPhrase = kernels === "tables" ? "kernel tables" : "no kernel tables (roofline)";
  const cal = run.calibration;
  if (!cal) {
    return { calibration: "none", efficiencyFrom: null, engineFrom: null, profile: "none", hardware: "uncalibrated", engine: "uncalibrated", model: "other family", load: "unseen", kernels, phrase: `no calibration (library defaults), ${kernelPhrase}` };
  }
  // A calibration scoped to another expert dtype (moe_compute left out) is still its profile or transfer.
  const { name: calName, withoutMoeCompute } = unscopedName(cal.name);
  let eff = ctx.profiles.find((p) => p.name === calName);
  let eng = eff;
  // A transfer with no fitted chip of the request's kernel family keeps the efficiency defaults: its hardware is uncalibrated.
  let effDefaults = false;
  if (!eff) {
    const near = nearestProfiles(ctx.profiles, run.hardware.id, engine);
    // Efficiency may come from no chip (none fitted in the kernel family: defaults); the engine profile then stands for both.
    if (near && transferAmong(ctx.profiles, run.hardware.id, engine)?.name === calName) {
      [eff, eng] = [near.byHardware ?? near.byEngine, near.byEngine ?? near.byHardware];
      effDefaults = !near.byHardware;
    }
  }
  if (!eff || !eng) {
    return { calibration: "other", efficiencyFrom: cal.name, engineFrom: cal.name, profile: "other", hardware: "unknown", engine: "unknown", model: "unknown", load: "unknown", kernels, phrase: `calibration ${cal.name} (not a profile in data/calibration: distance unknown), ${kernelPhrase}` };
  }
  const hardware = effDefaults ? "uncalibrated" : hardwareDistance(run, eff);
  const engineD = engineDistanceOf(engine, eng);
  const cov = coverageOf(ctx, [...new Set([eff.name, eng.name])]);
  const model = !cov ? "unknown" : cov.models.includes(run.model.id) ? "same model" : cov.families.includes(run.model.family) ? "same family" : "other family";
  const loadD = !cov ? "unknown" : cov.loads.includes(load) ? "seen" : "unseen";
  const fitted = eff === eng && hardware === "same" && engineD === "same";
  const modelPhrase = { "same model": "same model", "same family": `same model family (${run.model.family})`, "other family": `model family ${run.model.family} not in the fit`, unknown: "fit coverage not recorded (run npm run generalisation)" }[model];
  const loadPhrase = loadD === "unknown" ? "" : loadD === "seen" ? `, ${load} load seen` : `, ${load} load not in the fit`;
  const tail = `${modelPhrase}${loadPhrase}, ${kernelPhrase}${withoutMoeCompute ? ", moe_compute at its default (other expert dtype)" : ""}`;
  const overrides = Object.keys(run.overrides).length ? "; user overrides not covered by the measured widths" : "";
  const hwPhrase = hardware === "same" ? null : effDefaults ? `hardware ${run.hardware.id} at default efficiencies (no fitted chip of its kernel family)` : `hardware ${run.hardware.id} ← ${eff.hardware}`;
  const what = [hwPhrase, engineD === "same" ? null : `engine ${engine} ← ${eng.engine}`].filter(Boolean).join(", ");
  const phrase = fitted ? `fitted profile ${eff.name}, ${tail}${overrides}` : `transferred: ${what || `${eff.name} + ${eng.name}`}; ${tail}${overrides}`;
  return { calibration: fitted ? "fitted" : "transferred", efficiencyFrom: eff.name, engineFrom: eng.name, profile: fitted ? eff.name : "transferred", hardware, engine: engineD, model, load: loadD, kernels, phrase };
}

/** The class key of a basis with the dimensions kept exactly, e.g. "hardware=same; kernels=tables". */
export function classKey(b: BasisClass, dims: readonly Dimension[]): string {
  return dims.length ? dims.map((d) => `${d}=${b[d]}`).join("; ") : "any basis";
}

/** How far a value of a distance is (its rank in DISTANCES; unknown values rank farthest). */
export function distanceRank(d: Dimension, value: string): number {
  const order = DISTANCES[d];
  if (!order) return 0;
  const i = order.indexOf(value);
  return i < 0 ? order.length : i;
}

/** Whether a residual's class is at least as far from its fit as the request's on every distance not kept exactly. */
export function atLeastAsFar(residual: BasisClass, request: BasisClass, kept: readonly Dimension[], dims: readonly Dimension[]): boolean {
  return dims.every((d) => (kept.includes(d) ? residual[d] === request[d] : distanceRank(d, residual[d]) >= distanceRank(d, request[d])));
}

/** The pool of one fallback level in words: kept distances exactly, the others at least as far, e.g. "hardware=same; model ≥ other family". */
export function levelKey(b: BasisClass, kept: readonly Dimension[], dims: readonly Dimension[]): string {
  const parts = dims.map((d) => (kept.includes(d) ? `${d}=${b[d]}` : DISTANCES[d] && distanceRank(d, b[d]) > 0 ? `${d} ≥ ${b[d]}` : "")).filter(Boolean);
  return parts.length ? parts.join("; ") : "any basis";
}
