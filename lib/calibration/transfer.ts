/**
 * Which calibration a prediction uses: the profile fitted for its hardware × engine, or a transfer
 * through the physics from the nearest profiles (distances and engine families in
 * data/policy/calibration.json `transfer`, each with its reason).
 */
import * as fs from "fs";
import * as path from "path";
import { getHardware } from "../hardware/registry";
import { TRANSFER_POLICY, CALIBRATION_PARAMETERS, type ParamName, type ParamValues } from "./parameters";
import { CALIBRATION_DIR, listProfiles, loadCalibration, profilePath, type Calibration } from "./profile";

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

/**
 * The calibration for a hardware × engine: the profile fitted for it; else the engine's profile fitted
 * on every GPU it ran on (any-<engine>.json); otherwise a transfer through the
 * physics — efficiency factors (fractions of the chip's peaks) from the profile of the nearest hardware,
 * engine overheads (host times) from the profile of the nearest engine; then data/calibration/global.json;
 * then none. A transfer is named "<efficiency from> + <engine from> → hw/engine".
 */
export function calibrationFor(hardware: string, engine: string): Calibration | undefined {
  const key = `${hardware}-${engine}`;
  if (cache.has(key)) return cache.get(key);
  const specific = profilePath(hardware, engine);
  const engineWide = profilePath("any", engine);
  let hit: Calibration | undefined;
  if (fs.existsSync(specific)) hit = loadCalibration(specific);
  else if (fs.existsSync(engineWide)) hit = loadCalibration(engineWide);
  else {
    const profiles = listProfiles().filter((p) => p.hardware && p.engine);
    const global = path.join(CALIBRATION_DIR, "global.json");
    const w = TRANSFER_POLICY.tie_break_weight.value;
    if (profiles.length) {
      const byHw = [...profiles].sort((a, b) => hardwareDistance(hardware, a.hardware!) + w * engineDistance(engine, a.engine!) - (hardwareDistance(hardware, b.hardware!) + w * engineDistance(engine, b.engine!)))[0];
      const byEngine = [...profiles].sort((a, b) => engineDistance(engine, a.engine!) + w * hardwareDistance(hardware, a.hardware!) - (engineDistance(engine, b.engine!) + w * hardwareDistance(hardware, b.hardware!)))[0];
      const values: ParamValues = {};
      for (const [k, v] of Object.entries(byHw.parameters) as [ParamName, { value: number }][]) if (CALIBRATION_PARAMETERS[k].kind === "efficiency") values[k] = v.value;
      for (const [k, v] of Object.entries(byEngine.parameters) as [ParamName, { value: number }][]) if (CALIBRATION_PARAMETERS[k].kind === "engine") values[k] = v.value;
      const name = byHw.name === byEngine.name ? `${byHw.name} → ${hardware}/${engine}` : `${byHw.name} (efficiency) + ${byEngine.name} (engine) → ${hardware}/${engine}`;
      const why = `transferred: no profile fitted for ${hardware} × ${engine}; efficiency factors from ${byHw.name} (nearest hardware), engine overheads from ${byEngine.name} (nearest engine)`;
      hit = { name, file: byHw, values, describe: () => why };
    } else if (fs.existsSync(global)) hit = loadCalibration(global);
  }
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
