/** Communication family: collectives between the GPUs of a layer's group — counting, table key, roofline. */
import type { HardwareProfile } from "../hardware/schema";
import { allToAllSeconds } from "./all-to-all";
import { LAUNCHES } from "./kernel-launches";
import type { CollectiveOp, Op, OpFamily } from "./op";

export function collectiveOp(layerType: string, layers: number, op: CollectiveOp, bytes: number, gpus: number, name: string, scope: "scale_up" | "scale_out" = "scale_up"): Op {
  return {
    layerType, layers, name, kind: "comm", flops: 0, weightBytes: 0, activationBytes: 0, kvBytes: 0,
    computeDtype: "bf16", kernels: LAUNCHES.comm, formula: `${op} of the layer output across ${gpus} GPUs`,
    comm: { op, bytes, gpus, scope },
  };
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

/** A collective wider than one scale-up domain (e.g. EP 16 over two HGX nodes) runs at scale-out speed. */
function crossesDomain(op: Op, hw: HardwareProfile): boolean {
  return op.comm !== undefined && op.comm.gpus > hw.scale_up.domain_gpus.value;
}

export const COMMUNICATION: OpFamily = {
  kind: "comm",
  lookup(t, op) {
    const c = op.comm!;
    if (c.op === "p2p" || c.scope !== "scale_up") return undefined;
    const r = t.collective(c.op, c.bytes, c.gpus);
    if (c.op === "all_gather" || c.op === "reduce_scatter") {
      // An all-gather or reduce-scatter moves half the data of an all-reduce of the same buffer, so it never
      // needs longer than the engine's own (custom, CUDA-graph) all-reduce; NCCL's small-message launch cost
      // would otherwise dominate DP-attention MoE exchanges that engines run with custom kernels.
      const ar = t.collective("all_reduce", c.bytes, c.gpus);
      if (ar && (!r || ar.latencyMs < r.latencyMs)) return { ...ar, source: `${ar.source} (bounds ${c.op}: half the data of an all-reduce)` };
    }
    return r;
  },
  // The single-node tables do not cover a collective across domains.
  tablesApply: (op, hw) => !crossesDomain(op, hw),
  roofline(op, hw, eff) {
    const c = op.comm!;
    if (c.a2a) return { compute: 0, memory: 0, latency: 0, comm: allToAllSeconds(c.bytes, c.gpus, c.a2a, hw, eff.comm_bandwidth.value) };
    const up = c.scope === "scale_up" && !crossesDomain(op, hw);
    const bw = (up ? hw.scale_up.bandwidth_gbps_unidir.value : hw.scale_out.bandwidth_gbps_unidir.value) * 1e9;
    const lat = (up ? hw.scale_up.latency_us.value : hw.scale_out.latency_us.value) / 1e6;
    const comm = c.gpus > 1 ? lat + (c.bytes * collectiveTraffic(c.op, c.gpus)) / (bw * eff.comm_bandwidth.value) : 0;
    return { compute: 0, memory: 0, latency: 0, comm };
  },
};
