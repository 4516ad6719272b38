/**
 * Workloads: closed loop (benchmark clients at a fixed concurrency), open loop (Poisson / Gamma arrivals
 * at a rate), offline (every request submitted at t = 0, as `trtllm-bench throughput` and vLLM's offline
 * benchmark run) or a trace.
 */
import { z } from "zod";
import { Rng } from "./rng";

const posInt = (what: string) => z.number().int(`${what} must be a whole number`).min(1, `${what} must be ≥ 1`);

export const LengthDist = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("fixed"), value: posInt("length") }).strict(),
    z.object({ kind: z.literal("uniform"), min: posInt("min"), max: posInt("max") }).strict(),
    /** vLLM benchmark_serving `random` dataset: uniform integers in [⌊ratio·L⌋, L]. */
    z.object({ kind: z.literal("benchmark"), nominal: posInt("nominal length"), rangeRatio: z.number().min(0).max(1) }).strict(),
  ])
  .refine((d) => d.kind !== "uniform" || d.min <= d.max, { message: "uniform length: min must be ≤ max" });
export type LengthDist = z.infer<typeof LengthDist>;

/**
 * Shared prompt prefixes: `reuse` of the requests (spread evenly: request i carries one when
 * ⌊(i+1)·reuse⌋ > ⌊i·reuse⌋) begin with one of `groups` prefixes of `tokens` tokens — a common system
 * prompt (groups 1), or reused documents (RAG, one group per document). The prefix is part of the
 * request's input length. An engine with a prefix cache prefills only what is not cached.
 */
export const Prefix = z
  .object({
    tokens: posInt("prefix tokens"),
    reuse: z.number().min(0, "prefix reuse is a fraction 0…1").max(1, "prefix reuse is a fraction 0…1"),
    groups: posInt("prefix groups").default(1),
  })
  .strict();
export type Prefix = z.infer<typeof Prefix>;

/** The prefix request `i` (0-based, in submission order) carries: its group, or undefined. */
export function prefixOf(p: Prefix | undefined, i: number): number | undefined {
  if (!p || p.reuse <= 0) return undefined;
  const before = Math.floor(i * p.reuse);
  if (Math.floor((i + 1) * p.reuse) === before) return undefined;
  return before % p.groups;
}

/** What the generated (non-trace) load modes share: how many requests, their lengths, an optional shared prefix. */
const generated = {
  requests: posInt("requests"),
  input: LengthDist,
  output: LengthDist,
  prefix: Prefix.optional(),
};

export const Workload = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("closed"),
    concurrency: posInt("concurrency"),
    ...generated,
  }).strict(),
  z.object({
    kind: z.literal("open"),
    rate: z.number().positive("rate must be > 0 requests/s"),
    arrival: z.enum(["poisson", "gamma"]),
    /** Coefficient of variation of inter-arrival times for gamma arrivals (1 = Poisson). */
    cv: z.number().positive().default(1),
    /** Client-side cap on requests in flight (vllm bench serve --max-concurrency): later arrivals wait at the client, outside TTFT. */
    maxConcurrency: posInt("max concurrency").optional(),
    ...generated,
  }).strict(),
  z.object({
    kind: z.literal("offline"),
    ...generated,
  }).strict(),
  z.object({
    kind: z.literal("trace"),
    items: z
      .array(
        z
          .object({
            arrival: z.number().nonnegative(),
            input: posInt("input"),
            output: posInt("output"),
            /** Shared prefix: multi-turn chat resends a conversation's history (group = conversation, tokens = history length). */
            prefixGroup: z.number().int().nonnegative().optional(),
            prefixTokens: posInt("prefix tokens").optional(),
          })
          .strict()
          .refine((x) => (x.prefixGroup === undefined) === (x.prefixTokens === undefined), { message: "give prefixGroup and prefixTokens together" }),
      )
      .min(1, "a trace needs at least one request"),
  }).strict(),
]);
export type Workload = z.infer<typeof Workload>;
export type WorkloadInput = z.input<typeof Workload>;

export function drawLength(d: LengthDist, rng: Rng): number {
  switch (d.kind) {
    case "fixed":
      return d.value;
    case "uniform":
      return rng.int(d.min, d.max);
    case "benchmark":
      return rng.int(Math.max(1, Math.floor(d.rangeRatio * d.nominal)), d.nominal);
  }
  throw new Error("unreachable length distribution");
}

export function meanLength(d: LengthDist): number {
  switch (d.kind) {
    case "fixed":
      return d.value;
    case "uniform":
      return (d.min + d.max) / 2;
    case "benchmark":
      return (Math.max(1, Math.floor(d.rangeRatio * d.nominal)) + d.nominal) / 2;
  }
  throw new Error("unreachable length distribution");
}

export function maxLength(d: LengthDist): number {
  return d.kind === "fixed" ? d.value : d.kind === "uniform" ? d.max : d.nominal;
}

/** The InferenceMAX client: CONC clients, 10×CONC requests, lengths in [⌊0.8·L⌋, L]. */
export function benchmarkClosedLoop(concurrency: number, isl: number, osl: number, requestsPerClient = 10, rangeRatio = 0.8): Workload {
  return {
    kind: "closed", concurrency, requests: requestsPerClient * concurrency,
    input: { kind: "benchmark", nominal: isl, rangeRatio },
    output: { kind: "benchmark", nominal: osl, rangeRatio },
  };
}
