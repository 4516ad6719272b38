/**
 * Which calibration a prediction uses: the profile fitted for its hardware × engine, or a transfer
 * through the physics from the nearest profiles (distances and engine families in
 * data/policy/calibration.json `transfer`, each with its reason).
 */
import * as fs from "fs";
import * as path from "path";
import { getHardware } from "../hardware/registry";
import { TRANSFER_POLICY, CALIBRATION_PARAMETERS, type ParamName, type ParamValues } from "./parameters";
import { CALIBRATION_DIR, listProfiles, loadCalibration, profilePath, type Calibration, type CalibrationFile } from "./profile";

const cache = new Map<string, Calibration | undefined>();

/** How far apart two chips are: another vendor first, then log distance of HBM bandwidth and bf16 peak. */
export function hardwareDistance(a: string, b: string): number {
  try {
    const x = getHardware(a);
    const y = getHardware(b);
    const d = Math.abs(Math.log(x.memory.bandwidth_tbps.value / y.memory.bandwidth_tbps.value)) + Math.abs(Math.log(x.dense_tflops.bf16.value / y.dense_tflops.bf16.value));
    return (x.vendor === y.vendor ? 0 : TRANSFER_POLICY.other_vendor.value) + d;
  } catch {
    return TRANSFER_POLICY.unknown_hardware.value;
  }
}

/** Rank of engine b in engine a's family (0 = itself), or the outside-family distance. */
export function engineDistance(a: string, b: string): number {
  const f = TRANSFER_POLICY.engine_families.value[a] ?? [a];
  const i = f.indexOf(b);
  return i >= 0 ? i : TRANSFER_POLICY.engine_outside_family.value;
}

/** Vendor of a chip, if known. */
function vendorOf(hardware: string): string | undefined {
  try {
    return getHardware(hardware).vendor;
  } catch {
    return undefined;
  }
}

/**
 * Distance for choosing whose engine host times a transfer takes: the engine's family rank, plus
 * engine_other_vendor when the profile was fitted on another GPU vendor (its host times carry that platform's
 * un-modelled costs).
 */
export function engineTransferDistance(engine: string, hardware: string, p: { engine: string; hardware: string }): number {
  const a = vendorOf(hardware);
  const b = vendorOf(p.hardware);
  return engineDistance(engine, p.engine) + (a !== undefined && b !== undefined && a !== b ? TRANSFER_POLICY.engine_other_vendor.value : 0);
}

/** The kernel family of a chip's instruction set (data/policy/calibration.json kernel_families), if any. */
export function kernelFamily(hardware: string): string | undefined {
  try {
    const isa = getHardware(hardware).isa;
    return Object.entries(TRANSFER_POLICY.kernel_families.value).find(([, v]) => v.includes(isa))?.[0];
  } catch {
    return undefined;
  }
}

const valuesOf = (p: CalibrationFile, kind: "efficiency" | "engine"): ParamValues =>
  Object.fromEntries((Object.entries(p.parameters) as [ParamName, { value: number }][]).filter(([k]) => CALIBRATION_PARAMETERS[k].kind === kind).map(([k, v]) => [k, v.value]));

/**
 * The profiles a transfer to hardware × engine takes its factors from: efficiency from the nearest fitted
 * chip of the same kernel family (none outside it), engine times from the engine's profile fitted on every
 * GPU it ran on (any-<engine>.json) or else the nearest engine's (family rank, then vendor: engineTransferDistance).
 */
export function nearestProfiles(all: CalibrationFile[], hardware: string, engine: string): { byHardware?: CalibrationFile; byEngine?: CalibrationFile; engineWide: boolean; family?: string } | undefined {
  const profiles = all.filter((p) => p.hardware && p.engine);
  const engineWide = all.find((p) => p.hardware === null && p.engine === engine);
  const w = TRANSFER_POLICY.tie_break_weight.value;
  const family = kernelFamily(hardware);
  const byHardware = profiles
    .filter((p) => family !== undefined && kernelFamily(p.hardware!) === family)
    .sort((a, b) => hardwareDistance(hardware, a.hardware!) + w * engineDistance(engine, a.engine!) - (hardwareDistance(hardware, b.hardware!) + w * engineDistance(engine, b.engine!)))[0];
  const ed = (p: CalibrationFile) => engineTransferDistance(engine, hardware, { engine: p.engine!, hardware: p.hardware! }) + w * hardwareDistance(hardware, p.hardware!);
  const byEngine = engineWide ?? [...profiles].sort((a, b) => ed(a) - ed(b))[0];
  if (!byHardware && !byEngine) return undefined;
  return { byHardware, byEngine, engineWide: !!engineWide, family };
}

/**
 * A transfer through the physics among the given profiles (calibrationFor uses every profile in
 * data/calibration; a held-out validation passes the profiles refitted without its group).
 */
export function transferAmong(all: CalibrationFile[], hardware: string, engine: string): Calibration | undefined {
  const near = nearestProfiles(all, hardware, engine);
  if (!near) return undefined;
  const { byHardware: byHw, byEngine, family } = near;
  const values: ParamValues = { ...(byHw ? valuesOf(byHw, "efficiency") : {}), ...(byEngine ? valuesOf(byEngine, "engine") : {}) };
  const effName = byHw?.name ?? "defaults";
  const name = byHw && byEngine && byHw.name === byEngine.name ? `${byHw.name} → ${hardware}/${engine}` : `${effName} (efficiency) + ${byEngine?.name ?? "defaults"} (engine) → ${hardware}/${engine}`;
  const eff = byHw
    ? `efficiency factors from ${byHw.name} (nearest fitted chip of kernel family ${family})`
    : `efficiency factors at their defaults (no fitted chip of kernel family ${family ?? "unknown"}: data/policy/calibration.json kernel_families)`;
  const why = `transferred: no profile fitted for ${hardware} × ${engine}; ${eff}, engine overheads from ${byEngine?.name ?? "the defaults"}${near.engineWide ? " (fitted on every GPU this engine ran on)" : " (nearest engine)"}`;
  return { name, file: (byHw ?? byEngine)!, values, expertDtypes: byHw?.scope?.expert_dtypes, describe: () => why };
}

/**
 * The calibration for a hardware × engine: the profile fitted for it; otherwise a transfer through the
 * physics (transferAmong every fitted profile); then data/calibration/global.json; then none.
 * A transfer is named "<efficiency from> + <engine from> → hw/engine".
 */
export function calibrationFor(hardware: string, engine: string): Calibration | undefined {
  const key = `${hardware}-${engine}`;
  if (cache.has(key)) return cache.get(key);
  const specific = profilePath(hardware, engine);
  const global = path.join(CALIBRATION_DIR, "global.json");
  let hit: Calibration | undefined;
  if (fs.existsSync(specific)) hit = loadCalibration(specific);
  else hit = transferAmong(listProfiles(), hardware, engine) ?? (fs.existsSync(global) ? loadCalibration(global) : undefined);
  cache.set(key, hit);
  return hit;
}

/** The calibration an option names: "auto" → calibrationFor(hardware, engine), "none" → none, or the profile given. */
export function resolveCalibration(opt: "auto" | "none" | Calibration | undefined, hardware: string, engine: string): Calibration | undefined {
  if (opt === "none") return undefined;
  if (opt === undefined || opt === "auto") return calibrationFor(hardware, engine);
  return opt;
}

export function clearCalibrationCache(): void {
  cache.clear();
}
