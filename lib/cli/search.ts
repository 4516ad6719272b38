/**
 * `mantile search`: the throughput-per-GPU vs tokens-per-user frontier of a model's deployments on N
 * GPUs (engines, aggregated and disaggregated, TP / EP / DP-attention / PP, speculative decoding,
 * token budgets, load) under SLOs, the point to deploy, why its neighbours lose, and its launch
 * config (--emit).
 */
import * as fs from "fs";
import * as path from "path";
import { writeCsv } from "../core/csv";
import { InputError } from "../core/validate";
import { checkConfig, emitConfig, emitContext, pointFor } from "../search/emit/index";
import { describeSearch, POINT_COLUMNS, pointRows, resultJson } from "../search/report";
import { searchDeployments } from "../search/search";
import type { SearchProgress, SearchRequest, Slo } from "../search/types";
import { helpText, parseFlags, type OptionSpec } from "./args";
import { formatDuration } from "./progress";

const SPEC: OptionSpec = {
  model: { type: "string", help: "HF model id, alias or path to config.json" },
  hardware: { type: "string", help: "GPU id or alias (gb200, b200, 'H100 SXM', …)" },
  gpus: { type: "string", help: "GPUs to deploy on" },
  isl: { type: "string", help: "input (prompt) tokens per request" },
  osl: { type: "string", help: "output tokens per request" },
  workload: { type: "string", help: "a workload JSON (closed/open/offline: its length distributions; trace: its mean lengths) instead of --isl/--osl" },
  "ttft-p90": { type: "string", help: "SLO: p90 time to first token (seconds, or e.g. 500ms)" },
  "ttft-p99": { type: "string", help: "SLO: p99 time to first token" },
  tpot: { type: "string", help: "SLO: mean time per output token (seconds, or e.g. 20ms)" },
  "tokens-per-user": { type: "string", help: "SLO: output tokens/s per user (1 / mean TPOT), at least" },
  e2e: { type: "string", help: "SLO: mean end-to-end latency" },
  engines: { type: "string", help: "engines, comma-separated: vllm, sglang, trtllm (aggregated), dynamo (disaggregated)", default: "vllm,sglang,trtllm,dynamo" },
  precisions: { type: "string", help: "weight precisions, comma-separated (fp4, fp8, bf16, …; default fp4 and fp8 where the GPU has them)" },
  pp: { type: "string", help: "pipeline stages to try, comma-separated (default 1: see the assumptions)" },
  speculative: { type: "string", help: "speculative decoding (MTP): auto (on and off where the model has it), on, off", default: "auto" },
  confidence: { type: "string", help: "hold SLOs at this quantile of the prediction interval (0.5–0.9; needs the interval hook of issue 16)" },
  calibration: { type: "string", help: "auto (data/calibration profile per hardware × engine) or none", default: "auto" },
  "max-simulations": { type: "string", help: "simulations at most (default 40)" },
  "no-tables": { type: "boolean", help: "roofline only (ignore measured kernel tables)" },
  seed: { type: "string", help: "random seed of request lengths", default: "1" },
  jobs: { type: "string", help: "threads (default: every core; 1 = this thread only)" },
  json: { type: "boolean", help: "print the whole result as JSON" },
  out: { type: "string", help: "write every simulated point (frontier first) to this CSV" },
  emit: { type: "string", help: "write the launch config of the chosen point for vllm, sglang, trtllm or dynamo" },
  "emit-dir": { type: "string", help: "directory for --emit files", default: "." },
  quiet: { type: "boolean", help: "no progress bar" },
  help: { type: "boolean", help: "show this help" },
};

const USAGE = [
  "mantile search --model ID --hardware GPU --gpus N --isl N --osl N [--ttft-p90 S] [--tpot S] [--tokens-per-user N] [--e2e S]",
  "               [--engines vllm,sglang,trtllm,dynamo] [--precisions fp4,fp8] [--json] [--out frontier.csv] [--emit vllm|sglang|trtllm|dynamo]",
  "",
  "Exit status: 0 when a point meets the SLOs, 3 when none does, 2 on bad input.",
].join("\n");

/** Permissions of written launch scripts (executable) and config files. */
const SCRIPT_MODE = 0o755;
const FILE_MODE = 0o644;

const UNITS: Record<string, number> = { s: 1, ms: 1e-3, us: 1e-6 };

/** A duration: seconds, or a number with s / ms / us. */
export function seconds(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[-+]?\d+)?)\s*(s|ms|us)?\s*$/i.exec(String(v));
  const x = m ? Number(m[1]) * UNITS[(m[2] ?? "s").toLowerCase()] : NaN;
  if (!(x > 0)) throw new InputError(`--${name} must be a duration > 0 (seconds, or e.g. 500ms; got "${String(v)}")`);
  return x;
}

function positive(v: unknown, name: string, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!(x > 0) || (integer && !Number.isInteger(x))) throw new InputError(`--${name} must be ${integer ? "a whole number ≥ 1" : "a number > 0"} (got "${String(v)}")`);
  return x;
}

