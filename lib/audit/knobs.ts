/**
 * The numeric inputs of a run that are not plain config facts, as knobs an audit perturbs: efficiency
 * factors, uncertain or calibrated engine numbers, speculative acceptance, hardware datasheet figures.
 */
import { FACTOR_NAMES, withFactors } from "../calibration/efficiency";
import { CALIBRATION_PARAMETERS, type ParamName } from "../calibration/parameters";
import { formatNumber } from "../core/explain";
import { withEngineOverrides, type EngineNumber } from "../engine/profile";
import { expectedTokensPerStep } from "../engine/speculative";
import type { HardwareProfile } from "../hardware/schema";
import type { PinnedRun } from "../bundle/run";
import type { ResolvedRun } from "../run/request";
import { withEngine } from "../run/resolve";
import { kernelSourceFor } from "../step/kernel-source";
import type { AuditKind } from "./types";

export interface Knob {
  param: string;
  what: string;
  unit: string;
  kind: AuditKind;
  provenance: string;
  value: number;
  shown?: string;
  min?: number;
  max?: number;
  integer?: boolean;
  note?: string;
  apply(r: ResolvedRun, v: number): ResolvedRun;
}

const ENGINE_NUMBERS: EngineNumber[] = ["max_num_batched_tokens", "max_num_seqs", "gpu_memory_utilization", "runtime_reserve_gb", "step_overhead_ms", "per_seq_overhead_us", "request_overhead_ms"];
const PERTURBATION = "audit perturbation";

function cloneHw(hw: HardwareProfile): HardwareProfile {
  return JSON.parse(JSON.stringify(hw)) as HardwareProfile;
}

export function tablesUsed(r: ResolvedRun): boolean {
  if (r.useKernelTables === false) return false;
  const ops = r.useKernelTables === true ? undefined : r.useKernelTables;
  return !!kernelSourceFor(r.hardware, r.engine, ops);
}

/** The numeric inputs that are not plain config facts, as perturbable knobs. */
export function knobs(p: PinnedRun, r: ResolvedRun): Knob[] {
  const out: Knob[] = [];
  const tables = tablesUsed(r);
  const tableNote = tables ? "ops timed from measured kernel tables do not use it; it acts on roofline-timed ops only" : undefined;
  for (const n of FACTOR_NAMES) {
    const f = r.efficiency[n];
    const cp = CALIBRATION_PARAMETERS[n as ParamName];
    const kind: AuditKind = f.kind === "calibration" ? "calibration" : f.kind === "override" ? "override" : "default";
    out.push({
      param: `efficiency.${n}`, what: `efficiency ${n}`, unit: f.unit, kind, provenance: `${f.kind}: ${f.source}`, value: f.value,
      min: Math.max(f.min, cp?.min ?? -Infinity), max: Math.min(f.max, cp?.max ?? Infinity), note: tableNote && n !== "kernel_gap_graph_us" && n !== "kernel_gap_eager_us" ? tableNote : undefined,
      apply: (x, v) => ({ ...x, efficiency: withFactors(x.efficiency, { [n]: v }, "override", PERTURBATION) }),
    });
  }
  for (const k of ENGINE_NUMBERS) {
    const f = r.engine[k];
    const cp = CALIBRATION_PARAMETERS[k as ParamName];
    if (!f.uncertain && !cp) continue;
    const kind: AuditKind = p.overrides[k as ParamName] !== undefined ? "override" : p.calibration?.values[k as ParamName] !== undefined ? "calibration" : f.uncertain ? "uncertain" : "default";
    out.push({
      param: `engine.${k}`, what: `engine ${k}`, unit: f.unit, kind, provenance: `${r.engine.id}: ${f.source}`, value: f.value,
      min: cp?.min ?? (k === "max_num_batched_tokens" || k === "max_num_seqs" ? 1 : 0), max: cp?.max ?? (k === "gpu_memory_utilization" ? 1 : undefined),
      integer: k === "max_num_batched_tokens" || k === "max_num_seqs",
      apply: (x, v) => withEngine(x, withEngineOverrides(x.engine, { [k]: v }, PERTURBATION)),
    });
  }
  // Speculative decoding (when the converted request carries it): the acceptance rate is an assumption.
  const spec = r.speculative;
  if (spec) {
    const k = spec.draftTokens;
    out.push({
      param: "speculative.acceptance", what: "speculative acceptance rate", unit: "fraction of draft tokens", kind: "uncertain", provenance: spec.source, value: spec.acceptance,
      min: 0, max: 0.99,
      note: `tokens per step recomputed as (1 − a^(k+1)) / (1 − a) with k = ${k}`,
      apply: (x, a) => ({ ...x, speculative: { ...spec, acceptance: a, tokensPerStep: expectedTokensPerStep(k, a) } }),
    });
  }
  const hw = r.hardware;
  const hwKind = (u?: boolean): AuditKind => (u ? "uncertain" : "datasheet");
  const bw = hw.memory.bandwidth_tbps;
  out.push({
    param: "hardware.memory.bandwidth_tbps", what: "hardware HBM bandwidth", unit: bw.unit, kind: hwKind(bw.uncertain), provenance: `data/hardware/${hw.id}.json: ${bw.source}`, value: bw.value, note: tableNote,
    apply: (x, v) => {
      const h = cloneHw(x.hardware);
      h.memory.bandwidth_tbps.value = v;
      return { ...x, hardware: h };
    },
  });
  const peaks = Object.entries(hw.dense_tflops).filter(([, f]) => f) as [string, { value: number; unit: string; source: string; uncertain?: boolean }][];
  out.push({
    param: "hardware.dense_tflops", what: "hardware dense tensor peaks (all dtypes together)", unit: "TFLOPS", kind: hwKind(peaks.some(([, f]) => f.uncertain)),
    provenance: `data/hardware/${hw.id}.json: ${peaks.map(([d, f]) => `${d} ${formatNumber(f.value)}`).join(", ")} TFLOPS; bf16: ${hw.dense_tflops.bf16.source}`, value: hw.dense_tflops.bf16.value,
    shown: `bf16 ${formatNumber(hw.dense_tflops.bf16.value)}${peaks.length > 1 ? ` (+${peaks.length - 1} dtypes)` : ""}`, note: tableNote,
    apply: (x, v) => {
      const h = cloneHw(x.hardware);
      const s = v / hw.dense_tflops.bf16.value;
      for (const f of Object.values(h.dense_tflops)) if (f) f.value *= s;
      return { ...x, hardware: h };
    },
  });
  if (r.gpusCounted > 1 || r.disaggregated) {
    const su = hw.scale_up.bandwidth_gbps_unidir;
    out.push({
      param: "hardware.scale_up.bandwidth_gbps_unidir", what: "hardware scale-up bandwidth", unit: su.unit, kind: hwKind(su.uncertain), provenance: `data/hardware/${hw.id}.json (${hw.scale_up.technology}): ${su.source}`, value: su.value, note: tableNote,
      apply: (x, v) => {
        const h = cloneHw(x.hardware);
        h.scale_up.bandwidth_gbps_unidir.value = v;
        return { ...x, hardware: h };
      },
    });
  }
  return out;
}

