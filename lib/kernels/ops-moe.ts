/**
 * MoE work model: one gated MoE layer (gate+up and down projections of the routed experts) on the
 * measured GPU, i.e. EP rank 0 with experts [0, E/ep) and 1/tp of every expert's intermediate size.
 * `tokens` is every token entering the layer on that GPU (with EP, the whole EP group's batch; the
 * rank computes only the pairs routed to its experts). See moe-routing.ts for which pairs that is.
 */
import { balancedRank0, parseRouting, type RankLoad, uniformRank } from "./moe-routing";
import { ACT_BYTES, type ComputeClass, num, type Shape, type Work, workOp } from "./work";

/** Weight bytes per element and tensor-core rate of each MoE dtype. */
export const MOE_DTYPES: Record<string, { w: number; compute: ComputeClass }> = {
  bf16: { w: 2, compute: "bf16" },
  fp8: { w: 1, compute: "fp8" },
  // 128×128 fp32 block scales add 4/16384 bytes per weight: negligible, left out of the bound.
  fp8_block: { w: 1, compute: "fp8" },
  // 4-bit values plus one fp8 scale per 16 elements.
  nvfp4: { w: 0.5625, compute: "fp4" },
  // MXFP4 weights (one e8m0 scale per 32) with bf16 activations: dequantised to bf16 math.
  w4a16_mxfp4: { w: 0.53125, compute: "bf16" },
  // MXFP4 weights with MXFP8 activations run at the fp8 rate on Blackwell.
  w4a8_mxfp4_mxfp8: { w: 0.53125, compute: "fp8" },
  // int4 weights with one bf16 scale per 128 (TRT-LLM's default group; a group of 32 adds 0.05 B).
  int4_wo: { w: 0.515625, compute: "bf16" },
};

/** FLOPs per token-expert pair per hidden×inter element: gate, up and down projections, 2 FLOPs/MAC. */
const GATED_FLOPS_PER_ELEMENT = 6;
/** Weight matrices per expert: gate, up, down. */
const GATED_MATRICES = 3;

/** Work of rank 0 given its pairs and distinct experts. */
export function moeWorkFromLoad(s: Shape, load: RankLoad): Work {
  const t = num(s, "tokens"), H = num(s, "hidden"), I = num(s, "inter"), tp = num(s, "tp");
  const d = MOE_DTYPES[String(s.dtype)] ?? MOE_DTYPES.bf16;
  return {
    flops: load.pairs * GATED_FLOPS_PER_ELEMENT * H * (I / tp),
    // Every touched local expert's weights read once; the tokens read in and written out once.
    bytes: load.touched * GATED_MATRICES * H * (I / tp) * d.w + t * H * ACT_BYTES * 2,
    compute: d.compute,
  };
}

/**
 * Rank 0's load for a row: exact for `balanced` (the router's choice is deterministic, see
 * moe-routing.ts), the uniform-routing expectation for `uniform` and, as an approximation, for the
 * power-law rows (aiconfigurator's power law puts the most loaded rank at rank 0, so this
 * understates their load; it only scales utilisation and extrapolation).
 */
export function moeLoad(s: Shape): RankLoad {
  const t = num(s, "tokens"), k = num(s, "topk"), E = num(s, "experts"), ep = num(s, "ep");
  if (String(s.distribution) === "balanced") return balancedRank0(t, E, k, ep, parseRouting(String(s.routing ?? "topk")));
  return uniformRank(t, E, k, ep);
}

export function moeWork(s: Shape): Work {
  return moeWorkFromLoad(s, moeLoad(s));
}

/**
 * Lower bound of the measured call's work, for the data-error rule. `balanced` rows: the exact
 * load. Power-law rows: which experts are hit is random; rank 0 has at least the average pairs
 * (aiconfigurator swaps the most loaded rank to rank 0) and, since an expert takes at most `tokens`
 * pairs, at least pairs/tokens distinct experts.
 */
export function moeWorkLowerBound(s: Shape): Work {
  if (String(s.distribution) === "balanced") return moeWork(s);
  const t = num(s, "tokens"), k = num(s, "topk"), ep = num(s, "ep");
  const pairs = (t * k) / ep;
  return moeWorkFromLoad(s, { pairs, touched: Math.ceil(pairs / t) });
}

export const MOE_KEYS = ["dtype", "hidden", "inter", "topk", "experts", "tp", "ep", "distribution", "routing"];

export const MOE_SPEC = workOp("moe", MOE_KEYS, "tokens", ["tokens"], moeWork, moeWorkLowerBound);
