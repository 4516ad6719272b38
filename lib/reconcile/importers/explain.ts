/**
 * Why a predicted row came out as it did: its prediction (with the conversion assumptions) and the
 * typical decode step the prediction names the bottleneck of, costed by `estimate` so every number
 * carries its formula and sources.
 */
import { parseOrThrow } from "../../core/validate";
import { estimate, type Estimate } from "../../step/estimate";
import type { Calibration } from "../calibration";
import { predictConfig, typicalDecodeStep, type RowPrediction } from "../predict";
import { ConfigRow } from "../standard";

export interface ExplainedStep {
  prediction: RowPrediction;
  /** Sequences in the typical decode step and their mean context (tokens). */
  batch: number;
  context: number;
  step: Estimate;
}

export function explainTypicalStep(raw: Record<string, string>, calibration: "auto" | "none" | Calibration = "auto"): ExplainedStep {
  const prediction = predictConfig(parseOrThrow(ConfigRow, raw, "row"), { calibration });
  const req = prediction.request;
  const pool = req.aggregated ?? req.disaggregated!.decode;
  const m = prediction.sim.metrics;
  // As simulateWithBottleneck: the workload's clients, or (open loop) Little's law on the simulated run.
  const concurrency = (req.workload as { concurrency?: number }).concurrency ?? Math.max(1, Math.round(m.requestsPerSec * m.e2e.mean));
  const { batch, context } = typicalDecodeStep(pool, concurrency, m.meanInput, m.meanOutput);
  const step = estimate({ model: req.model, hardware: req.hardware, engine: req.engine.id, plan: pool.plan, phase: "decode", batch, seqLen: context, calibration });
  return { prediction, batch, context, step };
}
