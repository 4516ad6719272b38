/**
 * One searched point taken apart (notebook 11): the run it stands for with every assumption, its
 * typical decode step per layer type (lib/run/estimate.ts on the decode worker's plan), its memory
 * and the engine settings a launch config sets.
 */
import type { Assumption } from "../core/explain";
import { getHardware } from "../hardware/registry";
import { loadModel } from "../model/registry";
import { estimate, type Estimate } from "../run/estimate";
import { resolveCandidate } from "./evaluate";
import { planOf, shapeOf, type RequestContext } from "./request";
import { DEFAULT_SETTINGS } from "./settings";
import type { Evaluated, SearchRequest } from "./types";
import { getEngine } from "../engine/profile";

export interface DrillDown {
  point: Evaluated;
  /** Every assumption of the resolved run (mapping, engine defaults, calibration). */
  assumptions: Assumption[];
  /** The typical decode step of the (decode) worker, per layer type (speculative drafting not included). */
  step: Estimate;
  /** Memory and engine settings per worker, as rows. */
  workers: Record<string, string | number>[];
}

/** The request context of a search request (what resolves its candidates). */
export function contextOf(req: SearchRequest): RequestContext {
  const settings = { ...DEFAULT_SETTINGS, ...(req.settings ?? {}) };
  return {
    model: req.model, hardware: req.hardware, ir: loadModel(req.model), hw: getHardware(req.hardware), shape: shapeOf(req, settings), settings,
    calibration: req.calibration ?? "auto", useKernelTables: req.useKernelTables ?? true, seed: req.seed ?? 1,
  };
}

export function drillDown(e: Evaluated, req: SearchRequest): DrillDown {
  const x = contextOf(req);
  const run = resolveCandidate(e.candidate, x);
  const l = e.candidate.layout;
  const worker = l.mode === "aggregated" ? l.worker! : l.decode!;
  const plan = planOf(worker, l.precision, x.ir, x.hw, getEngine(l.profile), []);
  const step = estimate({
    model: x.ir, hardware: x.hw, engine: l.profile, plan, phase: "decode", batch: e.typicalDecode.batch, seqLen: e.typicalDecode.context,
    calibration: x.calibration, useKernelTables: x.useKernelTables,
  });
  const row = (role: string, m: Evaluated["memory"], s: Evaluated["engineSettings"]["decode"]) => ({
    worker: role, "weights GB/GPU": m.weightsPerGpuGB, "KV pool GB/GPU": m.kvPoolPerGpuGB, "KV tokens": Math.floor(m.kvCapacityTokens),
    "max seqs / rank": s.maxNumSeqs, "token budget / rank": s.maxNumBatchedTokens, "memory fraction": `${s.gpuMemoryUtilization} (${s.memoryBasis})`, "KV dtype": s.kvCacheDtype,
  });
  const workers = [row(l.mode === "aggregated" ? "replica" : "decode", e.memory, e.engineSettings.decode)];
  if (e.prefillMemory && e.engineSettings.prefill) workers.push(row("prefill", e.prefillMemory, e.engineSettings.prefill));
  return { point: e, assumptions: run.assumptions, step, workers };
}
