/**
 * Which token-expert pairs an aiconfigurator MoE measurement actually ran, on the measured GPU
 * (EP rank 0, experts [0, E/ep)).
 *
 * aiconfigurator does not pass expert ids to the kernels: it builds router logits and lets the
 * framework's own router pick the experts (collector/helper.py `balanced_logits`,
 * `power_law_logits_v3`). Two routers occur in the data:
 *  - `topk`: plain (softmax / renormalize) top-k over all experts. The `balanced` logits then give
 *    token i the experts (i + j·s) mod E, s = ceil(E/k), j < k — every expert gets the same load.
 *  - `grouped_<G>_<g>`: DeepSeek-V3 group-limited routing (n_group G, topk_group g): a group's score
 *    is the sum of its two best experts, only the g best groups are kept, and the k experts are
 *    picked inside them. With `balanced` logits and s = E/G (DeepSeek-V3: 256/8 = 32) each token has
 *    exactly one chosen expert in every group, so all groups tie; ties resolve to the lowest index,
 *    so every token keeps groups 0..g-1, its g chosen experts there, and fills the remaining k - g
 *    slots with the lowest-index other experts of those groups. Only g/G of the experts are ever
 *    touched and EP rank 0 gets most of the work. This explains the DeepSeek-shape `balanced` rows
 *    that the plain reading puts above the HBM bandwidth (data/kernels/README.md, "MoE routing").
 *
 * Tie-breaking to the lowest index is an assumption, checked against the data: with it every
 * grouped `balanced` row is below the HBM bound, and EP 2 rows take as long as EP 1 rows (rank 0
 * holds groups 0..3, i.e. all the work) — see scripts/moe-routing-report.ts.
 */

export interface Routing {
  kind: "topk" | "grouped";
  /** Expert groups and groups kept per token (grouped routing only). */
  groups: number;
  keep: number;
}

export const PLAIN_TOPK: Routing = { kind: "topk", groups: 1, keep: 1 };

/** Table label of a routing: "topk" or "grouped_<groups>_<keep>". */
export function routingLabel(r: Routing): string {
  return r.kind === "topk" ? "topk" : `grouped_${r.groups}_${r.keep}`;
}

export function parseRouting(label: string): Routing {
  const m = /^grouped_(\d+)_(\d+)$/.exec(label);
  if (m) return { kind: "grouped", groups: Number(m[1]), keep: Number(m[2]) };
  if (label === "topk") return PLAIN_TOPK;
  throw new Error(`unknown MoE routing "${label}" (expected "topk" or "grouped_<groups>_<keep>")`);
}

/** Experts aiconfigurator's `balanced_logits` marks for token i of t (torch float arithmetic, then floor). */
export function balancedLogitExperts(i: number, t: number, experts: number, topk: number): number[] {
  const stride = Math.ceil(experts / topk);
  const out: number[] = [];
  for (let j = 0; j < topk; j++) {
    const x = t >= stride ? i + j * stride : (i * stride) / t + j * stride;
    out.push(Math.floor(x) % experts);
  }
  return out;
}

/** Indices of the `n` largest scores, ties to the lowest index. */
function topIndices(scores: number[], n: number, allowed?: (i: number) => boolean): number[] {
  const idx = scores.map((_, i) => i).filter((i) => !allowed || allowed(i));
  idx.sort((a, b) => scores[b] - scores[a] || a - b);
  return idx.slice(0, n);
}

/** The k experts the router picks for a token whose logits mark `marked` (1) over the rest (0). */
export function routeMarked(marked: number[], experts: number, topk: number, r: Routing): number[] {
  const score = new Array<number>(experts).fill(0);
  for (const e of marked) score[e] += 1;
  if (r.kind === "topk") return topIndices(score, topk);
  const size = experts / r.groups;
  const groupScore: number[] = [];
  for (let g = 0; g < r.groups; g++) {
    const inGroup = score.slice(g * size, (g + 1) * size).sort((a, b) => b - a);
    groupScore.push(inGroup[0] + (inGroup[1] ?? 0));
  }
  const kept = new Set(topIndices(groupScore, r.keep));
  return topIndices(score, topk, (e) => kept.has(Math.floor(e / size)));
}

