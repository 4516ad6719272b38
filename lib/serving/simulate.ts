import type { KernelTableChoice } from "../step/estimate";
/**
 * Serving simulation: requests from a workload flow through engine replicas (aggregated, or
 * disaggregated prefill → KV transfer → decode pools); one event per engine step.
 */
import { bytesPerElement } from "../core/dtypes";
import { InputError, parseOrThrow } from "../core/validate";
import { formatLimit, LIMITS } from "../core/limits";
import type { HardwareProfile } from "../hardware/schema";
import { kvElementsPerToken, attentionWindows } from "../model/build";
import type { ModelIR } from "../model/ir";
import { memoryReport } from "../parallel/memory";
import { ParallelPlan, replicaGpus, type ParallelPlanInput } from "../parallel/plan";
import { validatePlan } from "../parallel/validate";
import type { Efficiency } from "../step/efficiency";
import { buildStepModel } from "../step/estimate";
import type { EngineProfile } from "./engine";
import { memoryPolicyOf } from "./engine";
import { Replica, type Request, type Role } from "./replica";
import { Rng } from "./rng";
import type { Speculative } from "./speculative";
import { drawLength, Workload, type WorkloadInput } from "./workload";
import { summarise, type ServingMetrics } from "../metrics/summary";

export interface PoolSpec {
  plan: ParallelPlanInput;
  /** Replicas (workers) in the pool. */
  workers: number;
  engine: EngineProfile;
}

export interface SimulationRequest {
  model: ModelIR;
  hardware: HardwareProfile;
  efficiency: Efficiency;
  workload: WorkloadInput;
  /** Aggregated serving: one pool doing prefill and decode. */
  aggregated?: PoolSpec;
  /** Disaggregated serving: separate pools. */
  disaggregated?: { prefill: PoolSpec; decode: PoolSpec };
  seed?: number;
  useKernelTables?: KernelTableChoice;
  /** Steps advanced together at most (1 = strict step-by-step). */
  maxRun?: number;
  /** Count GPUs for per-GPU throughput (default: all GPUs of all pools). */
  gpusCounted?: number;
  /** Speculative decoding (e.g. MTP), or none. */
  speculative?: Speculative;
}

export interface SimulationResult {
  metrics: ServingMetrics;
  requests: Request[];
  timeline: { t: number; running: number; decodes: number; prefillTokens: number; kvUsed: number; replica: string }[];
  steps: number;
  events: number;
  gpus: number;
  kvCapacityTokens: number[];
}

function makeReplica(req: SimulationRequest, pool: PoolSpec, role: Role, index: number, windows: (number | null)[], maxRun: number): Replica {
  const plan = parseOrThrow(ParallelPlan, pool.plan, `${role} parallelism plan`);
  const errors = validatePlan(req.model, plan).filter((v) => v.severity === "error");
  if (errors.length) throw new InputError(`invalid ${role} plan:\n${errors.map((e) => `  - ${e.phase} ${e.field}: ${e.message} (fix: ${e.fix})`).join("\n")}`);
  const phase = role === "prefill" ? "prefill" : "decode";
  const e = pool.engine;
  const mem = memoryReport(req.model, req.hardware, plan, plan[phase], memoryPolicyOf(e));
  if (mem.kvPoolPerGpu.value <= 0) {
    throw new InputError(`${role} replica does not fit: weights ${(mem.weightsPerGpu.value / 1e9).toFixed(1)} GB/GPU exceed usable ${(mem.usablePerGpu.value / 1e9).toFixed(1)} GB (raise TP/EP or use smaller dtypes)`);
  }
  const dp = plan[phase].attention.dp;
  const perTok = Math.max(mem.kvPerTokenPerGpu.value, 1e-9);
  return new Replica({
    name: `${role}${index}`,
    role,
    gpus: replicaGpus(plan[phase]),
    mixedModel: buildStepModel(req.model, req.hardware, plan, "prefill", e, req.efficiency, req.useKernelTables ?? true),
    decodeModel: buildStepModel(req.model, req.hardware, plan, "decode", e, req.efficiency, req.useKernelTables ?? true),
    tokenBudget: e.max_num_batched_tokens.value * dp,
    maxSeqs: e.max_num_seqs.value * dp,
    kvCapacityTokens: mem.kvCapacityTokens.value * dp,
    windowTokensPerSeq: mem.kvWindowPerSeqPerGpu.value / perTok,
    windows,
    maxRun,
    prefillWaitSteps: dp > 1 ? e.dp_prefill_wait_steps.value : 0,
    speculative: req.speculative && {
      draftTokens: req.speculative.draftTokens,
      tokensPerStep: req.speculative.tokensPerStep,
      // Drafting runs draftBlocks decoder blocks per proposed token: that share of a plain decode pass.
      draftFraction: (req.speculative.draftTokens * req.speculative.draftBlocks) / req.model.blocks,
    },
  });
}

