import { parseArgs } from "util";
import { InputError } from "../core/validate";

export type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean; help: string; default?: string | boolean }>;

/** Parse flags; unknown flags are an InputError naming them. */
export function parseFlags(argv: string[], spec: OptionSpec): Record<string, string | boolean | string[] | undefined> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(spec).map(([k, v]) => {
          const o: Record<string, unknown> = { type: v.type };
          if (v.short) o.short = v.short;
          if (v.multiple) o.multiple = true;
          if (v.default !== undefined) o.default = v.default;
          return [k, o];
        }),
      ) as never,
      allowPositionals: false,
      strict: true,
    });
    return values as Record<string, string | boolean | string[] | undefined>;
  } catch (e) {
    throw new InputError(`${(e as Error).message}\n${helpText(spec)}`);
  }
}

export function helpText(spec: OptionSpec): string {
  return Object.entries(spec).map(([k, v]) => `  --${k.padEnd(18)} ${v.help}${v.default !== undefined ? ` (default ${v.default})` : ""}`).join("\n");
}

export function intFlag(v: unknown, name: string, dflt?: number): number {
  if (v === undefined || v === "") {
    if (dflt === undefined) throw new InputError(`--${name} is required`);
    return dflt;
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InputError(`--${name} must be a whole number (got "${String(v)}")`);
  return n;
}

export function requireString(v: unknown, name: string): string {
  if (typeof v !== "string" || !v) throw new InputError(`--${name} is required`);
  return v;
}
