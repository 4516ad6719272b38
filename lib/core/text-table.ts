/** One plain-text table renderer for the CLI, the audit, run comparison and notebooks' text output. */

/**
 * Lines of a text table: padded columns two spaces apart, a rule under the header. Columns in `left`
 * are left-aligned (text), the others right-aligned (numbers); columns in `free` are not padded (a
 * long last column such as a reason).
 */
export function textTable(header: string[], rows: string[][], left: number[] = [0], free: number[] = []): string[] {
  const w = header.map((h, i) => (free.includes(i) ? Math.min(h.length, 6) : Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length))));
  const cell = (c: string, i: number) => (free.includes(i) ? c ?? "" : left.includes(i) ? (c ?? "").padEnd(w[i]) : (c ?? "").padStart(w[i]));
  const line = (r: string[]) => r.map(cell).join("  ").trimEnd();
  return [line(header), w.map((x) => "-".repeat(x)).join("  "), ...rows.map(line)];
}
