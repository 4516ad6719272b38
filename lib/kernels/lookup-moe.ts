/**
 * MoE lookups: the measured routing of a row (moe-routing.ts) and the `uniform` routing derived
 * from the `balanced` rows.
 *
 * What a MoE table latency covers (aiconfigurator collector/*\/collect_moe.py): one MoE layer
 * forward on one GPU under CUDA-graph replay — the router's top-k over the given logits, activation
 * quantisation where the dtype needs it, the token permutation, both grouped GEMMs with the gated
 * activation, and the weighted un-permutation. No communication: with EP the GPU receives all
 * `tokens` and computes only the pairs routed to its E/ep experts.
 *
 * `uniform`: each token picks k distinct experts uniformly at random — the routing a step model
 * wants before it applies its own load imbalance. It is derived from the `balanced` rows, whose
 * routing is known exactly: every measured point is rescaled by the roofline-time ratio of the
 * uniform load (pairs and distinct experts on the rank) to the load it measured, i.e. the
 * utilisation of the measurement is held. This undoes DeepSeek's grouped-router artefact (only
 * half the experts touched) and, at small token counts, balanced routing's spreading of tokens over
 * more distinct experts than random routing touches. A converted point never drops below the
 * family's fastest measured call (launch-bound floor: with EP, uniform routing can leave rank 0 a
 * fraction of a pair, which does not make the kernel free).
 */
import { Family } from "./grid";
import { moeWork, moeWorkFromLoad } from "./ops-moe";
import { uniformRank } from "./moe-routing";
import type { OpTable } from "./table";
import type { KernelLookup, LookupPoint } from "./types";
import { num, rooflineSeconds, type Shape } from "./work";

export interface MoeQuery {
  /**
   * Tokens entering the MoE layer on the GPU (aiconfigurator's num_tokens). With EP > 1, every token
   * of the EP group (e.g. after the DP-attention all-gather or the dispatch); the GPU computes the
   * pairs that land on its experts/ep experts. With ep = 1, the tokens of this GPU's batch.
   */
  tokens: number;
  hidden: number;
  /** The expert's intermediate size (moe_intermediate_size), before TP. */
  inter: number;
  topk: number;
  /** Routed experts of the layer (shared experts are dense GEMMs, not in these tables). */
  experts: number;
  /** MoE tensor parallelism: each expert's intermediate size is split tp ways. */
  tp: number;
  /** Expert parallelism: the GPU holds experts/ep experts. */
  ep: number;
  /** e.g. bf16, fp8, fp8_block, nvfp4, w4a16_mxfp4, w4a8_mxfp4_mxfp8, int4_wo. */
  dtype: string;
  /**
   * Routing of the answer: `uniform` (default: derived from the balanced rows), or a measured one:
   * `balanced`, `power_law_1.01`, `power_law_1.2` (aiconfigurator's synthetic skew with the most
   * loaded rank measured).
   */
  distribution?: string;
  /**
   * Router of the measurement: `topk` or `grouped_8_4` (DeepSeek-V3's group-limited router).
   * Default: any; for `uniform` the fastest after conversion (the kernel a tuned engine would pick).
   */
  routing?: string;
}

export const MOE_DEFAULT_DISTRIBUTION = "uniform";
const ROUTINGS = ["topk", "grouped_8_4"];

function baseShape(q: MoeQuery, dtype: string): Shape {
  return { dtype, hidden: q.hidden, inter: q.inter, topk: q.topk, experts: q.experts, tp: q.tp, ep: q.ep };
}

/** Seconds of the uniform load over the seconds of the load a `balanced` row measured. */
function uniformFactor(balanced: Shape, peaks: Parameters<typeof rooflineSeconds>[1]): number {
  const t = num(balanced, "tokens"), E = num(balanced, "experts"), k = num(balanced, "topk"), ep = num(balanced, "ep");
  const uniform = moeWorkFromLoad(balanced, uniformRank(t, E, k, ep));
  return rooflineSeconds(uniform, peaks) / rooflineSeconds(moeWork(balanced), peaks);
}

const derived = new WeakMap<Family, Family>();

