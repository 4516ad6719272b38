/**
 * Step time of one engine iteration on one model replica: Σ over ops of the op time, plus the
 * engine's host-side overhead. `time()` is the fast path the serving simulator calls per step
 * (token-dependent parts cached by token count); `breakdown()` gives every op with its time.
 */
import type { Efficiency } from "../calibration/efficiency";
import { roundLength } from "../core/round";
import { attentionOps } from "../cost/attention";
import { microBatch, windowKey } from "../cost/batch";
import { LAYER_OPS, pipelineOps, stepOps } from "../cost/layers";
import { groupLayers, type LayerGroup, type Op, type StepInput } from "../cost/op";
import type { HardwareProfile } from "../hardware/schema";
import type { ModelIR } from "../model/ir";
import type { ParallelPlan, PhasePlan } from "../parallel/plan";
import { opTime, type Bound, type KernelSource, type OpTime } from "./roofline";

export interface StepModelOptions {
  cudaGraphs: boolean;
  tables?: KernelSource;
  /** Host-side overhead per step (s) and per running sequence (s). */
  stepOverhead: number;
  perSeqOverhead: number;
  /** Host work overlapped with the GPU (overlap scheduler): a step takes max(GPU, host), else GPU + host. */
  hostOverlap: boolean;
}

export interface OpResult {
  op: Op;
  time: OpTime;
}

export interface StepBreakdown {
  ops: OpResult[];
  /** GPU time of all ops (s), host overhead (s), and their sum. */
  gpu: number;
  host: number;
  total: number;
  bottleneck: Bound;
  byBound: Record<Bound, number>;
}

export class StepModel {
  readonly groups: LayerGroup[];
  private readonly attnGroups: LayerGroup[];
  private readonly tokenGroups: LayerGroup[];
  private readonly headGroups: LayerGroup[];
  private readonly tokenCache = new Map<number, number>();
  /** Overlapped all-to-all seconds by token count (two-batch overlap). */
  private readonly a2aCache = new Map<number, number>();
  private readonly headCache = new Map<number, number>();
  /** Pure-decode attention core time per attention group, by decoding sequences (quarter units) and then by mean context. */
  private readonly attnCache: Map<number, Map<number, number>>[];
  private readonly gapUs: number;

  constructor(
    readonly ir: ModelIR,
    readonly hw: HardwareProfile,
    readonly plan: ParallelPlan,
    readonly phase: PhasePlan,
    readonly eff: Efficiency,
    readonly opts: StepModelOptions,
  ) {
    this.groups = groupLayers(ir);
    this.attnGroups = this.groups.filter((g) => g.kind === "attention");
    this.headGroups = this.groups.filter((g) => g.kind === "lm_head");
    this.tokenGroups = this.groups.filter((g) => g.kind !== "attention" && g.kind !== "lm_head");
    this.gapUs = opts.cudaGraphs ? eff.kernel_gap_graph_us.value : eff.kernel_gap_eager_us.value;
    this.attnCache = this.attnGroups.map(() => new Map());
  }

  /** Σ layers × op time; all-to-alls under two-batch overlap are added to `hidden` instead (see overlapped()). */
  private sum(ops: Op[], hidden?: { seconds: number }): number {
    let t = 0;
    for (const op of ops) {
      const x = op.layers * opTime(op, this.hw, this.eff, this.gapUs, this.opts.tables).seconds;
      if (hidden && op.comm?.a2a?.overlapped) hidden.seconds += x;
      else t += x;
    }
    return t;
  }

  /**
   * Two-batch overlap: the step runs as two micro-batches and each one's all-to-all runs while the other
   * computes, so the exposed time is max(the rest of the step, the all-to-alls) (SGLang
   * --enable-two-batch-overlap; the micro-batches' smaller kernels are not re-priced).
   */
  static overlapped(rest: number, a2a: number): number {
    return Math.max(rest, a2a);
  }

  /** Seconds for one step of this batch (fast path). */
  time(s: StepInput): number {
    return this.combine(this.gpuTime(s), this.hostTime(s.seqs));
  }

  /** A step's time from its GPU and host parts: overlapped (max) or in sequence (sum). */
  combine(gpu: number, host: number): number {
    return this.opts.hostOverlap ? Math.max(gpu, host) : gpu + host;
  }

  /** Host time per step: fixed, plus per running sequence on each DP rank's own scheduler (they run in parallel). */
  hostTime(seqs: number): number {
    return this.opts.stepOverhead + (this.opts.perSeqOverhead * seqs) / this.phase.attention.dp;
  }

  /**
   * Micro-batches of a pipelined step: min(pp, sequences) — a sequence is in one micro-batch at a time, so
   * fewer sequences than stages leave stages idle. Each sequence's token then takes pp stage passes of its
   * micro-batch: step = pp × (stage time of one micro-batch + one hand-off). pp = 1: the step itself.
   */
  microBatches(s: StepInput): number {
    const pp = this.phase.pp;
    return pp <= 1 ? 1 : Math.min(pp, Math.max(1, s.seqs));
  }

