/**
 * Screening a candidate before any rate search: is the TP split valid, do the weights and one
 * request's KV fit, does one request alone meet the TTFT budget — and the analytic prefill bound on
 * its requests/s per GPU, which orders (and prunes) the rate searches.
 */
import { prefillBatch } from "../cost/batch";
import { memoryPolicyOf } from "../engine/profile";
import { attentionWindows } from "../model/build";
import { memoryReport } from "../parallel/memory";
import { validatePlan } from "../parallel/validate";
import type { ResolvedRun } from "../run/request";
import type { SimulationResult } from "../serving/simulate";
import type { Prefix, WorkloadInput } from "../serving/workload";
import { expectedCachedInput } from "../run/predict";
import { buildStepModel } from "../step/build";
import { fmt } from "./rate";
import type { Candidate, Trial } from "./types";

/** A trial row that records a decision without a rate run. */
export function blankTrial(c: Pick<Candidate, "tp" | "precision" | "gpus">, stage: Trial["stage"], reason: string): Trial {
  return {
    tp: c.tp, precision: c.precision, gpus: c.gpus, stage, rate: 0, requests: 0, ttft: NaN, ttftMean: NaN, ttftP90: NaN, ttftP99: NaN, e2eMean: NaN, tpotMs: NaN,
    achievedRate: NaN, keepUp: NaN, concurrency: NaN, rpsPerGpu: 0, feasible: false, reason, seconds: 0,
  };
}

/** Screen candidate `c` (its run resolved: plan, calibrated engine and efficiency); returns its trial row. */
export function screenCandidate(
  c: Candidate,
  run: ResolvedRun,
  x: { isl: number; osl: number; budget: number; prefix?: Prefix; simulate(workload: WorkloadInput): SimulationResult },
): Trial {
  const { model: ir, hardware: hw, engine, efficiency: eff } = run;
  const plan = run.aggregated!.plan;
  const errors = validatePlan(ir, plan).filter((v) => v.severity === "error");
  if (errors.length) {
    c.reasonKind = "plan";
    c.reason = `TP ${c.tp} is not a valid split: ${errors.map((e) => e.message).filter((m, i, a) => a.indexOf(m) === i).join("; ")}`;
    return blankTrial(c, "fit", c.reason);
  }
  const mem = memoryReport(ir, hw, plan, plan.prefill, memoryPolicyOf(engine));
  c.weightsGbPerGpu = mem.weightsPerGpu.value / 1e9;
  c.kvCapacityTokens = Math.floor(mem.kvCapacityTokens.value);
  const reserve = engine.runtime_reserve_gb.value;
  if (mem.kvPoolPerGpu.value <= 0) {
    c.reasonKind = "memory";
    c.reason = `weights do not fit: ${fmt(c.weightsGbPerGpu)} GB/GPU + ${fmt(reserve)} GB runtime reserve exceed the usable ${fmt(mem.usablePerGpu.value / 1e9)} GB (${engine.gpu_memory_utilization.value} × ${hw.memory.capacity_gb.value} GB)`;
    return blankTrial(c, "fit", c.reason);
  }
  if (c.kvCapacityTokens < x.isl + x.osl) {
    c.reasonKind = "memory";
    c.reason = `KV cache does not hold one request: pool of ${c.kvCapacityTokens} tokens < ${x.isl + x.osl} (weights ${fmt(c.weightsGbPerGpu)} GB/GPU)`;
    return blankTrial(c, "fit", c.reason);
  }
  const t1 = Date.now();
  // One request alone; with a shared prefix, the second of two (its prefix already cached: the warm case, a lower bound on TTFT).
  const warm = x.prefix !== undefined;
  const one = x.simulate({ kind: "closed", concurrency: 1, requests: warm ? 2 : 1, input: { kind: "fixed", value: x.isl }, output: { kind: "fixed", value: x.osl }, ...(warm ? { prefix: { ...x.prefix!, reuse: 1 } } : {}) });
  c.simulations++;
  const r = one.requests[one.requests.length - 1];
  c.singleTtft = r.firstToken - r.arrival;
  c.singleE2e = r.finish - r.arrival;
  // Prefill seconds per request at the engine's most efficient: alone (chunked as the engine
  // would), or packed k to a step when k prompts fit the token budget (bigger GEMMs run closer
  // to peak, so a standing queue can make prefill cheaper per request than the one-request run).
  let prefill = Math.max(c.singleTtft - engine.request_overhead_ms.value / 1e3, 1e-6);
  // With a prefix cache only the uncached share of a prompt is computed (steady state, every prefix resident).
  const computed = x.isl - expectedCachedInput(x.prefix, x.isl, engine);
  const k = Math.floor(engine.max_num_batched_tokens.value / computed);
  if (k >= 2) {
    const model = buildStepModel(ir, hw, plan, "prefill", engine, eff, run.useKernelTables);
    prefill = Math.min(prefill, ((model.time(prefillBatch(k, x.isl, attentionWindows(ir))) / k) * computed) / x.isl);
  }
  c.prefillSec = prefill;
  c.boundRpsPerGpu = 1 / prefill / c.tp;
  const st: Trial = {
    ...blankTrial(c, "single", ""), rate: 0, requests: 1, ttft: c.singleTtft, ttftMean: c.singleTtft, ttftP90: c.singleTtft, ttftP99: c.singleTtft,
    e2eMean: c.singleE2e, tpotMs: ((c.singleE2e - c.singleTtft) / Math.max(1, x.osl - 1)) * 1e3, concurrency: 1, feasible: c.singleTtft <= x.budget, seconds: (Date.now() - t1) / 1e3,
  };
  if (c.singleTtft > x.budget) {
    c.reasonKind = "single";
    c.reason = `TTFT over budget even for one request: ${fmt(c.singleTtft)} s > ${x.budget} s`;
    st.reason = c.reason;
  }
  return st;
}
