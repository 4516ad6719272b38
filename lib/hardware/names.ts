/**
 * Hardware names as vendors, benchmark tables and drivers spell them ("NVIDIA H200 SXM 141GB",
 * "B200-SXM-180GB", "AMD Instinct MI325X 256GB HBM3E", "Virtualized NVIDIA H100 80GB HBM3", "b200-trt")
 * → one profile, saying what was ignored.
 *
 * A spelling is split into a core — the chip, compacted: "h200", "mi325x", "rtxpro6000blackwellserveredition" —
 * and qualifiers: a memory size, a form factor (SXM, PCIe, NVL, OAM), and words that never tell chips apart
 * (vendor and brand, system, virtualisation, memory type, parenthesised remarks). Every id, alias and name of
 * every profile is split the same way; profiles with the same core are the candidates, and the memory size and
 * form factor choose between variants of one chip (A100 40 vs 80 GB, PCIe vs SXM, GH200 96 vs 144 GB).
 * A spelling with no candidate loses trailing words one at a time (benchmark runners suffix the chip with the
 * engine or node: "b200-trt", "mi355x-amd_0", "h200-nb").
 */
import type { HardwareProfile } from "./schema";

/** Words that name a vendor or brand line: no profile is told apart by them. */
const VENDOR_WORDS = new Set(["nvidia", "amd", "intel", "habana", "instinct", "tesla"]);
/** Words that describe how the chip is offered, not which chip it is. */
const VIRTUALISATION_WORDS = new Set(["virtualized", "virtualised", "virtual", "vgpu", "passthrough"]);
/** System and rack words ("DGX B200", "GB200 NVL72", "8x H100"): the per-GPU profile is the same. */
const SYSTEM_WORDS = new Set(["dgx", "hgx", "mgx"]);
const SYSTEM_PATTERNS = [/^nvl\d+$/, /^\d+x$/];
/** Memory technologies: every profile has one, and no two variants here differ only by it. */
const MEMORY_TYPES = new Set(["hbm", "hbm2", "hbm2e", "hbm3", "hbm3e", "gddr6", "gddr6x", "gddr7", "lpddr5x"]);
/** A memory size: "80gb", "141GB", "144G" (nvidia-smi's GH200 name), "96gib". */
const MEMORY_SIZE = /^(\d+(?:\.\d+)?)(gb|gib|g)$/;
/** Form-factor words and the form they denote (SXM2…SXM6 are board generations of one form). */
const FORM_WORDS: Record<string, string> = { sxm: "sxm", sxm2: "sxm", sxm3: "sxm", sxm4: "sxm", sxm5: "sxm", sxm6: "sxm", pcie: "pcie", nvl: "nvl", oam: "oam", superchip: "superchip" };
const PROFILE_FORM: Record<HardwareProfile["form_factor"], string> = { SXM: "sxm", PCIe: "pcie", OAM: "oam", Superchip: "superchip" };

/**
 * Scoring between variants of one chip (the higher wins). A memory size that differs by 10 % costs about as
 * much as one contradicted form-factor word, so either kind of evidence can decide.
 */
const MEMORY_WEIGHT = 10; // points per unit of |ln(stated GB / profile GB)|
const FORM_MATCH = 1; // the spelling's form factor is one of the profile's
const FORM_CONFLICT = -1; // the spelling names a form factor the profile is not
const FORM_UNSTATED = -0.5; // the profile's name carries a form word the spelling lacks (a bare "H100" is not the NVL card)
const PLAIN_NAME_DEFAULT = 0.5; // the chip's plain name is an id or alias of this variant ("H100" → h100-sxm)
/** Ties go to the board that benchmark tables mean when they leave the form out: SXM/OAM modules first. */
const FORM_PREFERENCE: HardwareProfile["form_factor"][] = ["SXM", "OAM", "Superchip", "PCIe"];
/**
 * A stated memory size within 10 % of the profile's counts as agreeing: vendors quote raw stack capacity
 * or round (B200 "192GB" chip vs 180 GB exposed; H200 "144GB" stacks vs 141 GB).
 */
