/**
 * Candidate generation: the worker layouts a model allows on a GPU, the aggregated and disaggregated
 * deployment layouts built from them, the load levels each is tried at, and how a candidate fills
 * the GPUs given. Pure enumeration: whether a layout fits or meets an SLO is decided in screening.
 */
import { InputError } from "../core/validate";
import type { HardwareProfile } from "../hardware/schema";
import type { ModelIR } from "../model/ir";
import { ENGINES, VARIANTS, type SearchSettings, type Variant } from "./settings";
import type { Candidate, Deployment, Layout, WorkerLayout } from "./types";

/** What the space is built from. */
export interface SpaceInput {
  ir: ModelIR;
  hw: HardwareProfile;
  gpus: number;
  engines: string[];
  precisions: string[];
  /** Speculative decoding states tried ([false], [true] or [false, true]). */
  speculative: boolean[];
  settings: SearchSettings;
}

const isMoe = (ir: ModelIR) => ir.layers.some((l) => l.moe);

/**
 * Worker layouts: each width (GPUs of a stage, within one scale-up domain and the GPUs given) × pipeline
 * stages (width · pp ≤ GPUs) × split. A dense model splits by TP only; a MoE model at width > 1 also
 * with experts by EP (attention TP) and with data-parallel attention (attention DP, experts EP): at
 * width 1 the three are the same layout.
 */
export function workerLayouts(ir: ModelIR, hw: HardwareProfile, gpus: number, s: Pick<SearchSettings, "widths" | "pipelineStages">): WorkerLayout[] {
  const domain = hw.scale_up.domain_gpus.value;
  const out: WorkerLayout[] = [];
  for (const width of s.widths) {
    if (width > domain || width > gpus) continue;
    for (const pp of s.pipelineStages) {
      if (width * pp > gpus) continue;
      const variants: Variant[] = isMoe(ir) && width > 1 ? VARIANTS : ["tp"];
      for (const variant of variants) out.push({ width, pp, variant });
    }
  }
  return out;
}

export const workerGpus = (w: WorkerLayout): number => w.width * w.pp;

/** A worker layout as text: TP4, TP4·EP4, DP4·EP4, with ·PP2 when pipelined. */
export function workerText(w: WorkerLayout): string {
  const core = w.variant === "tp" ? `TP${w.width}` : w.variant === "tp-ep" ? `TP${w.width}·EP${w.width}` : `DP${w.width}·EP${w.width}`;
  return w.pp > 1 ? `${core}·PP${w.pp}` : core;
}

const budgetText = (b: number) => (b > 0 ? `tok${b}` : "tokdef");

export function layoutId(l: Omit<Layout, "id">): string {
  const spec = l.speculative ? " mtp" : "";
  if (l.mode === "aggregated") return `${l.engine} ${l.precision} ${workerText(l.worker!)} ${budgetText(l.tokenBudget)}${spec}`;
  return `${l.engine} ${l.precision} P[${workerText(l.prefill!)}]×${l.ratio!.prefill} D[${workerText(l.decode!)}]×${l.ratio!.decode} ${budgetText(l.tokenBudget)}${spec}`;
}

const withId = (l: Omit<Layout, "id">): Layout => ({ ...l, id: layoutId(l) });

function engineChoice(name: string) {
  const e = ENGINES[name.toLowerCase()];
  if (!e) throw new InputError(`--engines: "${name}" is not one the search knows; use ${Object.keys(ENGINES).join(", ")}`);
  return e;
}

