import * as fs from "fs";
import * as path from "path";
import { DATA_DIR } from "../core/paths";
import { InputError, parseOrThrow } from "../core/validate";
import type { ComputeDtype } from "../core/dtypes";
import { HardwareProfile, type SystemSpec } from "./schema";

const HARDWARE_DIR = path.join(DATA_DIR, "hardware");
let cache: Map<string, HardwareProfile> | undefined;

function normalise(name: string): string {
  return name.trim().toLowerCase().replace(/[\s_]+/g, "-");
}

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

/** Resolve an id or alias (`b200`, `b200-trt`, `H100 SXM`, …) or a path to a profile JSON. */
export function getHardware(nameOrPath: string): HardwareProfile {
  if (nameOrPath.endsWith(".json") && fs.existsSync(nameOrPath)) {
    const raw = JSON.parse(fs.readFileSync(nameOrPath, "utf8"));
    return parseOrThrow(HardwareProfile, raw, `hardware profile ${nameOrPath}`);
  }
  const key = normalise(nameOrPath);
  const all = listHardware();
  const find = (k: string) => all.find((p) => p.id === k || p.aliases.some((a) => normalise(a) === k));
  let hit = find(key);
  // Benchmark runners suffix the chip with the engine or node (b200-trt, mi355x-amd_0, h200-nb): drop suffixes.
  for (let k = key; !hit && k.includes("-"); ) {
    k = k.slice(0, k.lastIndexOf("-"));
    hit = find(k);
  }
  if (!hit) {
    throw new InputError(
      `unknown hardware "${nameOrPath}": use one of ${all.map((p) => p.id).join(", ")} ` +
        `(or an alias such as "H100 SXM"), or a path to a profile JSON`,
    );
  }
  return hit;
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
