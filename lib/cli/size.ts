/**
 * `mantile size`: the deployment with the most sustained requests/s per GPU under a TTFT budget,
 * searched over TP (one node), precision and load with the serving simulator; or a whole sizing
 * chart (--input CSV --output CSV).
 */
import * as fs from "fs";
import * as path from "path";
import { writeCsv } from "../core/csv";
import { formatNumber } from "../core/explain";
import { textTable } from "../core/text-table";
import { InputError } from "../core/validate";
import { loadCalibration } from "../calibration/profile";
import { sizeFile, type BatchOptions } from "../sizing/batch";
import { agreementText, compareWithChart } from "../sizing/compare";
import { positive, sizeDeployment, tableRows, TABLE_COLUMNS, TTFT_STATS, type Precision, type SizingRequest, type SizingResult, type TtftStat } from "../sizing/search";
import { helpText, parseFlags, type OptionSpec } from "./args";

const SPEC: OptionSpec = {
  model: { type: "string", help: "HF model id, alias or path to config.json" },
  hardware: { type: "string", help: "GPU id or alias ('H100 SXM', 'A100 SXM', L40S, A10G, …)" },
  isl: { type: "string", help: "input (prompt) tokens per request" },
  osl: { type: "string", help: "output tokens per request" },
  "ttft-budget": { type: "string", help: "TTFT budget in seconds" },
  "ttft-stat": { type: "string", help: "TTFT statistic held to the budget: mean, p90 or p99", default: "mean" },
  rps: { type: "string", help: "target requests/s to size the deployment for", default: "10" },
  confidence: { type: "string", help: "hold the budget at this one-sided confidence (0.5–0.95): the pessimistic TTFT, predicted × the measured error quantile of the request's basis (data/uncertainty/widths.json), must meet it" },
  engine: { type: "string", help: "engine profile (vllm, trtllm, sglang, atom)", default: "vllm" },
  calibration: { type: "string", help: "auto (data/calibration profile for hardware × engine, if any), none, or a profile JSON", default: "auto" },
  tp: { type: "string", help: "TP degrees to consider, comma-separated (default 1,2,4,8 up to the node size)" },
  precision: { type: "string", help: "weight precisions to consider, comma-separated: bf16, fp8 (default bf16 + fp8 where the GPU has fp8 tensor cores)" },
  "prefix-len": { type: "string", help: "shared prompt prefix (part of --isl), tokens: a common system prompt, reused documents, resent chat history" },
  "prefix-reuse": { type: "string", help: "share of requests that begin with the shared prefix, 0–1 (default 1)" },
  "prefix-groups": { type: "string", help: "distinct shared prefixes (default 1)" },
  exhaustive: { type: "boolean", help: "search every candidate's rate fully (no pruning by the prefill bound)" },
  "no-tables": { type: "boolean", help: "roofline only (ignore measured kernel tables)" },
  seed: { type: "string", help: "random seed of arrivals", default: "1" },
  json: { type: "boolean", help: "print the result and the whole search table as JSON" },
  table: { type: "string", help: "write the whole search (every candidate and rate tried) to this CSV" },
  input: { type: "string", help: "batch mode: CSV with model, gpu, ttft_budget_sec, input_tokens, output_tokens" },
  output: { type: "string", help: "batch mode: CSV to write (input columns + predicted columns)" },
  help: { type: "boolean", help: "show this help" },
};

const USAGE = [
  'mantile size --model ID --hardware GPU --isl N --osl N --ttft-budget SEC [--rps 10] [--ttft-stat mean|p90|p99] [--json] [--table FILE.csv]',
  "mantile size --input CHART.csv --output OUT.csv   (one search per row; progress on stderr)",
  "",
  "Exit status: 0 when a configuration meets the budget (batch: always 0), 3 when none does, 2 on bad input.",
].join("\n");

function listFlag<T extends string>(v: unknown, name: string, allowed: readonly T[] | null, parse: (s: string) => T): T[] | undefined {
  if (v === undefined) return undefined;
  const items = String(v).split(",").map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new InputError(`--${name} is empty`);
  return items.map((s) => {
    const x = parse(s);
    if (allowed && !allowed.includes(x)) throw new InputError(`--${name}: "${s}" is not one of ${allowed.join(", ")}`);
    return x;
  });
}