/** Aggregated layouts: engine × precision × worker layout × speculative × token budget. */
export function aggregatedLayouts(x: SpaceInput): Layout[] {
  const workers = workerLayouts(x.ir, x.hw, x.gpus, x.settings);
  const out: Layout[] = [];
  for (const name of x.engines) {
    const e = engineChoice(name);
    if (e.mode !== "aggregated") continue;
    for (const precision of x.precisions)
      for (const worker of workers)
        for (const speculative of x.speculative)
          for (const tokenBudget of x.settings.tokenBudgets) out.push(withId({ engine: e.name, profile: e.profile, mode: "aggregated", precision, speculative, tokenBudget, worker }));
  }
  return out;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Prefill:decode worker ratios in lowest terms, each count ≤ maxWorkers, whose unit fits the GPUs. */
export function ratios(maxWorkers: number, prefillGpus: number, decodeGpus: number, gpus: number): { prefill: number; decode: number }[] {
  const out: { prefill: number; decode: number }[] = [];
  for (let p = 1; p <= maxWorkers; p++)
    for (let d = 1; d <= maxWorkers; d++) if (gcd(p, d) === 1 && p * prefillGpus + d * decodeGpus <= gpus) out.push({ prefill: p, decode: d });
  return out;
}

/** The prefill and decode pool layouts of the disaggregated engines, before they are paired (screened per pool first). */
export interface PoolSpace {
  engine: string;
  profile: string;
  precision: string;
  prefill: { worker: WorkerLayout; tokenBudget: number }[];
  decode: { worker: WorkerLayout; speculative: boolean }[];
}

export function poolSpaces(x: SpaceInput): PoolSpace[] {
  const workers = workerLayouts(x.ir, x.hw, x.gpus, x.settings);
  const out: PoolSpace[] = [];
  for (const name of x.engines) {
    const e = engineChoice(name);
    if (e.mode !== "disaggregated") continue;
    for (const precision of x.precisions) {
      out.push({
        engine: e.name, profile: e.profile, precision,
        prefill: workers.flatMap((worker) => x.settings.tokenBudgets.map((tokenBudget) => ({ worker, tokenBudget }))),
        decode: workers.flatMap((worker) => x.speculative.map((speculative) => ({ worker, speculative }))),
      });
    }
  }
  return out;
}

/** Every disaggregated layout of a pool space: prefill × decode × ratio (a unit must fit the GPUs). */
export function disaggregatedLayouts(space: PoolSpace, gpus: number, maxUnitWorkers: number): Layout[] {
  const out: Layout[] = [];
  for (const p of space.prefill)
    for (const d of space.decode)
      for (const ratio of ratios(maxUnitWorkers, workerGpus(p.worker), workerGpus(d.worker), gpus))
        out.push(withId({
          engine: space.engine, profile: space.profile, mode: "disaggregated", precision: space.precision, speculative: d.speculative,
          tokenBudget: p.tokenBudget, prefill: p.worker, decode: d.worker, ratio,
        }));
  return out;
}

/** How many disaggregated layouts a pool space holds (prefill × decode × ratios), without building them. */
export function disaggregatedCount(space: PoolSpace, gpus: number, maxUnitWorkers: number): number {
  let n = 0;
  for (const p of space.prefill) for (const d of space.decode) n += ratios(maxUnitWorkers, workerGpus(p.worker), workerGpus(d.worker), gpus).length;
  return n;
}

/** GPUs of one replica (aggregated) or one unit (disaggregated). */
export function unitGpus(l: Layout): number {
  return l.mode === "aggregated" ? workerGpus(l.worker!) : l.ratio!.prefill * workerGpus(l.prefill!) + l.ratio!.decode * workerGpus(l.decode!);
}

/** Load levels of a layout: the settings' levels up to what its KV cache holds (clients per replica or per unit). */
export function loadLevels(levels: number[], capacity: number): number[] {
  return levels.filter((c) => c <= capacity);
}

/** Whole replicas (units) of the candidate on the GPUs given, each at the candidate's load. */
export function deploymentOf(c: Candidate, gpus: number): Deployment {
  const per = unitGpus(c.layout);
  const units = Math.floor(gpus / per);
  const d: Deployment = { units, gpusPerUnit: per, gpusUsed: units * per, concurrency: units * c.concurrency };
  if (c.layout.mode === "disaggregated") {
    d.prefillWorkers = units * c.layout.ratio!.prefill;
    d.decodeWorkers = units * c.layout.ratio!.decode;
  }
  return d;
}

export function candidateId(c: Candidate): string {
  return `${c.layout.id} c${c.concurrency}`;
}
