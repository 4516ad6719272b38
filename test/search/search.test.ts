/** A whole search on a small space, in this thread: the frontier's invariants, the SLO checks, the confidence hook, the counts. */
import { beforeAll, describe, expect, it } from "vitest";
import { pessimistic } from "../../lib/search/evaluate";
import { searchDeployments } from "../../lib/search/search";
import type { SearchRequest, SearchResult } from "../../lib/search/types";

const base: SearchRequest = {
  model: "meta-llama/Llama-3.1-8B", hardware: "h100", gpus: 2, isl: 512, osl: 128, engines: ["vllm", "dynamo"], precisions: ["fp8"],
  jobs: 1, settings: { maxSimulations: 6, concurrencies: [1, 4, 16, 64] }, slo: { tpot: 0.03 },
};

let r: SearchResult;
beforeAll(async () => {
  r = await searchDeployments(base);
}, 120_000);

describe("search", () => {
  it("returns a frontier of simulated points that meet the SLOs, none beaten on both axes", () => {
    expect(r.frontier.length).toBeGreaterThan(0);
    for (const f of r.frontier) {
      expect(r.evaluated).toContain(f);
      expect(f.meetsSlo).toBe(true);
      const beaten = r.evaluated.filter((e) => e.meetsSlo && e.throughputPerGpu > f.throughputPerGpu && e.tokPerUser > f.tokPerUser);
      expect(beaten).toEqual([]);
    }
    // In ascending tokens/s per user, descending throughput per GPU.
    for (let i = 1; i < r.frontier.length; i++) expect(r.frontier[i].tokPerUser).toBeGreaterThan(r.frontier[i - 1].tokPerUser);
  });

  it("chooses the frontier point with the most throughput per GPU, and prices it from the hardware's hourly cost", () => {
    const best = Math.max(...r.frontier.map((f) => f.throughputPerGpu));
    expect(r.chosen!.throughputPerGpu).toBe(best);
    // $2.69 per H100-hour / (tokens/s per GPU × 3600) × 1e6.
    expect(r.usdPerGpuHour).toBe(2.69);
    expect(r.chosen!.costPerMillionTokens).toBeCloseTo((2.69 / (best * 3600)) * 1e6, 9);
  });

  it("holds each point to the SLO with the share of requests that meet it", () => {
    for (const e of r.evaluated) {
      const k = e.slo.find((c) => c.slo === "tpot")!;
      expect(k.target).toBe(0.03);
      expect(k.met).toBe(e.tpot <= 0.03);
      expect(k.shareOfRequests).toBeGreaterThanOrEqual(0);
      expect(k.shareOfRequests).toBeLessThanOrEqual(1);
    }
  });

  it("counts what it screened, pruned and simulated, each prune with its reason", () => {
    expect(r.counts.simulated).toBe(r.evaluated.length);
    expect(r.counts.simulated).toBeLessThanOrEqual(6);
    expect(r.counts.screened).toBeGreaterThan(r.counts.simulated);
    for (const p of r.pruned) expect(p.reason.length).toBeGreaterThan(10);
    expect(r.prunedCounts["not-simulated"]).toBeGreaterThan(0);
    // Both modes are simulated (the selection takes turns).
    expect(new Set(r.evaluated.map((e) => e.candidate.layout.mode))).toEqual(new Set(["aggregated", "disaggregated"]));
  });

  it("explains the chosen point's neighbours, one per dimension that has one", () => {
    expect(r.neighbours.length).toBeGreaterThan(0);
    for (const n of r.neighbours) expect(n.verdict).toMatch(/throughput per GPU|SLO|not simulated/);
  });

  it("the simulated numbers agree with the screen's (it ranks what the simulator then checks)", () => {
    // Aggregated points: the steady state is within a few per cent of the simulator on throughput (README).
    for (const e of r.evaluated.filter((x) => x.candidate.layout.mode === "aggregated")) {
      expect(Math.abs(e.analytic.throughputPerGpu / e.throughputPerGpu - 1)).toBeLessThan(0.15);
    }
  });
});

describe("confidence", () => {
  it("the pessimistic end: linear between the point (P = 0.5) and p90 (P = 0.9)", () => {
    // point 1.0, p90 1.4: P 0.7 is halfway → 1.2; without a band or a confidence, the point.
    expect(pessimistic(1, { p10: 0.8, p90: 1.4 }, 0.7)).toBeCloseTo(1.2, 12);
    expect(pessimistic(1, { p10: 0.8, p90: 1.4 }, 0.9)).toBeCloseTo(1.4, 12);
    expect(pessimistic(1, undefined, 0.9)).toBe(1);
    expect(pessimistic(1, { p10: 0.8, p90: 1.4 }, undefined)).toBe(1);
    expect(() => pessimistic(1, { p10: 0.8, p90: 1.4 }, 0.95)).toThrow(/--confidence must be between 0.5 and 0.9/);
  });

  it("an interval hook widens the SLO check: a point that met its TPOT on the point prediction misses it at p90", async () => {
    const tight = r.chosen!.tpot * 1.1;
    const req: SearchRequest = { ...base, slo: { tpot: tight }, settings: { ...base.settings, maxSimulations: 2 }, confidence: 0.9 };
    const plain = await searchDeployments(req);
    const hooked = await searchDeployments({ ...req, intervalOf: (_run, p) => ({ tpot: { p10: p.tpot * 0.8, p90: p.tpot * 1.5 } }) });
    const ok = (x: SearchResult) => x.evaluated.filter((e) => e.meetsSlo).length;
    expect(ok(plain)).toBeGreaterThan(0);
    // With the hook every TPOT is held at 1.5× its point value: 1.5 × tpot ≤ 1.1 × chosen tpot fails for the chosen point.
    for (const e of hooked.evaluated) {
      const k = e.slo[0];
      expect(k.value).toBeCloseTo(k.point * 1.5, 12);
    }
    expect(ok(hooked)).toBeLessThan(ok(plain));
    expect(hooked.assumptions.find((a) => a.what === "confidence")!.value).toMatch(/pessimistic end/);
  }, 120_000);
});

describe("bad input", () => {
  it("names the field and the fix", async () => {
    await expect(searchDeployments({ ...base, gpus: 0 })).rejects.toThrow(/--gpus must be a whole number ≥ 1/);
    await expect(searchDeployments({ ...base, slo: { tpot: -1 } })).rejects.toThrow(/SLO tpot must be a number > 0/);
    await expect(searchDeployments({ ...base, precisions: ["fp3"] })).rejects.toThrow(/precision "fp3" is not understood/);
    await expect(searchDeployments({ ...base, speculative: "on" })).rejects.toThrow(/has no multi-token-prediction module/);
    await expect(searchDeployments({ ...base, isl: undefined })).rejects.toThrow(/--isl and --osl are required/);
  });
});
