/**
 * Time of one op on one GPU: a measured kernel table where one covers it, else the roofline
 * max(compute / (peak · efficiency), bytes / (bandwidth · efficiency)) + fixed latency.
 */
import type { HardwareProfile, ComputeDtype } from "../hardware/schema";
import type { Op, CollectiveOp } from "../cost/ops";
import type { Efficiency } from "./efficiency";

/** A measured-kernel source (lib/kernels adapts its tables to this). Times in seconds; undefined = not covered. */
export interface KernelSource {
  name: string;
  time(op: Op): { seconds: number; source: string; extrapolated: boolean } | undefined;
}

export type Bound = "compute" | "memory" | "communication" | "overhead";

export interface OpTime {
  seconds: number;
  compute: number;
  memory: number;
  comm: number;
  overhead: number;
  bound: Bound;
  source: string;
  extrapolated: boolean;
}

export function peakFlops(hw: HardwareProfile, d: ComputeDtype): number {
  const t = hw.dense_tflops;
  // A dtype the chip lacks runs at the best rate it has below it (e.g. fp4 weights on Hopper are dequantised to fp8/bf16).
  const order: ComputeDtype[] = d === "fp4" ? ["fp4", "fp8", "bf16"] : d === "fp8" ? ["fp8", "bf16"] : d === "int8" ? ["int8", "bf16"] : ["bf16"];
  for (const k of order) {
    const f = (t as Record<string, { value: number } | undefined>)[k];
    if (f) return f.value * 1e12;
  }
  return t.bf16.value * 1e12;
}

export function memoryBandwidth(hw: HardwareProfile): number {
  return hw.memory.bandwidth_tbps.value * 1e12;
}

/** Bus-bandwidth factor of a collective: bytes each GPU must send, relative to the message size. */
export function collectiveTraffic(op: CollectiveOp, gpus: number): number {
  if (gpus <= 1) return 0;
  switch (op) {
    case "all_reduce":
      return (2 * (gpus - 1)) / gpus;
    case "all_gather":
    case "reduce_scatter":
    case "all_to_all":
      return (gpus - 1) / gpus;
    case "p2p":
      return 1;
  }
}

export function opTime(op: Op, hw: HardwareProfile, eff: Efficiency, kernelGapUs: number, tables?: KernelSource): OpTime {
  const gap = (kernelGapUs * op.kernels) / 1e6;
  // A collective wider than one scale-up domain (e.g. EP 16 over two HGX nodes) runs at scale-out speed,
  // which the single-node tables do not cover.
  const crossesDomain = op.comm !== undefined && op.comm.gpus > hw.scale_up.domain_gpus.value;
  const measured = crossesDomain ? undefined : tables?.time(op);
  if (measured) {
    const bound: Bound = op.kind === "comm" ? "communication" : rooflineBound(op, hw, eff);
    return {
      seconds: measured.seconds + gap, compute: bound === "compute" ? measured.seconds : 0,
      memory: bound === "memory" ? measured.seconds : 0, comm: op.kind === "comm" ? measured.seconds : 0,
      overhead: gap, bound, source: measured.source, extrapolated: measured.extrapolated,
    };
  }
  if (op.kind === "comm" && op.comm) {
    const c = op.comm;
    const up = c.scope === "scale_up" && !crossesDomain;
    const bw = (up ? hw.scale_up.bandwidth_gbps_unidir.value : hw.scale_out.bandwidth_gbps_unidir.value) * 1e9;
    const lat = (up ? hw.scale_up.latency_us.value : hw.scale_out.latency_us.value) / 1e6;
    const comm = c.gpus > 1 ? lat + (c.bytes * collectiveTraffic(c.op, c.gpus)) / (bw * eff.comm_bandwidth.value) : 0;
    return { seconds: comm + gap, compute: 0, memory: 0, comm, overhead: gap, bound: "communication", source: "roofline", extrapolated: false };
  }
  const effC = op.kind === "attention" ? eff.attention_compute.value : op.kind === "moe" ? eff.moe_compute.value : eff.gemm_compute.value;
  const compute = op.flops / (peakFlops(hw, op.computeDtype) * effC);
  const bytes = op.weightBytes + op.activationBytes + op.kvBytes;
  const memory = bytes / (memoryBandwidth(hw) * eff.memory_bandwidth.value) + eff.memory_latency_us.value / 1e6;
  const body = Math.max(compute, memory);
  return {
    seconds: body + gap, compute, memory, comm: 0, overhead: gap,
    bound: compute >= memory ? "compute" : "memory", source: "roofline", extrapolated: false,
  };
}

function rooflineBound(op: Op, hw: HardwareProfile, eff: Efficiency): Bound {
  const effC = op.kind === "attention" ? eff.attention_compute.value : op.kind === "moe" ? eff.moe_compute.value : eff.gemm_compute.value;
  const compute = op.flops / (peakFlops(hw, op.computeDtype) * effC);
  const memory = (op.weightBytes + op.activationBytes + op.kvBytes) / (memoryBandwidth(hw) * eff.memory_bandwidth.value);
  return compute >= memory ? "compute" : "memory";
}
