/**
 * The rate search of one candidate: the largest open-loop arrival rate λ per replica that is
 * sustained — the TTFT statistic within budget and the replica keeping up with arrivals — found by
 * geometric bracketing around an analytic anchor, then bisection in log space (see search.ts).
 */
import { distribution } from "../core/stats";
import type { ParallelPlanInput } from "../parallel/plan";
import type { Request } from "../serving/request";
import type { SimulationResult } from "../serving/simulate";
import type { Prefix, WorkloadInput } from "../serving/workload";
import type { SearchSettings, TtftStat } from "./settings";
import type { Candidate, Trial } from "./types";

function slopeOf(xs: number[], ys: number[]): number {
  if (xs.length < 3) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : 0;
}

type SteadyStats = Omit<Trial, "tp" | "precision" | "gpus" | "stage" | "feasible" | "reason" | "seconds" | "rpsPerGpu"> & { span: number; trendRequests: number };

/**
 * Simulated requests → statistics over the steady part of the run.
 *  - warm-up: arrivals in the first max(warmupFraction · span, 1.5 · mean E2E) (≤ half the span) see
 *    an emptier system than steady state and are dropped;
 *  - TTFT statistics: every arrival after warm-up;
 *  - queue growth: least-squares slope of E2E and of TTFT against arrival time, over the requests
 *    after warm-up that also finished before the last arrival (a request still running after the
 *    last arrival decodes with fewer peers: its E2E would understate the load). With a service rate
 *    μ < λ, request i leaves at ≈ i/μ and arrives at ≈ i/λ, so its latency grows at λ/μ − 1 per
 *    second: achieved μ = λ / (1 + slope), with the larger of the two slopes (a backlog shows in
 *    TTFT when requests wait for admission, in E2E when the running batch grows). The number in the
 *    system, arrivals − completions, has the same slope in expectation but its Poisson fluctuations
 *    (±√L) make it an order of magnitude noisier.
 */
function steadyStats(requests: Request[], rate: number, s: SearchSettings): SteadyStats {
  const byArrival = [...requests].sort((a, b) => a.arrival - b.arrival);
  const t0 = byArrival[0].arrival;
  const tLast = byArrival[byArrival.length - 1].arrival;
  const span = tLast - t0;
  const e2eAll = byArrival.reduce((a, r) => a + (r.finish - r.arrival), 0) / byArrival.length;
  const warmup = Math.min(s.maxWarmupFraction * span, Math.max(s.warmupFraction * span, s.warmupE2E * e2eAll));
  const steady = byArrival.filter((r) => r.arrival - t0 >= warmup);
  const ttft = distribution(steady.map((r) => r.firstToken - r.arrival));
  const e2e = steady.reduce((a, r) => a + (r.finish - r.arrival), 0) / steady.length;
  const tpots = steady.filter((r) => r.output > 1).map((r) => (r.finish - r.firstToken) / (r.output - 1));
  const tpot = tpots.length ? tpots.reduce((a, b) => a + b, 0) / tpots.length : NaN;
  const trend = steady.filter((r) => r.finish <= tLast);
  const xs = trend.map((r) => r.arrival);
  const slope = Math.max(0, slopeOf(xs, trend.map((r) => r.finish - r.arrival)), slopeOf(xs, trend.map((r) => r.firstToken - r.arrival)));
  const achievedRate = rate / (1 + slope);
  return {
    rate, requests: requests.length, ttft: NaN, ttftMean: ttft.mean, ttftP90: ttft.p90, ttftP99: ttft.p99, e2eMean: e2e, tpotMs: tpot * 1e3,
    achievedRate, keepUp: achievedRate / rate, concurrency: rate * e2e, span, trendRequests: trend.length,
  };
}

export const statOf = (t: { ttftMean: number; ttftP90: number; ttftP99: number }, s: TtftStat): number => (s === "mean" ? t.ttftMean : s === "p90" ? t.ttftP90 : t.ttftP99);

export const fmt = (x: number, d = 3): string => (Number.isFinite(x) ? Number(x.toPrecision(d)).toString() : String(x));

/** What the rate search needs from the search: settings, the budget, and a way to simulate a candidate. */
export interface RateContext {
  settings: SearchSettings;
  stat: TtftStat;
  budget: number;
  isl: number;
  osl: number;
  prefix?: Prefix;
  simulate(plan: ParallelPlanInput, workload: WorkloadInput): SimulationResult;
  trials: Trial[];
}

