/**
 * data/models/index.json: for every shipped config.json (a byte-faithful copy), the Hugging Face id, the ids people
 * write for the same architecture (aliases), where the file was copied from (repo, path, commit or URL, date) and the
 * published parameter total with its source.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { DATA_DIR } from "../core/paths";
import { parseOrThrow } from "../core/validate";

export const MODELS_DIR = path.join(DATA_DIR, "models");
export const INDEX_FILE = path.join(MODELS_DIR, "index.json");
/** Sidecar of a shipped config: ModelOpt's hf_quant_config.json, stored as `<stem>.hf_quant_config.json`. */
export const HF_QUANT_SUFFIX = ".hf_quant_config.json";

const Source = z
  .object({
    repo: z.string().optional(),
    path: z.string().optional(),
    commit: z.string().regex(/^[0-9a-f]{40}$/).optional(),
    url: z.string().url().optional(),
    copied: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    note: z.string().optional(),
  })
  .strict()
  .refine((s) => (s.repo && s.path && s.commit) || s.url, { message: "give repo + path + commit, or url" });

const Published = z
  .object({
    total_b: z.number().positive(),
    active_b: z.number().positive().optional(),
    /** What the published total counts: the text decoder, or the decoder plus the extra modules (MTP, vision). */
    counts: z.enum(["decoder", "decoder+extra"]),
    source: z.string().min(1),
    /** Why the published total cannot be reproduced within the 0.5% rule (rounded or ambiguous figures); the
     *  parameter count of such a model is checked by hand derivation in test/model/params.test.ts instead. */
    exception: z.string().optional(),
  })
  .strict();

const Entry = z
  .object({
    id: z.string().regex(/^[^/\s]+\/[^/\s]+$/, "an org/name Hugging Face id"),
    aliases: z.array(z.string()).default([]),
    source: Source,
    hf_quant_config_source: Source.optional(),
    published: Published,
  })
  .strict();

const IndexFile = z.object({ _about: z.string(), models: z.record(Entry) }).strict();

export type CatalogEntry = z.infer<typeof Entry> & { stem: string };

let loaded: CatalogEntry[] | undefined;

/** Every shipped model, from data/models/index.json (validated). */
export function catalog(): CatalogEntry[] {
  if (!loaded) {
    const file = parseOrThrow(IndexFile, JSON.parse(fs.readFileSync(INDEX_FILE, "utf8")), "data/models/index.json");
    loaded = Object.entries(file.models).map(([stem, e]) => ({ ...e, stem }));
  }
  return loaded;
}

export function catalogEntry(stem: string): CatalogEntry | undefined {
  return catalog().find((e) => e.stem === stem);
}
