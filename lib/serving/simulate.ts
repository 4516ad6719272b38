/**
 * Serving simulation: requests from a workload flow through engine replicas (aggregated, or
 * disaggregated prefill → KV transfer → decode pools); named events from one queue (./events.ts),
 * one event per engine step. The result is the raw record (requests, step timeline, inter-token
 * gaps); lib/metrics turns it into benchmark metrics.
 */
import type { Efficiency } from "../calibration/efficiency";
import { bytesPerElement } from "../core/dtypes";
import { formatLimit, LIMITS } from "../core/limits";
import { InputError, parseOrThrow } from "../core/validate";
import { memoryPolicyOf, type EngineProfile } from "../engine/profile";
import type { Speculative } from "../engine/speculative";
import type { HardwareProfile } from "../hardware/schema";
import { attentionWindows, kvElementsPerToken } from "../model/build";
import type { ModelIR } from "../model/ir";
import { memoryReport } from "../parallel/memory";
import { ParallelPlan, replicaGpus, type ParallelPlanInput } from "../parallel/plan";
import { validatePlan } from "../parallel/validate";
import { buildStepModel } from "../step/build";
import type { KernelTableChoice } from "../step/kernel-source";
import { EventQueue, type SimEvent } from "./events";
import { makePolicy } from "./policies/index";
import { Replica } from "./replica";
import type { Request, Role } from "./request";
import { Rng } from "./rng";
import { drawLength, prefixOf, Workload, type WorkloadInput } from "./workload";

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
  requests: Request[];
  replicas: Replica[];
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
    policy: makePolicy(e, dp),
    mixedModel: buildStepModel(req.model, req.hardware, plan, "prefill", e, req.efficiency, req.useKernelTables ?? true),
    decodeModel: buildStepModel(req.model, req.hardware, plan, "decode", e, req.efficiency, req.useKernelTables ?? true),
    // Each pipeline micro-batch is scheduled with its own token budget (vLLM V1 schedules pp batches in flight).
    tokenBudget: e.max_num_batched_tokens.value * dp * plan[phase].pp,
    maxSeqs: e.max_num_seqs.value * dp,
    graphBatchLimit: e.cuda_graph_max_batch.value * dp,
    kvCapacityTokens: mem.kvCapacityTokens.value * dp,
    windowTokensPerSeq: mem.kvWindowPerSeqPerGpu.value / perTok,
    windows,
    maxRun,
    prefixBlockTokens: e.prefix_caching.enabled ? e.kv_block_size.value : undefined,
    scheduleAhead: e.schedule_ahead.value,
    outputLag: e.output_delay_steps.value,
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

