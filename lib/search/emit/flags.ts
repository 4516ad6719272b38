/**
 * The engines' argument definitions a launch config is checked against (data/engines/flags/*.json,
 * each flag with the source file and version it was read from), and the checks: every option a
 * command line passes is defined, its value has the defined type and is one of the choices; every
 * key of an engine YAML is a defined field.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { DATA_DIR } from "../../core/paths";
import { InputError, parseOrThrow } from "../../core/validate";

const FlagSpec = z
  .object({
    name: z.string(),
    aliases: z.array(z.string()).default([]),
    type: z.enum(["int", "float", "string", "flag", "choice", "json", "bool", "list"]),
    choices: z.array(z.string()).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    source: z.string(),
    note: z.string().optional(),
  })
  .strict();
export type FlagSpec = z.infer<typeof FlagSpec>;

const FlagTable = z
  .object({
    _about: z.string(),
    engine: z.string(),
    command: z.string(),
    positional: z.array(z.string()),
    sources: z.record(z.string(), z.string()),
    version: z.string(),
    image: z.object({ value: z.string(), source: z.string() }).strict().optional(),
    flags: z.array(FlagSpec),
    fields: z.array(FlagSpec).default([]),
    json_fields: z.record(z.string(), z.array(FlagSpec)).default({}),
  })
  .strict()
  .superRefine((t, ctx) => {
    for (const f of [...t.flags, ...t.fields, ...Object.values(t.json_fields).flat()]) {
      if (!t.sources[f.source]) ctx.addIssue({ code: "custom", message: `${f.name}: source "${f.source}" is not in sources` });
      if (f.type === "choice" && !f.choices?.length) ctx.addIssue({ code: "custom", message: `${f.name}: a choice needs choices` });
    }
  });
export type FlagTable = z.infer<typeof FlagTable>;

export const FLAG_ENGINES = ["vllm", "sglang", "trtllm", "dynamo"] as const;
export type EmitEngine = (typeof FLAG_ENGINES)[number];

const cache = new Map<string, FlagTable>();

export function flagTable(engine: EmitEngine): FlagTable {
  let t = cache.get(engine);
  if (!t) {
    const file = path.join(DATA_DIR, "engines", "flags", `${engine}.json`);
    t = parseOrThrow(FlagTable, JSON.parse(fs.readFileSync(file, "utf8")), `data/engines/flags/${engine}.json`);
    cache.set(engine, t);
  }
  return t;
}

/** Whether `value` is a valid value of `f` (a problem, or ""). */
export function checkValue(f: FlagSpec, value: unknown): string {
  const range = (n: number) => (f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max) ? `${f.name} = ${n} is outside [${f.min ?? "−∞"}, ${f.max ?? "∞"}]` : "";
  switch (f.type) {
    case "int": {
      const n = typeof value === "number" ? value : Number(value);
      return Number.isInteger(n) && String(value).trim() !== "" ? range(n) : `${f.name} needs a whole number (got ${JSON.stringify(value)})`;
    }
    case "float": {
      const n = typeof value === "number" ? value : Number(value);
      return Number.isFinite(n) && String(value).trim() !== "" ? range(n) : `${f.name} needs a number (got ${JSON.stringify(value)})`;
    }
    case "choice":
      return f.choices!.includes(String(value)) ? "" : `${f.name} = ${JSON.stringify(value)} is not one of ${f.choices!.join(", ")}`;
    case "bool":
      return typeof value === "boolean" ? "" : `${f.name} needs true or false (got ${JSON.stringify(value)})`;
    case "list":
      return Array.isArray(value) ? "" : `${f.name} needs a list`;
    case "flag":
      return value === undefined ? "" : `${f.name} takes no value`;
    case "string":
    case "json":
      return typeof value === "string" || typeof value === "number" ? "" : `${f.name} needs a string`;
  }
  return "";
}

