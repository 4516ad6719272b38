/**
 * Link time of an expert-parallel all-to-all (./expert-parallel.ts builds the ops, ./communication.ts times them).
 * A module of its own: lib files must not import each other in a cycle (tslab's loader recurses on one).
 */
import type { HardwareProfile } from "../hardware/schema";

/**
 * Link time of an all-to-all on one GPU: copies to GPUs of its own NVLink domain at scale-up bandwidth, copies
 * to other domains at scale-out bandwidth, at the same time. DeepEP normal kernels send a token once per remote
 * domain and forward it inside (github.com/deepseek-ai/DeepEP README, normal kernels: NVLink + RDMA forwarding);
 * low-latency and MNNVL kernels send one copy per expert.
 */
export function allToAllSeconds(bytes: number, ep: number, a2a: { kernels: string; topk: number }, hw: HardwareProfile, commEfficiency: number): number {
  if (ep <= 1) return 0;
  const domain = Math.min(ep, hw.scale_up.domain_gpus.value);
  const inside = (domain - 1) / ep;
  const outside = (ep - domain) / ep;
  const n = ep / domain;
  // Expected distinct remote domains per token over its expected remote copies (uniform routing).
  const dedup = a2a.kernels === "normal" && outside > 0 ? ((n - 1) * (1 - Math.pow(1 - 1 / n, a2a.topk))) / (a2a.topk * outside) : 1;
  const up = (bytes * inside) / (hw.scale_up.bandwidth_gbps_unidir.value * 1e9 * commEfficiency);
  const out = (bytes * outside * dedup) / (hw.scale_out.bandwidth_gbps_unidir.value * 1e9 * commEfficiency);
  const latency = (outside > 0 ? hw.scale_out.latency_us.value : hw.scale_up.latency_us.value) / 1e6;
  return latency + Math.max(up, out);
}