function commonOptions(f: Record<string, unknown>): BatchOptions {
  const stat = String(f["ttft-stat"]);
  if (!TTFT_STATS.includes(stat as TtftStat)) throw new InputError(`--ttft-stat must be one of ${TTFT_STATS.join(", ")} (got "${stat}")`);
  const c = String(f.calibration);
  const seed = Number(f.seed);
  if (!Number.isInteger(seed)) throw new InputError(`--seed must be a whole number (got "${String(f.seed)}")`);
  return {
    ttftStat: stat as TtftStat,
    targetRps: positive(f.rps, "--rps"),
    engine: String(f.engine),
    calibration: c === "auto" || c === "none" ? c : loadCalibration(c),
    tps: listFlag(f.tp, "tp", null, (x) => x)?.map((x) => {
      const n = Number(x);
      if (!Number.isInteger(n) || n < 1) throw new InputError(`--tp: "${x}" is not a whole number ≥ 1`);
      return n;
    }),
    precisions: listFlag<Precision>(f.precision, "precision", ["bf16", "fp8"], (s) => s.toLowerCase() as Precision),
    exhaustive: Boolean(f.exhaustive),
    confidence: f.confidence === undefined ? undefined : positive(f.confidence, "--confidence"),
    useKernelTables: !f["no-tables"],
    seed,
    ...prefixOption(f),
  };
}

/** --prefix-len / --prefix-reuse / --prefix-groups → the workload's shared prefix. */
function prefixOption(f: Record<string, unknown>): Pick<BatchOptions, "prefix"> {
  if (f["prefix-len"] === undefined) {
    if (f["prefix-reuse"] !== undefined || f["prefix-groups"] !== undefined) throw new InputError("--prefix-reuse / --prefix-groups need --prefix-len (the shared prefix's length in tokens)");
    return {};
  }
  const reuse = f["prefix-reuse"] === undefined ? 1 : Number(f["prefix-reuse"]);
  if (!(reuse >= 0 && reuse <= 1)) throw new InputError(`--prefix-reuse must be a fraction 0–1 (got "${String(f["prefix-reuse"])}")`);
  return { prefix: { tokens: positive(f["prefix-len"], "--prefix-len", true), reuse, groups: f["prefix-groups"] === undefined ? 1 : positive(f["prefix-groups"], "--prefix-groups", true) } };
}

const n3 = (x: number) => (Number.isFinite(x) ? formatNumber(x) : "–");