/** A JSON option's object, its keys checked against the table's json_fields. */
function checkJson(t: FlagTable, f: FlagSpec, text: string): string[] {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return [`${f.name} needs JSON (got ${text})`];
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return [`${f.name} needs a JSON object`];
  const keys = t.json_fields[f.name] ?? [];
  return Object.entries(obj).map(([k, v]) => {
    const spec = keys.find((s) => s.name === k);
    return spec ? checkValue(spec, v) : `${f.name}: key "${k}" is not defined`;
  }).filter(Boolean);
}

/**
 * Check a command line (program words, then positionals and options) against an engine's table;
 * returns every problem (empty when valid). `--name=value` and `--name value` are both read.
 */
export function checkArgs(t: FlagTable, argv: string[]): string[] {
  const words = t.command.split(" ");
  const problems: string[] = [];
  if (words.some((w, i) => argv[i] !== w)) return [`the command must start with "${t.command}" (got "${argv.slice(0, words.length).join(" ")}")`];
  let positionals = 0;
  const seen = new Set<string>();
  for (let i = words.length; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-")) {
      if (positionals++ >= t.positional.length) problems.push(`unexpected argument "${a}"`);
      continue;
    }
    const [name, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const f = t.flags.find((x) => x.name === name || x.aliases.includes(name));
    if (!f) {
      problems.push(`${name} is not an option of ${t.command} (data/engines/flags/${t.engine}.json)`);
      if (inline === undefined && argv[i + 1] !== undefined && !argv[i + 1].startsWith("-")) i++; // its value, not a positional
      continue;
    }
    if (seen.has(f.name)) problems.push(`${f.name} is given twice`);
    seen.add(f.name);
    if (f.type === "flag") {
      if (inline !== undefined) problems.push(`${f.name} takes no value`);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) {
      problems.push(`${f.name} needs a value`);
      continue;
    }
    const p = checkValue(f, value);
    if (p) problems.push(p);
    if (f.type === "json") problems.push(...checkJson(t, f, value));
  }
  if (positionals < t.positional.length) problems.push(`missing ${t.positional.slice(positionals).join(", ")}`);
  return problems;
}

/** The leaves of a nested object as dotted keys (`*` in a pattern matches one key). */
export function leaves(obj: unknown, prefix = ""): [string, unknown][] {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return [[prefix, obj]];
  return Object.entries(obj).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

const matches = (pattern: string, key: string) => {
  const p = pattern.split(".");
  const k = key.split(".");
  return p.length === k.length && p.every((x, i) => x === "*" || x === k[i]);
};

/** Check a parsed YAML document's keys and values against the table's fields. */
export function checkFields(t: FlagTable, doc: unknown): string[] {
  return leaves(doc).flatMap(([key, value]) => {
    const f = t.fields.find((x) => matches(x.name, key));
    if (!f) return [`${key} is not a field of ${t.engine} (data/engines/flags/${t.engine}.json)`];
    const p = checkValue(f, value);
    return p ? [p] : [];
  });
}

/** A shell word: quoted when it holds anything but letters, digits and _./:=,@+- . */
export function shellWord(w: string): string {
  return /^[A-Za-z0-9_./:=,@+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/** Split a shell command line as the scripts here write it: words, single quotes, backslash escapes and line continuations. */
export function splitShell(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new InputError("unclosed quote in a command line");
      cur += text.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (ch === "\\" && text[i + 1] === "\n") i++;
    else if (ch === "\\" && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    }
    else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** The command of a script (its lines that are not comments or blank), split into words. */
export function scriptCommand(script: string): string[] {
  return splitShell(script.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#")).join("\n"));
}

/** A command as a script line: the program and its positionals first, then one option (and its value) per line. */
export function commandText(argv: string[]): string {
  const head = argv.findIndex((a) => a.startsWith("--"));
  const first = head < 0 ? argv.length : head;
  const parts: string[] = [argv.slice(0, first).map(shellWord).join(" ")];
  for (let i = first; i < argv.length; i++) {
    const w = shellWord(argv[i]);
    const next = argv[i + 1];
    if (argv[i].startsWith("--") && next !== undefined && !next.startsWith("--")) {
      parts.push(`${w} ${shellWord(next)}`);
      i++;
    } else parts.push(w);
  }
  return parts.join(" \\\n  ");
}
