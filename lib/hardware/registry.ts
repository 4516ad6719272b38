import * as fs from "fs";
import * as path from "path";
import { DATA_DIR } from "../core/paths";
import { InputError, parseOrThrow } from "../core/validate";
import type { ComputeDtype } from "../core/dtypes";
import { matchName, nearestNames, type NameMatch } from "./names";
import { HardwareProfile, type SystemSpec } from "./schema";

const HARDWARE_DIR = path.join(DATA_DIR, "hardware");
let cache: Map<string, HardwareProfile> | undefined;

/** All profiles in data/hardware, validated. */
export function listHardware(): HardwareProfile[] {
  if (!cache) {
    cache = new Map();
    for (const file of fs.readdirSync(HARDWARE_DIR).filter((f) => f.endsWith(".json")).sort()) {
      const raw = JSON.parse(fs.readFileSync(path.join(HARDWARE_DIR, file), "utf8"));
      const p = parseOrThrow(HardwareProfile, raw, `hardware profile data/hardware/${file}`);
      cache.set(p.id, p);
    }
  }
  return [...cache.values()];
}

/** How a spelling resolved: the profile, whether the spelling was exact, and what was ignored to match. */
export type HardwareMatch = NameMatch;

function loadProfileFile(file: string): HardwareProfile {
  const raw = JSON.parse(fs.readFileSync(file, "utf8"));
  return parseOrThrow(HardwareProfile, raw, `hardware profile ${file}`);
}

/**
 * Resolve a spelling — an id, an alias, a vendor spelling ("NVIDIA H200 SXM 141GB", "B200-SXM-180GB",
 * "Virtualized NVIDIA H100 80GB HBM3", "b200-trt") — or a path to a profile JSON. `exact` is false when the
 * spelling is not an id, alias or name of the profile; `dropped` lists the words that were ignored to match.
 * An unknown spelling is an InputError listing the nearest known names.
 */
export function resolveHardware(nameOrPath: string): HardwareMatch {
  if (nameOrPath.endsWith(".json") && fs.existsSync(nameOrPath)) {
    return { profile: loadProfileFile(nameOrPath), exact: true, dropped: [], qualifiers: [], matched: nameOrPath };
  }
  const all = listHardware();
  const hit = matchName(nameOrPath, all);
  if (hit) return hit;
  const near = nearestNames(nameOrPath, all).map((n) => (n.spelling === n.id ? n.id : `${n.id} ("${n.spelling}")`));
  throw new InputError(
    `unknown hardware "${nameOrPath}": nearest known names ${near.join(", ")}; ` +
      `\`mantile hardware\` lists all ${all.length} profiles (or give a path to a profile JSON)`,
  );
}

/** The profile for an id, alias, vendor spelling or profile JSON path (see resolveHardware). */
export function getHardware(nameOrPath: string): HardwareProfile {
  return resolveHardware(nameOrPath).profile;
}

/** A system of `chips` chips, filling scale-up domains in order. */
export function systemOf(chip: HardwareProfile, chips: number): SystemSpec {
  const domain = chip.scale_up.domain_gpus.value;
  return { chip, chipsPerDomain: Math.min(chips, domain), domains: Math.ceil(chips / domain) };
}

/** Dense tensor-core peak (FLOP/s) for a compute dtype; a dtype the chip lacks runs at the best rate it has below it (fp4 weights on Hopper are dequantised to fp8/bf16). */
export function peakFlops(hw: HardwareProfile, d: ComputeDtype): number {
  const t = hw.dense_tflops;
  const order: ComputeDtype[] = d === "fp4" ? ["fp4", "fp8", "bf16"] : d === "fp8" ? ["fp8", "bf16"] : d === "int8" ? ["int8", "bf16"] : ["bf16"];
  for (const k of order) {
    const f = (t as Record<string, { value: number } | undefined>)[k];
    if (f) return f.value * 1e12;
  }
  return t.bf16.value * 1e12;
}

/** HBM bandwidth, bytes/s. */
export function memoryBandwidth(hw: HardwareProfile): number {
  return hw.memory.bandwidth_tbps.value * 1e12;
}

/** GPUs of one server (compute tray): the profile's node_gpus, else the scale-up domain (an HGX board or UBB is one node). */
export function nodeGpus(hw: HardwareProfile): number {
  return hw.node_gpus?.value ?? hw.scale_up.domain_gpus.value;
}