  gpuTime(s: StepInput): number {
    const pp = this.phase.pp;
    if (pp <= 1) return this.stageTime(s);
    return pp * this.stageTime(microBatch(s, this.microBatches(s)));
  }

  /** GPU time of one pipeline stage (the layers it holds) for a batch. */
  private stageTime(s: StepInput): number {
    let tok = this.tokenCache.get(s.tokens);
    let a2a = this.a2aCache.get(s.tokens) ?? 0;
    if (tok === undefined) {
      tok = 0;
      const hidden = { seconds: 0 };
      for (const g of this.tokenGroups) tok += this.sum(LAYER_OPS[g.kind](this.ir, this.plan, this.phase, g, s), hidden);
      a2a = hidden.seconds;
      this.a2aCache.set(s.tokens, a2a);
      // Attention projections and their collectives depend on tokens only; the core depends on context.
      for (const g of this.attnGroups) {
        tok += this.sum(attentionOps(this.ir, this.plan, this.phase, g, s, "projections"));
      }
      tok += this.sum(pipelineOps(this.ir, this.plan, this.phase, s));
      this.tokenCache.set(s.tokens, tok);
    }
    let head = this.headCache.get(s.logitRows);
    if (head === undefined) {
      head = 0;
      for (const g of this.headGroups) head += this.sum(LAYER_OPS[g.kind](this.ir, this.plan, this.phase, g, s));
      this.headCache.set(s.logitRows, head);
    }
    let attn = 0;
    const dp = this.phase.attention.dp;
    const dSeqs = (s.seqs - s.prefillSeqs) / dp;
    for (let gi = 0; gi < this.attnGroups.length; gi++) {
      const g = this.attnGroups[gi];
      if (s.prefillSeqs > 0) {
        attn += this.sum(attentionOps(this.ir, this.plan, this.phase, g, s, "core"));
        continue;
      }
      // Pure decode: memoised by batch and mean context (rounded to 1/256 octave, ≤ 0.14% change).
      const w = s.attention[windowKey(g.layer.attention!.window)];
      const seqKey = Math.round(dSeqs * 4);
      const ctxKey = roundLength(w ? w.kvRead / dp / Math.max(dSeqs, 1e-9) : 0);
      let byCtx = this.attnCache[gi].get(seqKey);
      if (!byCtx) this.attnCache[gi].set(seqKey, (byCtx = new Map()));
      let t = byCtx.get(ctxKey);
      if (t === undefined) {
        t = this.sum(attentionOps(this.ir, this.plan, this.phase, g, s, "core"));
        byCtx.set(ctxKey, t);
      }
      attn += t;
    }
    return a2a > 0 ? StepModel.overlapped(tok + head + attn, a2a) : tok + head + attn;
  }

  /** Every op with its time and bound (slow path, for reports). */
  breakdown(s: StepInput): StepBreakdown {
    // Pipelined: every stage's ops for one micro-batch, counted pp times (each token passes all stages).
    const pp = this.phase.pp;
    const m = this.microBatches(s);
    const ops = stepOps(this.ir, this.plan, this.phase, this.groups, microBatch(s, m)).map((op) => {
      const time = opTime(op, this.hw, this.eff, this.gapUs, this.opts.tables);
      if (pp <= 1) return { op, time };
      return { op: { ...op, layers: op.layers * pp }, time: { ...time, source: `${time.source} (pipeline: ${pp} stages × micro-batch 1/${m} of the step)` } };
    });
    // Two-batch overlap: the overlapped all-to-alls count only with the part the rest of the step does not hide.
    let rest = 0;
    let a2a = 0;
    for (const { op, time } of ops) {
      if (op.comm?.a2a?.overlapped) a2a += op.layers * time.seconds;
      else rest += op.layers * time.seconds;
    }
    if (a2a > 0) {
      const exposed = (StepModel.overlapped(rest, a2a) - rest) / a2a;
      for (const o of ops) {
        if (!o.op.comm?.a2a?.overlapped) continue;
        const t = o.time;
        o.time = { ...t, seconds: t.seconds * exposed, comm: t.comm * exposed, overhead: t.overhead * exposed, source: `${t.source} (two-batch overlap: ${(100 * (1 - exposed)).toFixed(0)}% hidden)` };
      }
    }
    const byBound: Record<Bound, number> = { compute: 0, memory: 0, communication: 0, overhead: 0 };
    let gpu = 0;
    for (const { op, time } of ops) {
      gpu += op.layers * time.seconds;
      byBound[time.bound] += op.layers * (time.seconds - time.overhead);
      byBound.overhead += op.layers * time.overhead;
    }
    const host = this.hostTime(s.seqs);
    byBound.overhead += host;
    const bottleneck = (Object.entries(byBound) as [Bound, number][]).reduce((a, b) => (b[1] > a[1] ? b : a))[0];
    return { ops, gpu, host, total: this.combine(gpu, host), bottleneck, byBound };
  }
}
