/**
 * balancedRank0 enumerates only one period of aiconfigurator's balanced logits: with t ≥ stride = ceil(E/k),
 * token i marks experts (i + j·stride) mod E, so tokens i and i + E route identically. The shortcut must give
 * exactly the sums of enumerating every token (the reference below), for plain and grouped routers, below,
 * at and above one period, with and without a remainder.
 */
import { describe, expect, it } from "vitest";
import { balancedLogitExperts, balancedRank0, parseRouting, routeMarked, type Routing } from "../../lib/kernels/moe-routing";

function everyToken(t: number, E: number, k: number, ep: number, r: Routing) {
  const local = E / ep;
  const seen = new Set<number>();
  let pairs = 0;
  for (let i = 0; i < t; i++) {
    const m = balancedLogitExperts(i, t, E, k);
    const picked = r.kind === "topk" && new Set(m).size === m.length ? m : routeMarked(m, E, k, r);
    for (const e of picked) if (e < local) (pairs++, seen.add(e));
  }
  return { pairs, touched: seen.size };
}

describe("balanced routing over one period", () => {
  it("equals enumerating every token (DeepSeek 256/8 grouped and plain, Mixtral-like 8/2, odd 160/6)", () => {
    for (const [E, k] of [[256, 8], [8, 2], [160, 6]])
      for (const ep of [1, 2, 8])
        for (const t of [3, 31, 32, 33, 255, 256, 257, 1000, 4097])
          for (const label of E % 8 === 0 ? ["topk", "grouped_8_4"] : ["topk"]) {
            const r = parseRouting(label);
            expect(balancedRank0(t, E, k, ep, r), `${E}/${k} ep ${ep} t ${t} ${label}`).toEqual(everyToken(t, E, k, ep, r));
          }
  });

  it("a hand case: E 8, k 2, ep 2, 20 tokens — stride 4, token i marks i mod 8 and (i + 4) mod 8, always one expert of 0..3", () => {
    // Every token has exactly one of its two experts on rank 0 (experts 0..3): 20 pairs, all 4 experts touched.
    expect(balancedRank0(20, 8, 2, 2)).toEqual({ pairs: 20, touched: 4 });
  });
});