/** Token-expert pairs and distinct experts on the measured rank. */
export interface RankLoad {
  pairs: number;
  touched: number;
}

const balancedMemo = new Map<string, RankLoad>();

/** EP rank 0's load under `balanced` logits and router `r` (exact, memoised). */
export function balancedRank0(t: number, experts: number, topk: number, ep: number, r: Routing = PLAIN_TOPK): RankLoad {
  const key = `${t},${experts},${topk},${ep},${routingLabel(r)}`;
  let out = balancedMemo.get(key);
  if (!out) {
    const local = experts / ep;
    const seen = new Set<number>();
    let pairs = 0;
    // With t ≥ stride token i marks (i + j·stride) mod E: the pattern repeats every E tokens, so the first
    // min(t, E) tokens are enumerated and each counted as often as its residue occurs in [0, t) — the same
    // sums as enumerating all t tokens, in O(E) instead of O(t).
    const periodic = t >= Math.ceil(experts / topk) && Number.isInteger(t);
    const n = periodic ? Math.min(t, experts) : t;
    const full = periodic ? Math.floor(t / experts) : 0;
    const rest = periodic ? t - full * experts : 0;
    // Tokens with the same marked experts route identically: memoise per marked set.
    const routed = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      const marked = balancedLogitExperts(i, t, experts, topk);
      const mk = marked.join(",");
      let picked = routed.get(mk);
      const distinct = new Set(marked).size === marked.length;
      if (!picked) routed.set(mk, (picked = r.kind === "topk" && distinct ? marked : routeMarked(marked, experts, topk, r)));
      const times = periodic && t > experts ? full + (i < rest ? 1 : 0) : 1;
      for (const e of picked) {
        if (e < local) {
          pairs += times;
          seen.add(e);
        }
      }
    }
    balancedMemo.set(key, (out = { pairs, touched: seen.size }));
  }
  return out;
}

/**
 * Expected load of one EP rank when each token picks k distinct experts uniformly at random:
 * pairs = t·k/ep, distinct experts = (E/ep)·(1 − (1 − k/E)^t).
 */
export function uniformRank(t: number, experts: number, topk: number, ep: number): RankLoad {
  return { pairs: (t * topk) / ep, touched: (experts / ep) * (1 - Math.pow(1 - topk / experts, t)) };
}

/**
 * aiconfigurator's TRT-LLM collector builds its min-latency (trtllm-gen) MoE with
 * `DeepseekV3Gate(n_group=8, topk_group=4)` for every shape ("FIXME: all use deepseek setting for
 * now", collector/trtllm/collect_moe.py); its other TRT-LLM rows use `RenormalizeMoeRoutingMethod`.
 */
export const TRTLLM_MIN_LATENCY_ROUTING: Routing = { kind: "grouped", groups: 8, keep: 4 };
export const TRTLLM_MIN_LATENCY_SOURCE = "moe_torch_flow_min_latency";

/**
 * The router a source row ran: TRT-LLM by kernel source (above); vLLM and SGLang run the model's
 * own router (vLLM `use_grouped_topk` for DeepSeek-V3 model types, SGLang the case file's
 * `sglang_moe_num_expert_group`/`topk_group`), i.e. grouped when the model config has n_group > 1.
 */
export function measuredRouting(framework: string, kernelSource: string, model: { groups: number; groupsKept: number }): Routing {
  if (framework === "trtllm") return kernelSource === TRTLLM_MIN_LATENCY_SOURCE ? TRTLLM_MIN_LATENCY_ROUTING : PLAIN_TOPK;
  return model.groups > 1 ? { kind: "grouped", groups: model.groups, keep: model.groupsKept } : PLAIN_TOPK;
}
