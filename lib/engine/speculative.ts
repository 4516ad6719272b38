/** Speculative decoding (e.g. DeepSeek MTP): draft k tokens, verify in one pass, keep the accepted prefix. */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { DATA_DIR } from "../core/paths";
import { InputError, parseOrThrow } from "../core/validate";
import { Fact } from "../core/explain";

const Method = z.object({ draft_tokens: Fact, acceptance: Fact, draft_blocks: Fact }).strict();
const File = z.object({ _about: z.string(), methods: z.record(z.string(), Method) });

export interface Speculative {
  method: string;
  /** Draft tokens verified per step. */
  draftTokens: number;
  acceptance: number;
  draftBlocks: number;
  /** Expected tokens a sequence gains per decode step: (1 − a^(k+1)) / (1 − a). */
  tokensPerStep: number;
  source: string;
}

export function expectedTokensPerStep(k: number, a: number): number {
  return a >= 1 ? k + 1 : (1 - Math.pow(a, k + 1)) / (1 - a);
}

let cache: z.infer<typeof File> | undefined;

export function speculativeFor(method: string): Speculative {
  if (!cache) cache = parseOrThrow(File, JSON.parse(fs.readFileSync(path.join(DATA_DIR, "speculative.json"), "utf8")), "data/speculative.json");
  const m = cache.methods[method.toLowerCase()];
  if (!m) throw new InputError(`spec_decoding "${method}" is not modelled: use none or one of ${Object.keys(cache.methods).join(", ")} (data/speculative.json)`);
  const k = m.draft_tokens.value;
  const a = m.acceptance.value;
  return {
    method, draftTokens: k, acceptance: a, draftBlocks: m.draft_blocks.value, tokensPerStep: expectedTokensPerStep(k, a),
    source: `data/speculative.json ${method}: k=${k} (${m.draft_tokens.source}); acceptance ${a} (${m.acceptance.source})`,
  };
}