const list = (v: unknown) => (v === undefined ? undefined : String(v).split(",").map((s) => s.trim()).filter(Boolean));

export function requestOf(f: Record<string, unknown>): SearchRequest {
  for (const k of ["model", "hardware", "gpus"]) if (f[k] === undefined) throw new InputError(`--${k} is required`);
  const slo: Slo = {
    ttftP90: seconds(f["ttft-p90"], "ttft-p90"), ttftP99: seconds(f["ttft-p99"], "ttft-p99"), tpot: seconds(f.tpot, "tpot"),
    tokensPerUser: positive(f["tokens-per-user"], "tokens-per-user"), e2e: seconds(f.e2e, "e2e"),
  };
  const spec = String(f.speculative);
  if (!["auto", "on", "off"].includes(spec)) throw new InputError(`--speculative must be auto, on or off (got "${spec}")`);
  const cal = String(f.calibration);
  if (cal !== "auto" && cal !== "none") throw new InputError(`--calibration must be auto or none (got "${cal}")`);
  let workload;
  if (f.workload !== undefined) {
    const file = String(f.workload);
    if (!fs.existsSync(file)) throw new InputError(`--workload: file not found: ${file}`);
    try {
      workload = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      throw new InputError(`--workload: ${file} is not JSON (${(e as Error).message})`);
    }
  }
  const pp = list(f.pp)?.map((x) => positive(x, "pp", true)!);
  const maxSim = positive(f["max-simulations"], "max-simulations", true);
  return {
    model: String(f.model), hardware: String(f.hardware), gpus: positive(f.gpus, "gpus", true)!,
    isl: positive(f.isl, "isl", true), osl: positive(f.osl, "osl", true), workload,
    slo: Object.fromEntries(Object.entries(slo).filter(([, v]) => v !== undefined)),
    engines: list(f.engines), precisions: list(f.precisions), speculative: spec as SearchRequest["speculative"],
    confidence: f.confidence === undefined ? undefined : Number(f.confidence),
    calibration: cal, useKernelTables: !f["no-tables"], seed: positive(f.seed, "seed", true), jobs: positive(f.jobs, "jobs", true),
    settings: { ...(pp ? { pipelineStages: pp } : {}), ...(maxSim ? { maxSimulations: maxSim } : {}) },
  };
}

/** Redraws at most this often on a terminal; elsewhere one line per phase change and quarter. */
const REDRAW_MS = 200;
const LOG_STEP = 0.25;
const BAR = 30;

function progressBar(stream: NodeJS.WriteStream = process.stderr): (p: SearchProgress) => void {
  let last = 0;
  let lastKey = "";
  return (p) => {
    const f = p.total ? p.done / p.total : 1;
    const key = `${p.phase}:${Math.floor(f / LOG_STEP)}`;
    const now = Date.now();
    if (stream.isTTY ? now - last < REDRAW_MS && p.phase !== "done" : key === lastKey) return;
    last = now;
    lastKey = key;
    const filled = Math.round(BAR * f);
    const line = `search ${p.phase.padEnd(8)} [${"#".repeat(filled)}${".".repeat(BAR - filled)}] ${p.done}/${p.total} · ${p.screened} points screened · ${p.simulated} simulated · ${formatDuration(p.seconds)}`;
    stream.write(stream.isTTY ? `\r${line}\x1b[K${p.phase === "done" ? "\n" : ""}` : `${line}\n`);
  };
}

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(argv, SPEC);
  if (f.help) {
    process.stdout.write(`${USAGE}\n\n${helpText(SPEC)}\n`);
    return 0;
  }
  const req = requestOf(f);
  if (!f.quiet) req.onProgress = progressBar();
  const r = await searchDeployments(req);
  if (f.out) {
    const file = String(f.out);
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeCsv(file, [...POINT_COLUMNS], pointRows(r));
  }
  process.stdout.write(f.json ? `${resultJson(r)}\n` : `${describeSearch(r)}\n`);
  if (f.out && !f.json) process.stdout.write(`points → ${String(f.out)}\n`);
  if (f.emit !== undefined) {
    const point = pointFor(String(f.emit), r.chosen, r.evaluated);
    const config = emitConfig(String(f.emit), point, emitContext(req));
    const problems = checkConfig(config);
    if (problems.length) throw new Error(`the launch config does not match data/engines/flags/${config.engine}.json:\n  ${problems.join("\n  ")}`);
    const dir = String(f["emit-dir"]);
    fs.mkdirSync(dir, { recursive: true });
    for (const file of config.files) {
      const p = path.join(dir, file.name);
      fs.writeFileSync(p, file.content, { mode: file.name.endsWith(".sh") ? SCRIPT_MODE : FILE_MODE });
      process.stderr.write(`launch config (${config.engine}, ${config.point}) → ${p}\n`);
    }
  }
  return r.frontier.length ? 0 : 3;
}
