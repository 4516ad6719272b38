/** The assumptions a search states with its answer (shown by the CLI, --json and notebook 11). */
import type { HardwareProfile } from "../hardware/schema";
import { CONFIDENCE_RANGE } from "./evaluate";
import type { WorkloadShape } from "./request";
import { ENGINES, SETTING_REASONS, type SearchSettings } from "./settings";

export interface AssumptionInput {
  shape: WorkloadShape;
  hw: HardwareProfile;
  precisionsGiven: boolean;
  precisionReason: string;
  confidence?: number;
  hook: boolean;
  settings: SearchSettings;
  engines: string[];
}

export function searchAssumptions(a: AssumptionInput): { what: string; value: string; why: string }[] {
  const out = [
    { what: "requests", value: a.shape.source, why: SETTING_REASONS.lengthRangeRatio },
    { what: "load", value: "closed loop of clients per replica (or per disaggregated unit), at each level of settings.concurrencies the KV cache holds", why: SETTING_REASONS.concurrencies },
    { what: "replicas", value: "whole replicas (units) on the GPUs given, every one at the same load; one is simulated and stands for all", why: "the frontend spreads clients evenly over identical replicas, so throughput per GPU and latency are those of one" },
    ...a.engines.map((e) => ({ what: `engine ${e}`, value: `${ENGINES[e].mode} (data/engines/${ENGINES[e].profile}.json)`, why: ENGINES[e].why })),
    { what: "batch cap", value: "max_num_seqs = clients per attention-DP rank; token budget ≥ that cap × (1 + draft tokens)", why: "the cap that admits every client and no more, so the KV cache at launch is sized for the load searched" },
    { what: "precisions", value: a.precisionsGiven ? "as given (--precisions)" : "default", why: a.precisionsGiven ? "weights by the same rule as a benchmark row's precision (lib/reconcile/row-precision.ts)" : a.precisionReason },
    { what: "pipeline parallelism", value: a.settings.pipelineStages.join(", "), why: SETTING_REASONS.pipelineStages },
    { what: "throughput per GPU", value: "(input + output tokens) / s / GPU used, as InferenceMAX's throughput_tokens_per_sec_per_gpu", why: "the frontier's y axis (its x axis is output tokens/s per user = 1 / mean TPOT); GPUs a layout cannot use (fewer than one more replica or unit) are left free and not counted" },
    { what: "SLOs", value: "TTFT p90 / p99 of all requests; TPOT and E2E means; tokens per user = 1 / mean TPOT", why: "as vllm bench serve and InferenceMAX report them" },
    { what: "price", value: `$${a.hw.cost_per_hour_usd.value} per GPU-hour`, why: `data/hardware/${a.hw.id}.json cost_per_hour_usd: ${a.hw.cost_per_hour_usd.source}` },
    { what: "disaggregated first token", value: "from the prefill worker; the KV hand-off then precedes decoding", why: "Mantile's disaggregated simulation (Dynamo with TensorRT-LLM: the context phase returns the first token)" },
  ];
  if (a.confidence !== undefined) {
    out.push({
      what: "confidence",
      value: a.hook ? `SLOs held at the pessimistic end: point + (p90 − point) × (${a.confidence} − ${CONFIDENCE_RANGE.min}) / (${CONFIDENCE_RANGE.max} − ${CONFIDENCE_RANGE.min})` : "no interval hook given: the pessimistic end is the point prediction",
      why: "the interval (issue 16) gives p10 and p90; between the point and p90 its quantiles are taken as linear",
    });
  }
  return out;
}
