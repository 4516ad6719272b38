/**
 * A candidate → the RunRequest every prediction takes (lib/run): weights and KV dtype by the same rules
 * as a benchmark row (lib/reconcile/row-precision.ts), the worker plan by row-layout's rule, the
 * engine's batch cap and token budget set as the launch config will set them, a closed loop of
 * clients as the benchmark client runs it.
 */
import type { Assumption } from "../core/explain";
import { InputError, parseOrThrow } from "../core/validate";
import { getEngine, withEngineOverrides, type EngineNumber, type EngineProfile } from "../engine/profile";
import { speculativeFor, type Speculative } from "../engine/speculative";
import type { HardwareProfile } from "../hardware/schema";
import type { ModelIR } from "../model/ir";
import type { ParallelPlanInput } from "../parallel/plan";
import { lengthOf } from "../reconcile/row-load";
import { workerPlan } from "../reconcile/row-layout";
import { kvDtypeFor, weightsFor } from "../reconcile/row-precision";
import type { RunRequest } from "../run/request";
import { meanLength, Workload, type LengthDist, type WorkloadInput } from "../serving/workload";
import { SPECULATIVE_METHOD, type SearchSettings } from "./settings";
import { candidateId } from "./space";
import type { Candidate, SearchRequest, WorkerLayout } from "./types";

/** The requests' lengths: distributions to simulate, means for the analytic screen, where they came from. */
export interface WorkloadShape {
  input: LengthDist;
  output: LengthDist;
  meanInput: number;
  meanOutput: number;
  source: string;
}