const MEMORY_AGREES = 0.1;
/** How many nearest names an unknown spelling lists. */
export const NEAREST_NAMES = 3;

/** A spelling split into its core and qualifiers. */
export interface ParsedName {
  /** The chip's words, in order, without qualifiers. */
  core: string[];
  memoryGb?: number;
  memoryWord?: string;
  forms: { word: string; form: string }[];
  /** Words that never distinguish chips (vendor, system, virtualisation, memory type, parenthesised remarks). */
  ignored: string[];
}

/** The legacy key: case-insensitive, spaces and underscores as '-' (what counts as an exact spelling). */
export function normaliseName(name: string): string {
  return name.trim().toLowerCase().replace(/[\s_]+/g, "-");
}

export function compact(core: string[]): string {
  return core.join("");
}

export function parseName(raw: string): ParsedName {
  const ignored: string[] = [];
  const text = raw.toLowerCase().replace(/\(([^)]*)\)/g, (m) => {
    ignored.push(m.trim());
    return " ";
  });
  const words = text.split(/[\s_\-/,;:+]+/).filter(Boolean);
  const out: ParsedName = { core: [], forms: [], ignored };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    // "80 GB" written apart joins into one memory word.
    const joined = /^\d+(\.\d+)?$/.test(w) && /^(gb|gib)$/.test(words[i + 1] ?? "") ? w + words[++i] : w;
    const size = MEMORY_SIZE.exec(joined);
    if (size && out.memoryGb === undefined) {
      out.memoryGb = Number(size[1]);
      out.memoryWord = joined;
    } else if (FORM_WORDS[joined]) out.forms.push({ word: joined, form: FORM_WORDS[joined] });
    else if (VENDOR_WORDS.has(joined) || VIRTUALISATION_WORDS.has(joined) || SYSTEM_WORDS.has(joined) || MEMORY_TYPES.has(joined) || SYSTEM_PATTERNS.some((p) => p.test(joined))) ignored.push(joined);
    else out.core.push(joined);
  }
  return out;
}

/** One spelling of a profile (its id, an alias or its name), parsed. */
interface Key {
  spelling: string;
  parsed: ParsedName;
  /** The spelling is the chip's plain name: no memory size and no form factor. */
  plain: boolean;
}

interface Entry {
  profile: HardwareProfile;
  keys: Key[];
  /** Form factors the profile is: its form_factor plus form words in its id, aliases and name. */
  forms: Set<string>;
  /** Form words written in its id, aliases or name (NVL for h100-nvl, PCIe for a100-pcie-40gb). */
  namedForms: Set<string>;
}

function entryOf(p: HardwareProfile): Entry {
  const keys = [p.id, ...p.aliases, p.name].map((spelling) => {
    const parsed = parseName(spelling);
    return { spelling, parsed, plain: parsed.memoryGb === undefined && parsed.forms.length === 0 };
  });
  const namedForms = new Set(keys.flatMap((k) => k.parsed.forms.map((f) => f.form)));
  return { profile: p, keys, forms: new Set([PROFILE_FORM[p.form_factor], ...namedForms]), namedForms };
}

function formScore(query: ParsedName, e: Entry): number {
  const stated = new Set(query.forms.map((f) => f.form));
  let s = 0;
  for (const f of stated) s += e.forms.has(f) ? FORM_MATCH : FORM_CONFLICT;
  for (const f of e.namedForms) if (!stated.has(f)) s += FORM_UNSTATED;
  return s;
}

function keyScore(query: ParsedName, e: Entry, k: Key): number {
  let s = k.plain ? PLAIN_NAME_DEFAULT : 0;
  if (query.memoryGb !== undefined) {
    const gb = k.parsed.memoryGb ?? e.profile.memory.capacity_gb.value;
    s -= MEMORY_WEIGHT * Math.abs(Math.log(query.memoryGb / gb));
  }
  return s;
}

