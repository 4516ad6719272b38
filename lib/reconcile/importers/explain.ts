/**
 * Why a predicted row came out as it did: its prediction (with the conversion assumptions) and the
 * typical decode step the prediction names the bottleneck of, costed by `estimate` so every number
 * carries its formula and sources.
 */
import { parseOrThrow } from "../../core/validate";
import type { Calibration } from "../../calibration/profile";
import { estimate, type Estimate } from "../../run/estimate";
import { predictConfig, type RowPrediction } from "../predict";
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
  const r = prediction.run;
  const pool = r.aggregated ?? r.disaggregated!.decode;
  // The typical decode step the prediction named the bottleneck of, costed with the pool's resolved engine.
  const { batch, context } = prediction.typicalDecode;
  const step = estimate({ model: r.model, hardware: r.hardware, engine: pool.engine, plan: pool.plan, phase: "decode", batch, seqLen: context, calibration });
  return { prediction, batch, context, step };
}