/** The `uniform` family derived from a `balanced` one (memoised per source family). */
export function uniformFamily(balanced: Family, table: OpTable): Family {
  let f = derived.get(balanced);
  if (!f) {
    const peaks = table.header.peaks;
    const measured: { cell: number; lat: number }[] = [];
    for (let cell = 0; cell < balanced.size; cell++) {
      const lat = balanced.measured(cell);
      if (lat !== undefined) measured.push({ cell, lat });
    }
    // Less work does not make a call faster than the family's fastest measured call: at a few tokens
    // the kernel is launch-bound, and uniform routing can leave rank 0 a fraction of a pair.
    const floor = Math.min(...measured.map((m) => m.lat));
    const points = measured.map(({ cell, lat }) => ({
      coords: balanced.indicesOf(cell).map((i, d) => balanced.axes[d][i]),
      latencyMs: Math.max(lat * uniformFactor(balanced.shapeOf(cell), peaks), floor),
    }));
    f = new Family(balanced.spec, { ...balanced.cats, distribution: MOE_DEFAULT_DISTRIBUTION }, balanced.coordNames, points);
    derived.set(balanced, f);
  }
  return f;
}

function withCaveat(r: KernelLookup, table: OpTable, dtype: string): KernelLookup {
  const c = table.header.caveats?.[dtype] ?? table.header.caveats?.["*"];
  return c ? { ...r, caveat: c } : r;
}

function uniformLookup(table: OpTable, q: MoeQuery, dtype: string, routings: string[]): KernelLookup | undefined {
  let best: KernelLookup | undefined;
  for (const routing of routings) {
    const fam = table.family({ ...baseShape(q, dtype), distribution: "balanced", routing });
    if (!fam) continue;
    const r = uniformFamily(fam, table).lookup([q.tokens], table.header.peaks, table.source);
    if (!r || (best && best.latencyMs <= r.latencyMs)) continue;
    // Report the measured balanced points the answer was derived from.
    const points: LookupPoint[] = r.points.map((p) => {
      const lat = fam.measuredAt([Number(p.shape.tokens)]);
      return { shape: { ...p.shape, distribution: "balanced" }, latencyMs: lat ?? p.latencyMs };
    });
    // The factor at the requested tokens: at a measured point the roofline ratio the derived family applied
    // (its balanced routing already enumerated); between points the answer over the balanced rows' own
    // interpolation — enumerating balanced routing at an arbitrary token count costs O(tokens) per lookup.
    const atPoint = fam.measuredAt([q.tokens]) !== undefined;
    const measured = atPoint ? undefined : fam.lookup([q.tokens], table.header.peaks, table.source);
    const factor = measured && measured.latencyMs > 0 ? r.latencyMs / measured.latencyMs : uniformFactor({ ...baseShape(q, dtype), distribution: "balanced", routing, tokens: q.tokens }, table.header.peaks);
    best = {
      ...r,
      points,
      adjustment: {
        factor,
        reason:
          `uniform routing from the ${routing} balanced rows: each measured point scaled by the roofline time of ` +
          "uniform routing (tokens·k/ep pairs, E/ep·(1−(1−k/E)^tokens) distinct experts) over that of the routing " +
          "it measured (lib/kernels/moe-routing.ts); factor shown at the requested tokens (between measured points: the answer over the balanced rows' own interpolation)",
      },
    };
  }
  return best;
}

/** The MoE lookup behind `KernelTables.moe`. */
export function moeLookup(table: OpTable, q: MoeQuery, dtype: string): KernelLookup | undefined {
  const distribution = q.distribution ?? MOE_DEFAULT_DISTRIBUTION;
  const routings = q.routing ? [q.routing] : ROUTINGS;
  let r: KernelLookup | undefined;
  if (distribution === MOE_DEFAULT_DISTRIBUTION) r = uniformLookup(table, q, dtype, routings);
  else {
    for (const routing of routings) {
      r = table.lookup({ ...baseShape(q, dtype), distribution, routing, tokens: q.tokens });
      if (r) break;
    }
  }
  return r && withCaveat(r, table, dtype);
}
