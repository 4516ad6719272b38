/**
 * Interpolation over one family of measured points (rows with identical categorical columns).
 *
 * The family is a dense grid over its size coordinates (the distinct measured values of each),
 * holding log(latency) with NaN where a combination was not measured. A query is answered by
 * multilinear interpolation of log latency in log coordinates between the bracketing grid values
 * (power laws such as latency ∝ m^a are straight lines there). Outside the measured range a
 * coordinate is clamped to the nearest measured value and the latency there is scaled by the
 * roofline-time ratio: utilisation is held, so latency grows with FLOPs for compute-bound shapes
 * and with bytes for memory-bound ones. A bracketing corner that was not measured is filled from
 * the nearest measured grid point the same way (and the answer is marked extrapolated).
 */
import type { OpSpec, Shape } from "./work";
import type { KernelLookup, LookupPoint, Peaks } from "./types";

interface Bracket {
  lo: number;
  hi: number;
  /** Weight of `hi` in log space (0 when lo === hi). */
  t: number;
}

export class Family {
  readonly axes: number[][];
  private readonly logAxes: number[][];
  private readonly strides: number[];
  /** log(latency ms) per grid cell; NaN where not measured. */
  readonly cells: Float64Array;
  /** Latency ms per grid cell as stored, so a measured point is returned bit for bit. */
  private readonly raw: Float64Array;
  private present?: Int32Array;
  private readonly fillMemo = new Map<number, number>();

  constructor(
    readonly spec: OpSpec,
    /** Categorical column values shared by every point of the family. */
    readonly cats: Shape,
    readonly coordNames: string[],
    points: { coords: number[]; latencyMs: number }[],
  ) {
    this.axes = coordNames.map((_, d) => [...new Set(points.map((p) => p.coords[d]))].sort((a, b) => a - b));
    this.logAxes = this.axes.map((a) => a.map(Math.log));
    this.strides = [];
    let size = 1;
    for (let d = coordNames.length - 1; d >= 0; d--) {
      this.strides[d] = size;
      size *= this.axes[d].length;
    }
    this.cells = new Float64Array(size).fill(NaN);
    this.raw = new Float64Array(size).fill(NaN);
    const pos = this.axes.map((a) => new Map(a.map((v, i) => [v, i])));
    for (const p of points) {
      let idx = 0;
      for (let d = 0; d < p.coords.length; d++) idx += pos[d].get(p.coords[d])! * this.strides[d];
      this.cells[idx] = Math.log(p.latencyMs);
      this.raw[idx] = p.latencyMs;
    }
  }

  get size(): number {
    return this.cells.length;
  }

  /** The measured latency (ms) of a grid cell, undefined where none was measured. */
  measured(cell: number): number | undefined {
    const v = this.raw[cell];
    return Number.isNaN(v) ? undefined : v;
  }

  /** The measured latency (ms) at exact grid coordinates, if any. */
  measuredAt(coords: number[]): number | undefined {
    let cell = 0;
    for (let d = 0; d < coords.length; d++) {
      const i = this.axes[d].indexOf(coords[d]);
      if (i < 0) return undefined;
      cell += i * this.strides[d];
    }
    return this.measured(cell);
  }

  /** Per-coordinate grid indices of a cell. */
  indicesOf(cell: number): number[] {
    return this.strides.map((s, d) => Math.floor(cell / s) % this.axes[d].length);
  }

  /** Full shape (categorical and size columns) of a grid cell, or of explicit coordinates. */
  shapeOf(cellOrCoords: number | number[]): Shape {
    const coords =
      typeof cellOrCoords === "number" ? this.indicesOf(cellOrCoords).map((i, d) => this.axes[d][i]) : cellOrCoords;
    const s: Shape = { ...this.cats };
    this.coordNames.forEach((c, d) => (s[c] = coords[d]));
    return s;
  }

  private presentCells(): Int32Array {
    if (!this.present) {
      const xs: number[] = [];
      for (let i = 0; i < this.cells.length; i++) if (!Number.isNaN(this.cells[i])) xs.push(i);
      this.present = Int32Array.from(xs);
    }
    return this.present;
  }

  /** Nearest measured cell to `cell` in log-coordinate distance (ties: lowest index), skipping `exclude`. */
  private nearestMeasured(cell: number, exclude: number): number {
    if (exclude < 0) {
      const m = this.fillMemo.get(cell);
      if (m !== undefined) return m;
    }
    const ci = this.indicesOf(cell);
    let best = -1, bestD = Infinity;
    for (const p of this.presentCells()) {
      if (p === exclude) continue;
      let dist = 0;
      for (let d = 0; d < ci.length; d++) {
        const pi = Math.floor(p / this.strides[d]) % this.axes[d].length;
        const diff = this.logAxes[d][ci[d]] - this.logAxes[d][pi];
        dist += diff * diff;
      }
      if (dist < bestD) {
        bestD = dist;
        best = p;
      }
    }
    if (exclude < 0) this.fillMemo.set(cell, best);
    return best;
  }