export function describe(r: SizingResult): string {
  const out: string[] = [];
  out.push(`${r.model} on ${r.hardware} (${r.engine}; calibration: ${r.calibration})`);
  out.push(`${r.isl} input / ${r.osl} output tokens; TTFT ${r.ttftStat} ≤ ${r.ttftBudgetSec} s; sized for ${r.targetRps} req/s`);
  if (r.confidence) out.push(`confidence ${r.confidence.level}: measured TTFT may be ${n3(r.confidence.factor)} × the prediction (${r.confidence.basis}), so the predicted TTFT is held to ${n3(r.confidence.effectiveBudgetSec)} s`);
  out.push("");
  const b = r.best;
  if (b && b.best) {
    const t = b.best;
    out.push(`best: TP ${b.tp}, ${b.precision} weights — ${n3(r.rpsPerGpu)} req/s per GPU (${n3(b.rate)} req/s per replica of ${b.gpus} GPU${b.gpus > 1 ? "s" : ""})`);
    out.push(`  at that rate: TTFT mean ${n3(t.ttftMean)} s, p90 ${n3(t.ttftP90)} s, p99 ${n3(t.ttftP99)} s; TPOT ${n3(t.tpotMs)} ms; E2E ${n3(t.e2eMean)} s; ${n3(t.concurrency)} requests in the system (Little's law λ·E2E)`);
    if (r.confidence) out.push(`  pessimistic TTFT ${r.ttftStat} at confidence ${r.confidence.level}: ${n3(t.ttft * r.confidence.factor)} s ≤ ${r.ttftBudgetSec} s`);
    out.push(`  for ${r.targetRps} req/s: ${r.replicas} replica${r.replicas > 1 ? "s" : ""} × ${b.gpus} GPU${b.gpus > 1 ? "s" : ""} = ${r.gpusForTarget} GPUs (ceil(${r.targetRps} / ${n3(b.rate)}) whole replicas)`);
  } else {
    out.push(`infeasible: ${r.reason}`);
  }
  out.push("");
  const header = ["TP", "precision", "status", "req/s/GPU", "λ/replica", `TTFT ${r.ttftStat}`, "1-req TTFT", "prefill bound", "weights GB/GPU", "KV tokens", "sims", "reason"];
  const rows = r.candidates.map((c) => [
    String(c.tp), c.precision, c === r.best ? "best" : c.status, c.status === "feasible" ? n3(c.rpsPerGpu) : "–", c.status === "feasible" ? n3(c.rate) : "–",
    c.best ? n3(c.best.ttft) : "–", n3(c.singleTtft), n3(c.boundRpsPerGpu), n3(c.weightsGbPerGpu), Number.isFinite(c.kvCapacityTokens) ? String(c.kvCapacityTokens) : "–", String(c.simulations), c.reason,
  ]);
  out.push(...textTable(header, rows, [0, 1, 2], [header.length - 1]));
  out.push("");
  out.push("assumptions:");
  for (const a of r.assumptions) out.push(`  ${a.what}: ${a.value} (${a.why})`);
  out.push(`${r.simulations} simulations in ${r.seconds.toFixed(1)} s (--table FILE.csv or --json for every rate tried)`);
  return out.join("\n");
}

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(argv, SPEC);
  if (f.help) {
    process.stdout.write(`${USAGE}\n\n${helpText(SPEC)}\n`);
    return 0;
  }
  const batch = f.input !== undefined || f.output !== undefined;
  if (batch) {
    if (f.input === undefined || f.output === undefined) throw new InputError("batch mode needs both --input CHART.csv and --output OUT.csv");
    for (const k of ["model", "hardware", "isl", "osl", "ttft-budget", "table", "json"]) {
      if (f[k] !== undefined && f[k] !== false) throw new InputError(`--${k} does not apply to batch mode (--input/--output): the rows give model, gpu, budget and lengths`);
    }
    const opts = commonOptions(f);
    const input = String(f.input);
    const output = String(f.output);
    fs.mkdirSync(path.dirname(path.resolve(output)), { recursive: true });
    const r = sizeFile(input, output, opts, (done, total, res, row) => {
      const what = res.feasible ? `${formatNumber(res.rpsPerGpu)} req/s/GPU at TP ${res.best!.tp} ${res.best!.precision}` : `infeasible: ${res.reason.slice(0, 160)}`;
      process.stderr.write(`size [${done}/${total}] ${row.model} on ${row.gpu}, TTFT ≤ ${row.ttft_budget_sec} s → ${what} (${res.simulations} sims, ${res.seconds.toFixed(1)} s)\n`);
    });
    process.stderr.write(`sized ${r.rows.length} rows in ${r.seconds.toFixed(1)} s → ${output}\n`);
    if (r.rows.length && "requests_per_sec_per_gpu" in r.rows[0]) process.stderr.write(`vs the chart: ${agreementText(compareWithChart(r.rows))}\n`);
    return 0;
  }
  for (const k of ["model", "hardware", "isl", "osl", "ttft-budget"]) if (f[k] === undefined) throw new InputError(`--${k} is required (or use --input/--output for a whole chart)`);
  const req: SizingRequest = {
    ...commonOptions(f),
    model: String(f.model),
    hardware: String(f.hardware),
    isl: positive(f.isl, "--isl", true),
    osl: positive(f.osl, "--osl", true),
    ttftBudgetSec: positive(f["ttft-budget"], "--ttft-budget"),
  };
  const r = sizeDeployment(req);
  if (f.table) {
    const file = String(f.table);
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeCsv(file, [...TABLE_COLUMNS], tableRows(r));
  }
  if (f.json) {
    // Every trial is in the table below; the JSON keeps each candidate's best rate.
    const { candidates, trials: _trials, ...rest } = r;
    const json = { ...rest, candidates: candidates.map(({ best, ...c }) => ({ ...c, best: best ? { rate: best.rate, ttft: best.ttft } : null })), table: tableRows(r) };
    process.stdout.write(JSON.stringify(json, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n");
  } else {
    process.stdout.write(describe(r) + "\n");
    if (f.table) process.stdout.write(`search table → ${String(f.table)}\n`);
  }
  return r.feasible ? 0 : 3;
}
