/**
 * One committed table file, pre-indexed into families for fast lookups.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../core/paths";
import { Family } from "./grid";
import { OP_SPECS, categoricalColumns } from "./ops";
import type { OpSpec, Shape } from "./work";
import type { KernelLookup, KernelTableFile, KernelTableHeader } from "./types";

export class OpTable {
  readonly spec: OpSpec;
  readonly header: KernelTableHeader;
  readonly families = new Map<string, Family>();
  /** "data/kernels/... (framework version)", reported with every lookup. */
  readonly source: string;
  private readonly cats: string[];
  private readonly memo = new Map<string, KernelLookup | undefined>();

  constructor(file: KernelTableFile, location: string) {
    this.header = file.header;
    this.spec = OP_SPECS[file.header.op];
    if (!this.spec) throw new Error(`${location}: unknown op "${file.header.op}"`);
    this.source = `${location} (${file.header.framework} ${file.header.frameworkVersion})`;
    this.cats = categoricalColumns(this.spec);
    const keys = file.header.keyColumns;
    const catIdx = this.cats.map((c) => keys.indexOf(c));
    const coordIdx = this.spec.coords.map((c) => (c === file.header.axisColumn ? -1 : keys.indexOf(c)));
    const grouped = new Map<string, { cats: Shape; points: { coords: number[]; latencyMs: number }[] }>();
    for (const row of file.rows) {
      const catVals = catIdx.map((i) => row[i] as string | number);
      const k = catVals.join("|");
      let g = grouped.get(k);
      if (!g) {
        const cats: Shape = {};
        this.cats.forEach((c, i) => (cats[c] = catVals[i]));
        grouped.set(k, (g = { cats, points: [] }));
      }
      const xs = file.axes[row[keys.length] as number];
      const lats = row[keys.length + 1] as number[];
      for (let j = 0; j < xs.length; j++) {
        g.points.push({
          coords: coordIdx.map((i) => (i < 0 ? xs[j] : Number(row[i]))),
          // µs with 4 significant digits -> ms without float noise (93.93 -> 0.09393).
          latencyMs: Number((lats[j] / 1000).toPrecision(10)),
        });
      }
    }
    for (const [k, g] of grouped) this.families.set(k, new Family(this.spec, g.cats, this.spec.coords, g.points));
  }

  static load(file: string): OpTable {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as KernelTableFile;
    return new OpTable(parsed, path.relative(PROJECT_ROOT, file).split(path.sep).join("/"));
  }

  family(cats: Shape): Family | undefined {
    return this.families.get(this.cats.map((c) => String(cats[c])).join("|"));
  }

  /** Memoised lookup; `shape` holds the categorical columns and the size coordinates. */
  lookup(shape: Shape): KernelLookup | undefined {
    const key = this.cats.map((c) => shape[c]).join("|") + "#" + this.spec.coords.map((c) => shape[c]).join(",");
    if (this.memo.has(key)) return this.memo.get(key);
    const fam = this.family(shape);
    const r = fam?.lookup(this.spec.coords.map((c) => Number(shape[c])), this.header.peaks, this.source);
    if (this.memo.size > 200_000) this.memo.clear();
    this.memo.set(key, r);
    return r;
  }

  /** The categorical combinations present (what can be asked for). */
  familyKeys(): Shape[] {
    return [...this.families.values()].map((f) => f.cats);
  }
}