  /** Bracket `x` on axis `d`; clamps outside the range. */
  bracket(d: number, x: number): { b: Bracket; clamped: number; reach: number } {
    const a = this.axes[d];
    const n = a.length;
    if (x <= a[0]) return { b: { lo: 0, hi: 0, t: 0 }, clamped: a[0], reach: Math.log2(a[0] / x) };
    if (x >= a[n - 1]) return { b: { lo: n - 1, hi: n - 1, t: 0 }, clamped: a[n - 1], reach: Math.log2(x / a[n - 1]) };
    let lo = 0, hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (a[mid] <= x) lo = mid;
      else hi = mid;
    }
    if (a[lo] === x) return { b: { lo, hi: lo, t: 0 }, clamped: x, reach: 0 };
    const la = this.logAxes[d];
    const t = (Math.log(x) - la[lo]) / (la[hi] - la[lo]);
    return { b: { lo, hi, t }, clamped: x, reach: Math.min(Math.log2(x / a[lo]), Math.log2(a[hi] / x)) };
  }

  /**
   * Multilinear log-space blend over the bracket corners. Unmeasured (or excluded) corners are
   * filled from the nearest measured cell, scaled by the roofline-time ratio.
   */
  blend(
    brackets: Bracket[],
    peaks: Peaks,
    exclude = -1,
  ): { logLat: number; used: { cell: number; weight: number }[]; filled: boolean; fillReach: number } {
    const dims = brackets.length;
    let logLat = 0, filled = false, fillReach = 0;
    const used: { cell: number; weight: number }[] = [];
    for (let mask = 0; mask < 1 << dims; mask++) {
      let w = 1, cell = 0, skip = false;
      for (let d = 0; d < dims; d++) {
        const b = brackets[d];
        const up = (mask >> d) & 1;
        if (up && b.hi === b.lo) {
          skip = true;
          break;
        }
        w *= up ? b.t : 1 - b.t;
        cell += (up ? b.hi : b.lo) * this.strides[d];
      }
      if (skip || w === 0) continue;
      let v = cell === exclude ? NaN : this.cells[cell];
      let src = cell;
      if (Number.isNaN(v)) {
        src = this.nearestMeasured(cell, exclude);
        if (src < 0) return { logLat: NaN, used, filled: true, fillReach: Infinity };
        v =
          this.cells[src] +
          Math.log(this.spec.seconds(this.shapeOf(cell), peaks) / this.spec.seconds(this.shapeOf(src), peaks));
        filled = true;
        const a = this.indicesOf(cell), b = this.indicesOf(src);
        for (let d = 0; d < dims; d++) {
          fillReach = Math.max(fillReach, Math.abs(Math.log2(this.axes[d][a[d]] / this.axes[d][b[d]])));
        }
      }
      logLat += w * v;
      used.push({ cell: src, weight: w });
    }
    return { logLat, used, filled, fillReach };
  }

  private cellOf(indices: number[]): number {
    return indices.reduce((c, i, d) => c + i * this.strides[d], 0);
  }

  /**
   * Latency factor from measured coordinates `from` to `target` outside the grid. Above the range
   * utilisation is held (roofline-time ratio). Below it the measured trend near the edge is followed
   * instead — latency ∝ size^β with β the log-log slope between the two lowest grid values — bounded
   * by the roofline's own slope (β ∈ [0, roofline]), because small shapes are launch- and
   * fixed-cost-bound and stop speeding up long before their roofline time reaches zero.
   */
  private extrapolation(
    target: number[],
    from: number[],
    peaks: Peaks,
    trend: (d: number) => { x0: number; x1: number; l0: number; l1: number } | undefined,
  ): number {
    let factor = 1;
    for (let d = 0; d < target.length; d++) {
      if (!(target[d] < from[d])) continue;
      const lower = [...from];
      lower[d] = target[d];
      const roof = this.spec.seconds(this.shapeOf(lower), peaks) / this.spec.seconds(this.shapeOf(from), peaks);
      const t = trend(d);
      if (!t) {
        factor *= roof;
        continue;
      }
      const steps = Math.log(target[d] / from[d]);
      const roofSlope = Math.log(roof) / steps;
      const slope = Math.min(Math.max((t.l1 - t.l0) / Math.log(t.x1 / t.x0), 0), roofSlope);
      factor *= Math.exp(slope * steps);
    }
    return factor * (this.spec.seconds(this.shapeOf(target.map((x, d) => (x > from[d] ? x : from[d]))), peaks) / this.spec.seconds(this.shapeOf(from), peaks));
  }

  /** Predict the latency at `coords` (same order as coordNames). */
  lookup(coords: number[], peaks: Peaks, source: string): KernelLookup | undefined {
    const brackets: Bracket[] = [];
    const clamped: number[] = [];
    let reach = 0, outside = false;
    for (let d = 0; d < coords.length; d++) {
      const x = coords[d];
      if (!(x > 0)) return undefined;
      const r = this.bracket(d, x);
      brackets.push(r.b);
      clamped.push(r.clamped);
      reach = Math.max(reach, r.reach);
      if (r.clamped !== x) outside = true;
    }
    const r = this.blend(brackets, peaks);
    if (!Number.isFinite(r.logLat)) return undefined;
    const shape = this.shapeOf(coords);
    const exact = !outside && !r.filled && r.used.length === 1;
    let latencyMs = exact ? this.raw[r.used[0].cell] : Math.exp(r.logLat);
    if (outside) {
      const edge = brackets.map((b) => b.lo);
      latencyMs *= this.extrapolation(coords, clamped, peaks, (d) => {
        // The measured trend between the lowest two grid values of axis d, other coordinates as clamped.
        if (this.axes[d].length < 2) return undefined;
        const hi = brackets.map((b) => ({ ...b }));
        hi[d] = { lo: 1, hi: 1, t: 0 };
        const l1 = this.blend(hi, peaks).logLat, l0 = this.blend(brackets, peaks).logLat;
        return Number.isFinite(l1) && Number.isFinite(l0) && edge[d] === 0 ? { x0: this.axes[d][0], x1: this.axes[d][1], l0, l1 } : undefined;
      });
    }
    const points: LookupPoint[] = r.used.map((u) => ({ shape: this.shapeOf(u.cell), latencyMs: this.raw[u.cell] }));
    return {
      latencyMs,
      utilisation: this.spec.utilisation(shape, peaks, latencyMs),
      points,
      extrapolated: outside || r.filled,
      reach: Math.max(reach, r.fillReach),
      source,
    };
  }

  /**
   * Leave-one-out: hide each measured cell and predict it from its neighbours along each size
   * coordinate in turn (the other coordinates exact), with the same blend; at the ends of an axis
   * this is the hold-utilisation extrapolation. Returns absolute % errors.
   */
  leaveOneOut(peaks: Peaks): { errorPct: number; interior: boolean }[] {
    const out: { errorPct: number; interior: boolean }[] = [];
    for (const cell of this.presentCells()) {
      const ci = this.indicesOf(cell);
      const actual = this.raw[cell];
      for (let d = 0; d < ci.length; d++) {
        const n = this.axes[d].length;
        if (n < 2) continue;
        const brackets: Bracket[] = ci.map((i) => ({ lo: i, hi: i, t: 0 }));
        const i = ci[d];
        let interior = false, neighbour = i;
        if (i > 0 && i < n - 1) {
          const la = this.logAxes[d];
          brackets[d] = { lo: i - 1, hi: i + 1, t: (la[i] - la[i - 1]) / (la[i + 1] - la[i - 1]) };
          interior = true;
        } else {
          neighbour = i === 0 ? 1 : n - 2;
          brackets[d] = { lo: neighbour, hi: neighbour, t: 0 };
        }
        const r = this.blend(brackets, peaks, cell);
        if (!Number.isFinite(r.logLat)) continue;
        let pred = Math.exp(r.logLat);
        if (!interior) {
          const at = ci.map((k, dd) => this.axes[dd][k]);
          const from = [...at];
          from[d] = this.axes[d][neighbour];
          pred *= this.extrapolation(at, from, peaks, () => {
            // Below the range (only axis d is off the grid): the trend from the neighbour one step up.
            if (neighbour + 1 >= n) return undefined;
            const c0 = this.cellOf(ci.map((k, x) => (x === d ? neighbour : k)));
            const c1 = this.cellOf(ci.map((k, x) => (x === d ? neighbour + 1 : k)));
            if (Number.isNaN(this.cells[c0]) || Number.isNaN(this.cells[c1])) return undefined;
            return { x0: this.axes[d][neighbour], x1: this.axes[d][neighbour + 1], l0: this.cells[c0], l1: this.cells[c1] };
          });
        }
        if (!Number.isFinite(pred)) continue;
        out.push({ errorPct: (Math.abs(pred - actual) / actual) * 100, interior });
      }
    }
    return out;
  }
}