/** Search the sustained rate of a candidate that fits and meets the budget alone; fills c.rate / c.best or the reason. */
export function searchRate(c: Candidate, plan: ParallelPlanInput, x: RateContext): void {
  const s = x.settings;
  const cache = new Map<number, Trial>();
  const evaluate = (rate: number): Trial => {
    const hit = cache.get(rate);
    if (hit) return hit;
    const t1 = Date.now();
    // Arrivals over ≥ minSpanSec and ≥ minSpanE2E single-request E2Es. Under load E2E can be many
    // times the single-request one (prefill-heavy steps slow every decode): if the run turns out
    // shorter than minSpanLoadedE2E loaded E2Es, or leaves too few requests for the trend, rerun longer.
    let span = Math.max(s.minSpanSec, s.minSpanE2E * c.singleE2e);
    let st: SteadyStats | undefined;
    for (let attempt = 0; attempt < s.maxAttempts; attempt++) {
      const n = Math.min(s.maxRequests, Math.max(s.minRequests, Math.ceil(rate * span)));
      const sim = x.simulate(plan, { kind: "open", rate, arrival: "poisson", requests: n, input: { kind: "fixed", value: x.isl }, output: { kind: "fixed", value: x.osl }, ...(x.prefix ? { prefix: x.prefix } : {}) });
      c.simulations++;
      st = steadyStats(sim.requests, rate, s);
      const wanted = s.minSpanLoadedE2E * st.e2eMean;
      if ((st.span >= wanted && st.trendRequests >= s.minTrendFraction * n) || n >= s.maxRequests) break;
      // Over budget already: a longer run only adds queueing (and drops less warm-up), never less.
      if (!(statOf(st, x.stat) <= x.budget)) break;
      span = Math.max(wanted, 2 * span);
    }
    st = st!;
    const ttft = statOf(st, x.stat);
    const reasons: string[] = [];
    if (!(ttft <= x.budget)) reasons.push(`TTFT ${x.stat} ${fmt(ttft)} s > ${x.budget} s`);
    if (!(st.keepUp >= s.keepUp)) reasons.push(`does not keep up: achieved ${fmt(st.achievedRate)} < ${s.keepUp}·λ (queue grows)`);
    const t: Trial = {
      tp: c.tp, precision: c.precision, gpus: c.gpus, stage: "rate", rate, requests: st.requests, ttft, ttftMean: st.ttftMean, ttftP90: st.ttftP90, ttftP99: st.ttftP99,
      e2eMean: st.e2eMean, tpotMs: st.tpotMs, achievedRate: st.achievedRate, keepUp: st.keepUp, concurrency: st.concurrency, rpsPerGpu: rate / c.gpus,
      feasible: reasons.length === 0, reason: reasons.join("; "), seconds: (Date.now() - t1) / 1e3,
    };
    cache.set(rate, t);
    x.trials.push(t);
    return t;
  };
  const bound = c.boundRpsPerGpu * c.tp; // per replica
  let lo = 0;
  let hi = 0;
  let loTrial: Trial | undefined;
  let hiTrial: Trial | undefined;
  // Anchor: a fraction of the prefill bound (long prompts: prefill dominates, so the answer is within ~2× of half of it).
  const anchor = s.anchorFraction * bound;
  const first = evaluate(anchor);
  if (first.feasible) {
    lo = anchor;
    loTrial = first;
    for (let k = 0; k < s.maxDoublings; k++) {
      const t = evaluate(lo * 2);
      if (!t.feasible) {
        hi = lo * 2;
        hiTrial = t;
        break;
      }
      lo *= 2;
      loTrial = t;
    }
  } else {
    hi = anchor;
    hiTrial = first;
    // Going down: stop when a rate is feasible, or when it is too small to matter (λ·E2E below minLoad).
    for (let r = anchor / 2; r * c.singleE2e >= s.minLoad; r /= 2) {
      const t = evaluate(r);
      if (t.feasible) {
        lo = r;
        loTrial = t;
        break;
      }
      hi = r;
      hiTrial = t;
    }
  }
  if (loTrial && hi > 0) {
    while (hi / lo > 1 + s.tolerance) {
      const mid = Math.sqrt(lo * hi);
      const t = evaluate(mid);
      if (t.feasible) {
        lo = mid;
        loTrial = t;
      } else {
        hi = mid;
        hiTrial = t;
      }
    }
  }
  if (loTrial) {
    c.status = "feasible";
    c.rate = lo;
    c.rpsPerGpu = lo / c.gpus;
    c.best = loTrial;
  } else {
    c.reasonKind = "load";
    c.reason = `over budget at every sustained rate tried down to ${fmt(hi)} req/s per replica (${hiTrial?.reason ?? ""}; one request alone: ${fmt(c.singleTtft)} s)`;
  }
}