/** KV bytes of a request's prompt summed over all layers (what a disaggregated hand-off moves). */
function kvTransferBytes(ir: ModelIR, plan: ParallelPlan, tokens: number): number {
  let b = 0;
  for (const l of ir.layers) {
    const a = l.attention;
    if (!a) continue;
    b += kvElementsPerToken(a) * bytesPerElement(plan.kvCache) * (a.window ? Math.min(tokens, a.window) : tokens);
  }
  return b;
}

export function simulate(req: SimulationRequest): SimulationResult {
  const wl = parseOrThrow(Workload, req.workload, "workload");
  if (!req.aggregated === !req.disaggregated) throw new InputError("give exactly one of aggregated or disaggregated pools");
  const rng = new Rng(req.seed ?? 1);
  const windows = attentionWindows(req.model);
  // Runs of identical steps stop at any event that could change the batch (see Replica.start).
  const maxRun = req.maxRun ?? 1 << 20;

  const front: Replica[] = [];
  const back: Replica[] = [];
  let transferPlan: ParallelPlan | undefined;
  if (req.aggregated) {
    for (let i = 0; i < req.aggregated.workers; i++) front.push(makeReplica(req, req.aggregated, "both", i, windows, maxRun));
  } else {
    const d = req.disaggregated!;
    for (let i = 0; i < d.prefill.workers; i++) front.push(makeReplica(req, d.prefill, "prefill", i, windows, maxRun));
    for (let i = 0; i < d.decode.workers; i++) back.push(makeReplica(req, d.decode, "decode", i, windows, maxRun));
    transferPlan = parseOrThrow(ParallelPlan, d.prefill.plan, "prefill plan");
  }
  const all = [...front, ...back];
  const gpus = req.gpusCounted ?? all.reduce((s, r) => s + r.cfg.gpus, 0);

  // Requests, drawn in order so a seed fixes every length.
  const total = wl.kind === "trace" ? wl.items.length : wl.requests;
  const maxRequests = LIMITS.simulation.max_requests;
  if (total > maxRequests.value) throw new InputError(`the workload has ${formatLimit(total)} requests, more than the simulator holds (${formatLimit(maxRequests.value)}, data/limits.json simulation.max_requests: ${maxRequests.reason}); lower the concurrency or the request count`);
  const requests: Request[] = [];
  const newRequest = (arrival: number, input: number, output: number): Request => {
    const r: Request = { id: requests.length, arrival, input, output, prefilled: 0, promptTarget: input, generated: 0, kv: 0, firstToken: -1, finish: -1, preemptions: 0, decodeArrival: arrival };
    requests.push(r);
    return r;
  };
  const plannedArrivals: { t: number; input: number; output: number }[] = [];
  if (wl.kind === "trace") for (const it of [...wl.items].sort((a, b) => a.arrival - b.arrival)) plannedArrivals.push({ t: it.arrival, input: it.input, output: it.output });
  else if (wl.kind === "open") {
    let t = 0;
    for (let i = 0; i < wl.requests; i++) {
      const gap = wl.arrival === "poisson" ? rng.exp(wl.rate) : rng.gamma(1 / (wl.cv * wl.cv), (wl.cv * wl.cv) / wl.rate);
      t += gap;
      plannedArrivals.push({ t, input: drawLength(wl.input, rng), output: drawLength(wl.output, rng) });
    }
  }
  let nextPlanned = 0;

  let rr = 0;
  const route = (pool: Replica[]): Replica => {
    // Least loaded, ties broken round-robin.
    let best = pool[rr++ % pool.length];
    for (const p of pool) if (p.load < best.load) best = p;
    return best;
  };
  // The engine sees a request after the frontend's share of latency (HTTP, tokenisation): the client's clock starts earlier.
  const frontDelay = (req.aggregated?.engine ?? req.disaggregated!.prefill.engine).request_overhead_ms.value / 1e3;
  const entering: { t: number; r: Request }[] = [];
  const submit = (r: Request) => entering.push({ t: r.arrival + frontDelay, r });

  // Hand-offs in flight to the decode pool: (time KV lands, request).
  const transfers: { t: number; r: Request }[] = [];
  const decodeBacklog: Request[] = [];
  let now = 0;
  let finished = 0;
  let events = 0;

  if (wl.kind === "closed") {
    for (let i = 0; i < Math.min(wl.concurrency, total); i++) submit(newRequest(0, drawLength(wl.input, rng), drawLength(wl.output, rng)));
  }
  const closedNext = () => {
    if (wl.kind === "closed" && requests.length < total) submit(newRequest(now, drawLength(wl.input, rng), drawLength(wl.output, rng)));
  };

  const nextExternal = (): number => {
    let t = Infinity;
    if (nextPlanned < plannedArrivals.length) t = plannedArrivals[nextPlanned].t;
    for (const x of transfers) if (x.t < t) t = x.t;
    for (const x of entering) if (x.t < t) t = x.t;
    return t;
  };

  const guard = LIMITS.simulation.max_events;
  while (finished < total) {
    if (++events > guard.value) throw new InputError(`the simulation needs more than ${formatLimit(guard.value)} events (data/limits.json simulation.max_events: ${guard.reason}); lower the concurrency, the request count or the lengths`);
    // Start every idle replica that has work.
    // A replica's run of identical steps must end by the next event anywhere: an arrival, a hand-off, or
    // another replica's step end (which can finish a closed-loop request or hand over a prompt).
    const ext = nextExternal();
    for (const rep of all) {
      if (!rep.idle) continue;
      let cut = ext;
      for (const o of all) if (o !== rep && !o.idle && o.busyUntil < cut) cut = o.busyUntil;
      rep.start(Math.max(now, rep.busyUntil), cut);
    }
    // Next event: a step end, a planned arrival or a KV hand-off.
    let tStep = Infinity;
    let who: Replica | undefined;
    for (const rep of all) if (!rep.idle && rep.busyUntil < tStep) {
      tStep = rep.busyUntil;
      who = rep;
    }
    const tExt = nextExternal();
    if (tStep === Infinity && tExt === Infinity) {
      // A stalled request may wait in a queue, sit half-prefilled, or wait for a decode slot: report the longest unfinished one.
      const stuck = all.find((r) => r.load > 0) ?? back[0];
      let big = 0;
      for (const r of requests) if (r.finish < 0) big = Math.max(big, r.promptTarget);
      throw new InputError(`requests cannot be scheduled: a prompt of ${big} tokens does not fit the KV pool (${Math.floor(stuck?.cfg.kvCapacityTokens ?? 0)} tokens); use more GPUs, an fp8 KV cache or shorter prompts`);
    }
    if (tExt <= tStep) {
      now = tExt;
      const e = entering.findIndex((x) => x.t === tExt);
      if (e >= 0) {
        route(front).enqueue(entering.splice(e, 1)[0].r);
      } else if (nextPlanned < plannedArrivals.length && plannedArrivals[nextPlanned].t === tExt) {
        const a = plannedArrivals[nextPlanned++];
        submit(newRequest(a.t, a.input, a.output));
      } else {
        const i = transfers.findIndex((x) => x.t === tExt);
        const { r } = transfers.splice(i, 1)[0];
        r.decodeArrival = now;
        decodeBacklog.push(r);
      }
    } else {
      now = tStep;
      const out = who!.complete();
      for (let i = 0; i < out.finished.length; i++) {
        finished++;
        closedNext();
      }
      for (const r of out.prefilled) {
        const bytes = kvTransferBytes(req.model, transferPlan!, r.input);
        const hw = req.hardware;
        const bw = hw.scale_up.bandwidth_gbps_unidir.value * 1e9 * req.efficiency.comm_bandwidth.value;
        transfers.push({ t: now + hw.scale_up.latency_us.value / 1e6 + bytes / bw, r });
      }
    }
    // Hand arrived KV to decode replicas that can take it.
    while (decodeBacklog.length) {
      const target = route(back);
      if (!target.admitPrefilled(decodeBacklog[0])) {
        const other = back.find((b) => b.admitPrefilled(decodeBacklog[0]));
        if (!other) break;
      }
      decodeBacklog.shift();
    }
  }

  const timeline = all.flatMap((rep) => rep.records.map((x) => ({ t: x.t, running: x.running, decodes: x.decodes, prefillTokens: x.prefillTokens, kvUsed: x.kvUsed, replica: rep.cfg.name })));
  const metrics = summarise(requests, all, gpus);
  return {
    metrics, requests, timeline, steps: all.reduce((s, r) => s + r.stepCount, 0), events, gpus,
    kvCapacityTokens: all.map((r) => r.cfg.kvCapacityTokens),
  };
}