export interface NameMatch {
  profile: HardwareProfile;
  /** The spelling is the profile's id, one of its aliases or its name (case, spaces and '_' aside). */
  exact: boolean;
  /**
   * Words of the spelling that played no part in choosing the profile: vendor, system, virtualisation and
   * memory-type words, parenthesised remarks, trailing engine/node suffixes, and a memory size or form factor
   * the chosen profile contradicts. Empty for an exact spelling.
   */
  dropped: string[];
  /** Memory size and form-factor words that agreed with the chosen profile (they chose between variants). */
  qualifiers: string[];
  /** The id, alias or name the spelling's core matched. */
  matched: string;
}

/** Resolve a spelling against profiles; undefined when no core (even with trailing words dropped) matches. */
export function matchName(raw: string, profiles: HardwareProfile[]): NameMatch | undefined {
  const key = normaliseName(raw);
  for (const p of profiles) {
    const spelled = [p.id, ...p.aliases, p.name].find((s) => normaliseName(s) === key);
    if (spelled) return { profile: p, exact: true, dropped: [], qualifiers: [], matched: spelled };
  }
  const query = parseName(raw);
  const entries = profiles.map(entryOf);
  const suffix: string[] = [];
  for (let core = [...query.core]; core.length > 0; suffix.unshift(core.pop()!)) {
    const c = compact(core);
    const candidates: { e: Entry; k: Key; score: number }[] = [];
    for (const e of entries) {
      const keys = e.keys.filter((k) => compact(k.parsed.core) === c);
      if (keys.length === 0) continue;
      const best = keys.map((k) => ({ k, score: keyScore(query, e, k) })).sort((a, b) => b.score - a.score)[0];
      candidates.push({ e, k: best.k, score: best.score + formScore(query, e) });
    }
    if (candidates.length === 0) continue;
    const rank = (x: (typeof candidates)[number]) => FORM_PREFERENCE.indexOf(x.e.profile.form_factor);
    candidates.sort((a, b) => b.score - a.score || rank(a) - rank(b) || a.e.profile.id.localeCompare(b.e.profile.id));
    return explainMatch(query, candidates[0].e, candidates[0].k, suffix);
  }
  return undefined;
}

function explainMatch(query: ParsedName, e: Entry, k: Key, suffix: string[]): NameMatch {
  const dropped = [...query.ignored, ...suffix];
  const qualifiers: string[] = [];
  if (query.memoryWord !== undefined) {
    const gb = k.parsed.memoryGb ?? e.profile.memory.capacity_gb.value;
    (Math.abs(Math.log(query.memoryGb! / gb)) <= Math.log(1 + MEMORY_AGREES) ? qualifiers : dropped).push(query.memoryWord);
  }
  for (const f of query.forms) (e.forms.has(f.form) ? qualifiers : dropped).push(f.word);
  return { profile: e.profile, exact: false, dropped, qualifiers, matched: k.spelling };
}

/** Levenshtein distance (insertions, deletions, substitutions of one character each). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The profiles whose spellings are nearest to `raw` by edit distance on the compacted core (vendor, memory
 * and form words removed on both sides; the whole lower-cased spelling when nothing is left), nearest first.
 */
export function nearestNames(raw: string, profiles: HardwareProfile[], n = NEAREST_NAMES): { id: string; spelling: string; distance: number }[] {
  const form = (s: string) => compact(parseName(s).core) || normaliseName(s);
  const q = form(raw);
  return profiles
    .map((p) => {
      const [best] = [p.id, ...p.aliases, p.name].map((s) => ({ spelling: s, distance: editDistance(q, form(s)) })).sort((a, b) => a.distance - b.distance);
      return { id: p.id, ...best };
    })
    .sort((a, b) => a.distance - b.distance || a.id.localeCompare(b.id))
    .slice(0, n);
}
