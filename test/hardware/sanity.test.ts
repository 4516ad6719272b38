import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { DATA_DIR } from "../../lib/core/paths";
import { listHardware } from "../../lib/hardware/registry";

const DIR = path.join(DATA_DIR, "hardware");
const files = fs.readdirSync(DIR).filter((f) => f.endsWith(".json"));

/** Paths of numbers that are not the `value` of a {value, unit, source} object. */
function bareNumbers(v: unknown, at: string, out: string[]): void {
  if (typeof v === "number") out.push(at);
  else if (Array.isArray(v)) v.forEach((x, i) => bareNumbers(x, `${at}[${i}]`, out));
  else if (typeof v === "object" && v !== null) {
    const o = v as Record<string, unknown>;
    const isFact = typeof o.value === "number" && typeof o.unit === "string" && typeof o.source === "string";
    for (const [k, x] of Object.entries(o)) if (!(isFact && k === "value")) bareNumbers(x, `${at}.${k}`, out);
  }
}

describe("hardware profiles: every figure is sourced", () => {
  it("every number in data/hardware/*.json is a Fact with a unit and a source", () => {
    for (const f of files) {
      const out: string[] = [];
      bareNumbers(JSON.parse(fs.readFileSync(path.join(DIR, f), "utf8")), f, out);
      expect(out, f).toEqual([]);
    }
  });

  it("an assumption says so and is marked uncertain", () => {
    for (const f of files) {
      const text = fs.readFileSync(path.join(DIR, f), "utf8");
      const facts = [...text.matchAll(/"source": "(assumption[^"]*)"(,\s*"uncertain": (true))?/g)];
      for (const m of facts) expect(m[3], `${f}: ${m[1].slice(0, 60)}`).toBe("true");
    }
  });
});

describe("hardware profiles: bandwidth/peak ratios are plausible", () => {
  /**
   * Ridge point = dense BF16 peak / HBM bandwidth (FLOP per byte). Accelerators of the last generations sit
   * between ~100 and ~500 (H100 SXM 989e12 / 3.35e12 = 295; L40 181.05e12 / 0.864e12 = 210). 50–1000 catches
   * a TFLOPS/TOPS or TB/s/GB/s slip by 10×. The one part below 50 is the H20, a Hopper whose compute was cut to
   * 148 TFLOPS for export while it kept 4 TB/s of HBM3 (148 / 4.0 = 37).
   */
  const LOW_BY_DESIGN = new Set(["h20"]);
  it("bf16 ridge point between 50 and 1000 FLOP/B", () => {
    for (const p of listHardware()) {
      const ridge = p.dense_tflops.bf16.value / p.memory.bandwidth_tbps.value;
      expect(ridge, p.id).toBeLessThan(1000);
      if (LOW_BY_DESIGN.has(p.id)) expect(ridge, p.id).toBeCloseTo(37, 0);
      else expect(ridge, p.id).toBeGreaterThan(50);
    }
  });

  it("lower precisions never have a lower peak than bf16, and power per dense PFLOP is plausible", () => {
    for (const p of listHardware()) {
      const bf16 = p.dense_tflops.bf16.value;
      for (const d of ["fp8", "fp4"] as const) {
        const f = p.dense_tflops[d];
        if (f) expect(f.value, `${p.id} ${d}`).toBeGreaterThanOrEqual(bf16);
      }
      // W per dense BF16 PFLOP: B200 1000 / 2.25 = 444; A100 400 / 0.312 = 1282; L4 72 / 0.121 = 595; H20 400 / 0.148 = 2703.
      const wPerPflop = p.power_w.value / (bf16 / 1000);
      expect(wPerPflop, p.id).toBeGreaterThan(200);
      expect(wPerPflop, p.id).toBeLessThan(5000);
    }
  });
});