/** The error for requests no replica can ever schedule: the largest prompt left and the pool it must fit. */
function unschedulable(replicas: Replica[]): InputError {
  const stuck = replicas.filter((r) => r.queued > 0 || r.prefilling.length > 0);
  const prompts = stuck.flatMap((r) => [...r.prefilling, ...r.waiting.slice(r.waiting.length - r.queued)]).map((x) => x.promptTarget);
  const pool = Math.min(...stuck.map((r) => r.cfg.kvCapacityTokens));
  return new InputError(
    `requests cannot be scheduled: a prompt of ${prompts.length ? Math.max(...prompts) : "?"} tokens does not fit the KV pool ` +
      `(${Number.isFinite(pool) ? Math.floor(pool) : "?"} tokens per replica); use more GPUs, an fp8 KV cache or shorter prompts`,
  );
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
  const indexOf = new Map(all.map((r, i) => [r, i]));
  const gpus = req.gpusCounted ?? all.reduce((s, r) => s + r.cfg.gpus, 0);
  const queue = new EventQueue();

  // Requests, drawn in order so a seed fixes every length.
  const total = wl.kind === "trace" ? wl.items.length : wl.requests;
  const maxRequests = LIMITS.simulation.max_requests;
  if (total > maxRequests.value) throw new InputError(`the workload has ${formatLimit(total)} requests, more than the simulator holds (${formatLimit(maxRequests.value)}, data/limits.json simulation.max_requests: ${maxRequests.reason}); lower the concurrency or the request count`);
  const requests: Request[] = [];
  const newRequest = (arrival: number, input: number, output: number, prefix?: { group: number; tokens: number }): Request => {
    const r: Request = { id: requests.length, arrival, input, output, prefilled: 0, promptTarget: input, generated: 0, kv: 0, firstToken: -1, finish: -1, preemptions: 0, decodeArrival: arrival };
    // A shared prefix: from the trace item, or the workload's rule (no random draw, so lengths do not change with it).
    const group = prefix?.group ?? (wl.kind === "trace" ? undefined : prefixOf(wl.prefix, r.id));
    if (group !== undefined) {
      r.prefixGroup = group;
      r.prefixTokens = Math.min(input, prefix?.tokens ?? (wl.kind === "trace" ? input : wl.prefix!.tokens));
    }
    requests.push(r);
    return r;
  };
  // Planned arrivals (open loop, trace) enter the queue one at a time: the next is queued when one arrives.
  const planned: { t: number; input: number; output: number; prefix?: { group: number; tokens: number } }[] = [];
  if (wl.kind === "trace") {
    for (const it of [...wl.items].sort((a, b) => a.arrival - b.arrival)) {
      planned.push({ t: it.arrival, input: it.input, output: it.output, prefix: it.prefixGroup === undefined ? undefined : { group: it.prefixGroup, tokens: it.prefixTokens! } });
    }
  }
  else if (wl.kind === "open") {
    let t = 0;
    for (let i = 0; i < wl.requests; i++) {
      const gap = wl.arrival === "poisson" ? rng.exp(wl.rate) : rng.gamma(1 / (wl.cv * wl.cv), (wl.cv * wl.cv) / wl.rate);
      t += gap;
      planned.push({ t, input: drawLength(wl.input, rng), output: drawLength(wl.output, rng) });
    }
  }
  let nextPlanned = 0;
  const queueNextArrival = () => {
    if (nextPlanned < planned.length) {
      const a = planned[nextPlanned++];
      queue.push({ kind: "arrival", t: a.t, input: a.input, output: a.output, prefix: a.prefix });
    }
  };
  queueNextArrival();

  let rr = 0;
  const route = (pool: Replica[]): Replica => {
    // Least loaded, ties broken round-robin.
    let best = pool[rr++ % pool.length];
    for (const p of pool) if (p.load < best.load) best = p;
    return best;
  };
  // The engine sees a request after the frontend's share of latency (HTTP, tokenisation): the client's clock starts earlier.
  // Offline benchmarks call the engine in-process (no HTTP server): no frontend delay.
  const frontDelay = wl.kind === "offline" ? 0 : (req.aggregated?.engine ?? req.disaggregated!.prefill.engine).request_overhead_ms.value / 1e3;
  const submit = (r: Request) => queue.push({ kind: "enter", t: r.arrival + frontDelay, r });

  const decodeBacklog: Request[] = [];
  let now = 0;
  let finished = 0;
  let events = 0;

  if (wl.kind === "closed") {
    for (let i = 0; i < Math.min(wl.concurrency, total); i++) submit(newRequest(0, drawLength(wl.input, rng), drawLength(wl.output, rng)));
  } else if (wl.kind === "offline") {
    for (let i = 0; i < total; i++) submit(newRequest(0, drawLength(wl.input, rng), drawLength(wl.output, rng)));
  }
  const closedNext = () => {
    if (wl.kind === "closed" && requests.length < total) submit(newRequest(now, drawLength(wl.input, rng), drawLength(wl.output, rng)));
  };

  // Open loop with a client-side cap (vllm bench serve --max-concurrency): an arrival beyond the cap waits at
  // the client, and its clock starts when it is sent (the client measures TTFT and E2E from there).
  const cap = wl.kind === "open" ? wl.maxConcurrency ?? Infinity : Infinity;
  type Prefixed = { group: number; tokens: number } | undefined;
  const clientQueue: { input: number; output: number; prefix: Prefixed }[] = [];
  let inFlight = 0;
  const send = (t: number, input: number, output: number, prefix: Prefixed) => {
    inFlight++;
    submit(newRequest(t, input, output, prefix));
  };
  const handle: { [K in SimEvent["kind"]]: (e: Extract<SimEvent, { kind: K }>) => void } = {
    enter: (e) => route(front).enqueue(e.r),
    arrival: (e) => {
      if (inFlight < cap) send(e.t, e.input, e.output, e.prefix);
      else clientQueue.push({ input: e.input, output: e.output, prefix: e.prefix });
      queueNextArrival();
    },
    "kv-transfer-done": (e) => {
      e.r.decodeArrival = now;
      decodeBacklog.push(e.r);
    },
    "step-done": (e) => {
      const out = e.replica.complete();
      for (let i = 0; i < out.finished.length; i++) {
        finished++;
        inFlight--;
        closedNext();
        const waiting = clientQueue.shift();
        if (waiting) send(now, waiting.input, waiting.output, waiting.prefix);
      }
      for (const r of out.prefilled) {
        const bytes = kvTransferBytes(req.model, transferPlan!, r.input);
        const hw = req.hardware;
        const bw = hw.scale_up.bandwidth_gbps_unidir.value * 1e9 * req.efficiency.comm_bandwidth.value;
        queue.push({ kind: "kv-transfer-done", t: now + hw.scale_up.latency_us.value / 1e6 + bytes / bw, r });
      }
    },
  };

  const guard = LIMITS.simulation.max_events;
  while (finished < total) {
    if (++events > guard.value) throw new InputError(`the simulation needs more than ${formatLimit(guard.value)} events (data/limits.json simulation.max_events: ${guard.reason}); lower the concurrency, the request count or the lengths`);
    // Start every idle replica that has work. A replica's run of identical steps must end by the next
    // event anywhere: an arrival, a hand-off, or another replica's step end.
    for (const rep of all) {
      if (!rep.idle) continue;
      const end = rep.start(Math.max(now, rep.busyUntil), queue.peekTime());
      if (end !== null) queue.push({ kind: "step-done", t: end, replica: rep, index: indexOf.get(rep)! });
    }
    const e = queue.pop();
    if (!e) throw unschedulable(all);
    now = e.t;
    (handle[e.kind] as (x: SimEvent) => void)(e);
    // Everything that happens at this instant is seen before any replica plans its next step (an engine's
    // scheduler picks up every request that has arrived, e.g. a closed loop's clients all sending at t = 0).
    while (queue.peekTime() === now) {
      const x = queue.pop()!;
      (handle[x.kind] as (y: SimEvent) => void)(x);
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
  return {
    requests, replicas: all, timeline, steps: all.reduce((s, r) => s + r.stepCount, 0), events, gpus,
    kvCapacityTokens: all.map((r) => r.cfg.kvCapacityTokens),
  };
}
