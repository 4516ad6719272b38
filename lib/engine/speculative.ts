/** Speculative decoding (e.g. DeepSeek MTP): draft k tokens, verify in one pass, keep the accepted prefix. */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { DATA_DIR } from "../core/paths";
import { InputError, parseOrThrow } from "../core/validate";
import { Fact } from "../core/explain";

const Method = z
  .object({
    draft_tokens: Fact,
    acceptance: Fact,
    draft_blocks: Fact,
    /** Per model family (ModelIR.family): the conditional acceptance of each draft position, where published. */
    models: z.record(z.string(), z.object({ acceptance_by_position: z.array(Fact).min(1) }).strict()).default({}),
  })
  .strict();
const File = z.object({ _about: z.string(), methods: z.record(z.string(), Method) });

export interface Speculative {
  method: string;
  /** Draft tokens verified per step. */
  draftTokens: number;
  /** Mean conditional acceptance per draft token (the single rate that gives the same tokens per step). */
  acceptance: number;
  /** Conditional acceptance of each draft position (given the earlier ones were accepted). */
  acceptanceByPosition?: number[];
  draftBlocks: number;
  /** Expected tokens a sequence gains per decode step: 1 + a₁ + a₁a₂ + … (constant a: (1 − a^(k+1)) / (1 − a)). */
  tokensPerStep: number;
  source: string;
}

export function expectedTokensPerStep(k: number, a: number): number {
  return a >= 1 ? k + 1 : (1 - Math.pow(a, k + 1)) / (1 - a);
}

/** 1 + a₁ + a₁·a₂ + … over the draft positions. */
export function tokensPerStepOf(rates: number[]): number {
  let p = 1;
  let sum = 1;
  for (const a of rates) sum += (p *= a);
  return sum;
}

/** Bisection steps for the equivalent constant rate: 2^-60 is below double precision. */
const BISECTION_STEPS = 60;

/** The constant per-token rate with the same expected tokens per step (the rate itself when all positions share it). */
function equivalentRate(rates: number[], tokensPerStep: number): number {
  if (rates.every((r) => r === rates[0])) return rates[0];
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < BISECTION_STEPS; i++) {
    const mid = (lo + hi) / 2;
    if (expectedTokensPerStep(rates.length, mid) < tokensPerStep) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

let cache: z.infer<typeof File> | undefined;

/**
 * The speculative method a row names, for a model family (per-position rates where data/speculative.json has
 * them) and a draft length (default: the method's).
 */
export function speculativeFor(method: string, family?: string, draftTokens?: number): Speculative {
  if (!cache) cache = parseOrThrow(File, JSON.parse(fs.readFileSync(path.join(DATA_DIR, "speculative.json"), "utf8")), "data/speculative.json");
  const m = cache.methods[method.toLowerCase()];
  if (!m) throw new InputError(`spec_decoding "${method}" is not modelled: use none or one of ${Object.keys(cache.methods).join(", ")} (data/speculative.json)`);
  const k = draftTokens ?? m.draft_tokens.value;
  if (!(Number.isInteger(k) && k >= 1)) throw new InputError(`speculative draft tokens must be a whole number ≥ 1 (got ${k})`);
  const byPos = family ? m.models[family]?.acceptance_by_position : undefined;
  // Positions past the published ones take the last published rate (marked in the source).
  const rates = Array.from({ length: k }, (_, i) => (byPos ? byPos[Math.min(i, byPos.length - 1)].value : m.acceptance.value));
  const tokensPerStep = tokensPerStepOf(rates);
  const why = byPos
    ? `per position for ${family}: ${rates.map((r, i) => `${r} (${byPos[Math.min(i, byPos.length - 1)].source}${i >= byPos.length ? "; last published position reused" : ""})`).join("; ")}`
    : `${m.acceptance.value} per draft token (${m.acceptance.source})`;
  return {
    method, draftTokens: k, acceptance: equivalentRate(rates, tokensPerStep), acceptanceByPosition: rates, draftBlocks: m.draft_blocks.value, tokensPerStep,
    source: `data/speculative.json ${method}: k=${k} (${draftTokens === undefined ? m.draft_tokens.source : "given"}); acceptance ${why}`,
  };
}
