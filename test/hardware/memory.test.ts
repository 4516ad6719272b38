import { describe, expect, it } from "vitest";
import { deviceMemoryBytes } from "../../lib/hardware/memory";
import { getHardware, listHardware } from "../../lib/hardware/registry";
import type { HardwareProfile } from "../../lib/hardware/schema";

const MIB = 1024 * 1024;

describe("deviceMemoryBytes", () => {
  it("uses the driver-reported total when the profile has one", () => {
    const m = deviceMemoryBytes(getHardware("h100-sxm"));
    // nvidia-smi 81559 MiB × 1,048,576 B/MiB = 85,520,809,984 B (the "85.5 GB" Modal quotes for H100).
    expect(m.value).toBe(85_520_809_984);
    expect(m.unit).toBe("B");
    expect(m.formula).toBe("driver_total_mib × 1,048,576 B/MiB");
    expect(m.inputs.driver_total_mib.value).toBe(81559);
    expect(m.inputs.driver_total_mib.provenance.kind).toBe("data");
    expect(m.inputs.driver_total_mib.provenance.source).toMatch(/^data\/hardware\/h100-sxm\.json memory\.driver_total_mib: nvidia-smi/);
  });

  it("B200 '180GB' and MI300X expose what their drivers report", () => {
    expect(deviceMemoryBytes(getHardware("b200")).value).toBe(183359 * MIB); // 192,265,846,784 B
    expect(deviceMemoryBytes(getHardware("mi300x")).value).toBe(196592 * MIB); // rocminfo 201310208 KB / 1024
    expect(deviceMemoryBytes(getHardware("h200")).value).toBe(143771 * MIB);
  });

  it("says when the driver figure is marked uncertain", () => {
    const m = deviceMemoryBytes(getHardware("gh200-144gb"));
    expect(m.inputs.driver_total_mib.provenance.source).toMatch(/\(marked uncertain\)$/);
  });

  it("falls back to capacity_gb × 1e9 as an assumption when the profile has no driver figure", () => {
    const h20 = getHardware("h20");
    expect(h20.memory.driver_total_mib).toBeUndefined();
    const m = deviceMemoryBytes(h20);
    expect(m.value).toBe(96e9); // 96 GB × 1e9 B/GB
    expect(m.formula).toBe("capacity_gb × 1e9 B/GB");
    expect(m.inputs.capacity_gb.provenance.kind).toBe("assumption");
    expect(m.inputs.capacity_gb.provenance.source).toMatch(/data\/hardware\/h20\.json has no memory\.driver_total_mib/);
  });

  it("rejects a driver figure in another unit, naming the file and field", () => {
    const base = getHardware("l4");
    const bad: HardwareProfile = { ...base, memory: { ...base.memory, driver_total_mib: { value: 24, unit: "GB", source: "test" } } };
    expect(() => deviceMemoryBytes(bad)).toThrow(/data\/hardware\/l4\.json: memory\.driver_total_mib must be in MiB \(got "GB"\)/);
  });

  it("driver totals sit between the capacity read as GB and read as GiB", () => {
    // HBM is sized in GiB and vendors quote GB; the driver keeps a little back: for H100 80GB,
    // 80e9 B = 76,294 MiB ≤ 81,559 MiB ≤ 80 GiB = 81,920 MiB. A 5 % margin below covers GDDR cards (L4: 23,034 vs 22,888).
    for (const p of listHardware()) {
      const d = p.memory.driver_total_mib;
      if (!d) continue;
      const gb = p.memory.capacity_gb.value;
      expect(d.value, p.id).toBeLessThanOrEqual(gb * 1024);
      expect(d.value, p.id).toBeGreaterThanOrEqual((0.95 * gb * 1e9) / MIB);
    }
  });
});
