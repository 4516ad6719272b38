/** Plausibility checks on op times (data/cost/checks.json), and what a prediction says about where its kernel efficiencies come from. */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import type { Efficiency } from "../calibration/efficiency";
import type { Assumption } from "../core/explain";
import { DATA_DIR } from "../core/paths";
import { parseOrThrow } from "../core/validate";
import { vendorGemmFigures } from "../cost/vendor-efficiency";
import type { EngineProfile } from "../engine/profile";
import type { HardwareProfile } from "../hardware/schema";
import type { Op } from "../cost/op";
import type { OpTime } from "./roofline";
import { loadKernelTables } from "../kernels/index";

const File = z.object({ _about: z.string(), roofline_flag_ratio: z.object({ value: z.number().positive(), unit: z.string(), source: z.string() }).strict() }).strict();
const checks = parseOrThrow(File, JSON.parse(fs.readFileSync(path.join(DATA_DIR, "cost", "checks.json"), "utf8")), "data/cost/checks.json");

/** A measured op slower than this many times its roofline bound is flagged. */
export const ROOFLINE_FLAG_RATIO = checks.roofline_flag_ratio;

/** Measured ops of a step more than roofline_flag_ratio × their roofline bound, as assumptions (one per distinct op). */
export function flaggedOps(ops: { op: Op; time: OpTime }[]): Assumption[] {
  const seen = new Set<string>();
  const out: Assumption[] = [];
  for (const { op, time } of ops) {
    const r = time.rooflineRatio;
    const key = `${op.layerType}/${op.name}`;
    if (r === undefined || r <= ROOFLINE_FLAG_RATIO.value || seen.has(key)) continue;
    seen.add(key);
    const measured = time.seconds - time.overhead;
    out.push({
      what: `kernel time > ${ROOFLINE_FLAG_RATIO.value}× roofline`,
      value: `${key}: ${(measured * 1e6).toFixed(1)} µs measured, ${r.toFixed(1)}× its roofline bound of ${((measured / r) * 1e6).toFixed(1)} µs (${time.source})`,
      why: `data/cost/checks.json roofline_flag_ratio: ${ROOFLINE_FLAG_RATIO.source}`,
    });
  }
  return out;
}

/**
 * Where a prediction's kernel efficiencies come from on this platform: measured tables; else the vendor's
 * published kernel figures (data/efficiency/amd.json: GEMMs only) where no calibration sets the GEMM factor;
 * the op families with neither (attention incl. MLA, MoE) are uncalibrated unless a calibration was fitted on
 * this hardware × engine (a profile transferred from another chip or engine does not count; issue 16 widens
 * the interval of an uncalibrated prediction).
 */
export function platformAssumptions(hw: HardwareProfile, engine: EngineProfile, eff: Efficiency, fittedOn: { hardware?: string | null; engine?: string | null } | undefined): Assumption[] {
  if (hw.kernel_tables && engine.kernel_framework && loadKernelTables(hw.kernel_tables, engine.kernel_framework)) return [];
  const out: Assumption[] = [];
  const vendor = vendorGemmFigures(hw.id);
  if (vendor.length && eff.gemm_compute.kind === "default") {
    out.push({ what: "GEMM efficiency", value: vendor.map((v) => `${v.peakDtype} ${v.fraction}`).join(", ") + " of dense peak", why: `no measured kernel tables and no calibration of gemm_compute for ${hw.id}: ${vendor[0].source}` });
  }
  const fitted = fittedOn?.hardware === hw.id && fittedOn?.engine === engine.id;
  if (!fitted) {
    const families = vendor.length ? "attention (incl. MLA) and MoE" : "every op family";
    const from = fittedOn?.hardware ? `factors transferred from the ${fittedOn.hardware} × ${fittedOn.engine} profile` : "default factors";
    out.push({
      what: "kernel efficiency", value: "uncalibrated",
      why: `${hw.id} has no measured kernel tables for ${engine.id}, no vendor kernel figures for ${families} (data/efficiency/amd.json) and no calibration fitted on ${hw.id} × ${engine.id}: roofline with ${from}`,
    });
  }
  return out;
}
