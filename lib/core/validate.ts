import { z } from "zod";

/** An input error that names the field and how to fix it. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/**
 * Parse `data` with `schema`; on failure throw one InputError listing every bad field
 * (path, problem, and the schema's own description of what is expected, which says the fix).
 */
export function parseOrThrow<S extends z.ZodTypeAny>(schema: S, data: unknown, what: string): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const path = i.path.length ? i.path.join(".") : "(root)";
    return `  - ${path}: ${i.message}`;
  });
  throw new InputError(`invalid ${what}:\n${lines.join("\n")}`);
}