export function shapeOf(req: Pick<SearchRequest, "isl" | "osl" | "workload">, s: SearchSettings): WorkloadShape {
  if (req.workload !== undefined) {
    if (req.isl !== undefined || req.osl !== undefined) throw new InputError("give either --isl/--osl or --workload, not both");
    const wl = parseOrThrow(Workload, req.workload, "workload file");
    if (wl.kind === "trace") {
      const n = wl.items.length;
      const mi = Math.round(wl.items.reduce((a, r) => a + r.input, 0) / n);
      const mo = Math.round(wl.items.reduce((a, r) => a + r.output, 0) / n);
      return { input: { kind: "fixed", value: mi }, output: { kind: "fixed", value: mo }, meanInput: mi, meanOutput: mo, source: `trace of ${n} requests: its mean lengths (${mi} in, ${mo} out) at the searched loads` };
    }
    return { input: wl.input, output: wl.output, meanInput: meanLength(wl.input), meanOutput: meanLength(wl.output), source: `workload file (${wl.kind}): its length distributions at the searched loads` };
  }
  if (req.isl === undefined || req.osl === undefined) throw new InputError("--isl and --osl are required (or --workload FILE)");
  for (const [v, n] of [[req.isl, "isl"], [req.osl, "osl"]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new InputError(`--${n} must be a whole number ≥ 1 (got ${v})`);
  }
  const input = lengthOf(req.isl, s.lengthRangeRatio);
  const output = lengthOf(req.osl, s.lengthRangeRatio);
  return { input, output, meanInput: meanLength(input), meanOutput: meanLength(output), source: `--isl ${req.isl} --osl ${req.osl}, lengths uniform in [${s.lengthRangeRatio}·L, L]` };
}

/** What every candidate of one search shares. */
export interface RequestContext {
  model: string;
  hardware: string;
  ir: ModelIR;
  hw: HardwareProfile;
  shape: WorkloadShape;
  settings: SearchSettings;
  calibration: "auto" | "none";
  useKernelTables: boolean;
  seed: number;
}

const SETTINGS_SOURCE = "mantile search: the launch config's settings";

/** A worker's plan, by the same rule as a benchmark row's columns (TP, EP, DP-attention, PP). */
export function planOf(w: WorkerLayout, precision: string, ir: ModelIR, hw: HardwareProfile, engine: EngineProfile, a: Assumption[]): ParallelPlanInput {
  const weights = weightsFor(precision, ir, a, hw.vendor);
  const kv = kvDtypeFor("", precision, ir, engine, a);
  const cols = { pool: "", tp: w.width, ep: w.variant === "tp" ? 1 : w.width, dpAttention: w.variant === "dp-ep", pp: w.pp };
  return workerPlan(cols, weights, kv, a).plan;
}

/** Attention data-parallel ranks of a worker (what per-rank engine limits multiply by). */
export const ranksOf = (w: WorkerLayout): number => (w.variant === "dp-ep" ? w.width : 1);

/** Requests a simulation of `clients` runs: 10 per client, bounded (settings). */
export function requestsFor(clients: number, s: SearchSettings): number {
  return Math.max(s.minRequestsPerClient * clients, Math.min(s.requestsPerClient * clients, s.maxSimulatedRequests));
}

export function speculativeOf(on: boolean): Speculative | undefined {
  return on ? speculativeFor(SPECULATIVE_METHOD) : undefined;
}

/** Per-rank batch cap and token budget of a worker serving `clients`: every client admitted, a step able to hold every decode (and its drafts). */
export function limitsOf(w: WorkerLayout, clients: number, tokenBudget: number, spec: Speculative | undefined): Partial<Record<EngineNumber, number>> {
  const seqs = Math.max(1, Math.ceil(clients / ranksOf(w)));
  const out: Partial<Record<EngineNumber, number>> = { max_num_seqs: seqs };
  if (tokenBudget > 0) out.max_num_batched_tokens = Math.max(tokenBudget, seqs * (1 + (spec?.draftTokens ?? 0)));
  return out;
}

/** The run request of a candidate. */
export function runRequestOf(c: Candidate, x: RequestContext): RunRequest {
  const l = c.layout;
  const a: Assumption[] = [];
  const base = getEngine(l.profile);
  const spec = speculativeOf(l.speculative);
  const workload: WorkloadInput = { kind: "closed", concurrency: c.concurrency, requests: requestsFor(c.concurrency, x.settings), input: x.shape.input, output: x.shape.output };
  const common = {
    model: x.ir, hardware: x.hw, engine: base, workload, speculative: spec, calibration: x.calibration, useKernelTables: x.useKernelTables, seed: x.seed,
    label: candidateId(c), engineSettingsSource: SETTINGS_SOURCE,
  };
  if (l.mode === "aggregated") {
    const w = l.worker!;
    const plan = planOf(w, l.precision, x.ir, x.hw, base, a);
    return { ...common, aggregated: { plan, workers: 1 }, engineSettings: limitsOf(w, c.concurrency, l.tokenBudget, spec), assumptions: a };
  }
  // Disaggregated: each pool its own limits (a decode worker's budget must hold its whole batch).
  const r = l.ratio!;
  const decodeClients = Math.ceil(c.concurrency / r.decode);
  const decodeLimits = limitsOf(l.decode!, decodeClients, 0, spec);
  const decodeRanks = ranksOf(l.decode!);
  const decodeBudget = Math.max(base.max_num_batched_tokens.value, decodeLimits.max_num_seqs! * (1 + (spec?.draftTokens ?? 0)));
  const decodeEngine = withEngineOverrides(base, { ...decodeLimits, max_num_batched_tokens: decodeBudget }, SETTINGS_SOURCE);
  const prefillClients = Math.ceil(c.concurrency / r.prefill);
  const prefillEngine = withEngineOverrides(base, limitsOf(l.prefill!, prefillClients, l.tokenBudget, undefined), SETTINGS_SOURCE);
  a.push({ what: "decode worker limits", value: `max_num_seqs ${decodeLimits.max_num_seqs} per rank × ${decodeRanks} ranks, token budget ${decodeBudget}`, why: "every client of the unit admitted; a decode step holds its whole batch" });
  return {
    ...common,
    disaggregated: {
      prefill: { plan: planOf(l.prefill!, l.precision, x.ir, x.hw, base, a), workers: r.prefill, engine: prefillEngine },
      decode: { plan: planOf(l.decode!, l.precision, x.ir, x.hw, base, []), workers: r.decode, engine: decodeEngine },
    },
    assumptions: a,
  };
}
