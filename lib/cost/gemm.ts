/** GEMM family: projections, dense feed-forward layers, routers and heads — counting, table key, roofline. */
import { bytesPerElement, computeDtypeOf, type Dtype } from "../core/dtypes";
import type { FfnSpec, ModelIR } from "../model/ir";
import type { ParallelPlan, PhasePlan } from "../parallel/plan";
import { weightDtype } from "../parallel/memory";
import { LAUNCHES } from "./kernel-launches";
import { collectiveOp } from "./communication";
import { mlaBmmLookup } from "./mla-lookup";
import { gemmEfficiency } from "./vendor-efficiency";
import { computeMemoryRoofline, type LayerGroup, type Op, type OpFamily, type StepInput } from "./op";

/** GEMM table dtypes by weight dtype (fp16 runs the bf16 kernels). */
const GEMM_DTYPE: Partial<Record<Dtype, "bf16" | "fp8" | "fp8_block" | "nvfp4">> = { bf16: "bf16", fp16: "bf16", fp8: "fp8", "fp8-block": "fp8_block", nvfp4: "nvfp4" };

/** An m×k · k×n matmul against stored weights; `weightBias` adds a bias vector of that many elements. */
export function gemmOp(
  layerType: string, layers: number, name: string, m: number, n: number, k: number,
  wd: Dtype, actBytes: number, weightBias = 0,
): Op {
  return {
    layerType, layers, name, kind: "gemm",
    flops: 2 * m * n * k,
    weightBytes: n * k * bytesPerElement(wd) + weightBias * actBytes,
    activationBytes: (m * k + m * n) * actBytes,
    kvBytes: 0, computeDtype: computeDtypeOf(wd), kernels: LAUNCHES.gemm,
    formula: "flops = 2·m·n·k; bytes = n·k·bytes(w) + (m·k + m·n)·bytes(act)",
    gemm: { m, n, k, weightDtype: wd },
  };
}

export const GEMM: OpFamily = {
  kind: "gemm",
  lookup(t, op) {
    if (op.bmm) return mlaBmmLookup(t, op);
    const g = op.gemm!;
    const d = GEMM_DTYPE[g.weightDtype];
    return d ? t.gemm(Math.max(1, Math.ceil(g.m)), g.n, g.k, d) : undefined;
  },
  // Platforms without tables: the vendor's published GEMM efficiency where no calibration sets it (./vendor-efficiency.ts).
  roofline: (op, hw, eff) => computeMemoryRoofline(op, hw, eff, gemmEfficiency(hw.id, op.computeDtype, eff)),
};

/** A dense feed-forward layer on one GPU of its TP group: gate/up and down GEMMs, then the output all-reduce. */
export function ffnOps(ir: ModelIR, plan: ParallelPlan, phase: PhasePlan, g: LayerGroup, s: StepInput): Op[] {
  const f = g.layer.ffn as FfnSpec;
  const H = ir.hidden;
  const act = bytesPerElement(plan.activations);
  const wd = weightDtype(ir, plan, "ffn");
  const tp = phase.ffn.tp;
  const L = g.count / phase.pp;
  const T = s.tokens;
  const I = f.intermediate / tp;
  const ops = [
    gemmOp(g.type, L, f.gated ? "gate_up_proj" : "up_proj", T, (f.gated ? 2 : 1) * I, H, wd, act),
    gemmOp(g.type, L, "down_proj", T, H, I, wd, act),
  ];
  if (tp > 1) ops.push(collectiveOp(g.type, L, "all_reduce", T * H * act, tp, "FFN output all-reduce"));
  return ops;
}
