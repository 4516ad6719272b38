/** Device memory of a chip as the driver reports it, explained. */
import { derive, fact, type Explained } from "../core/explain";
import type { HardwareProfile } from "./schema";

const BYTES_PER_MIB = 1024 * 1024;
const BYTES_PER_GB = 1e9;

/**
 * Bytes of device memory the driver exposes (nvidia-smi / rocminfo total): `memory.driver_total_mib` of the
 * profile, or — when the profile has none — the vendor capacity `memory.capacity_gb`, recorded as an
 * assumption (the two differ by a few per cent: H100 80GB reports 81559 MiB = 85.5 GB).
 */
export function deviceMemoryBytes(hw: HardwareProfile): Explained {
  const file = `data/hardware/${hw.id}.json`;
  const driver = hw.memory.driver_total_mib;
  if (driver) {
    if (driver.unit !== "MiB") throw new Error(`${file}: memory.driver_total_mib must be in MiB (got "${driver.unit}")`);
    const source = `${file} memory.driver_total_mib: ${driver.source}${driver.uncertain ? " (marked uncertain)" : ""}`;
    return derive(driver.value * BYTES_PER_MIB, "B", "driver_total_mib × 1,048,576 B/MiB", {
      driver_total_mib: fact(driver.value, "MiB", "data", source),
    });
  }
  const cap = hw.memory.capacity_gb;
  const source =
    `${file} has no memory.driver_total_mib, so the vendor capacity (${cap.source}) is taken as what the driver ` +
    `exposes; drivers report a few per cent more or less (H100 80GB: 81559 MiB; B200 "180GB": 183359 MiB)`;
  return derive(cap.value * BYTES_PER_GB, "B", "capacity_gb × 1e9 B/GB", {
    capacity_gb: fact(cap.value, "GB", "assumption", source),
  });
}
