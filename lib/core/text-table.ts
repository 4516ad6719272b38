/** One plain-text table renderer for the CLI, the audit and notebooks: padded columns, a rule under the header. */

/** Lines of a text table; columns listed in `left` are left-aligned, the rest right-aligned (numbers). */
export function textTable(header: string[], rows: string[][], left: number[] = [0]): string[] {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (left.includes(i) ? (c ?? "").padEnd(w[i]) : (c ?? "").padStart(w[i]))).join("  ").trimEnd();
  return [line(header), w.map((x) => "-".repeat(x)).join("  "), ...rows.map(line)];
}
