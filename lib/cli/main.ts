/** `mantile <command>`: each command lives in its own module under lib/cli. */
import { InputError } from "../core/validate";

type Command = (argv: string[]) => Promise<number>;

// Loaded lazily with require so one command's dependencies do not slow the others.
/* eslint-disable @typescript-eslint/no-var-requires */
const COMMANDS: Record<string, { about: string; load: () => Command }> = {
  estimate: { about: "cost one prefill or decode step per layer type", load: () => require("./estimate").run },
  extract: { about: "benchmark results → standard CSV (extract inferencemax --runs DIR | trtllm-bench --input FILE.csv, --out FILE)", load: () => require("./reconcile-user").extract },
  reconcile: { about: "your results (vllm bench, trtllm-bench, genai-perf, InferenceMAX, CSV) → predictions, comparison, report", load: () => require("./reconcile-user").reconcile },
  predict: { about: "predict serving metrics for every row of a standard CSV", load: () => require("./reconcile").predict },
  calibrate: { about: "fit a calibration profile (≤ 6 bounded parameters) with cross-validation", load: () => require("./calibrate").run },
  compare: { about: "per-row errors and a summary of predictions against actuals", load: () => require("./reconcile").compare },
  size: { about: "deployment sizing: most requests/s per GPU under a TTFT budget (TP, precision, load)", load: () => require("./size").run },
  search: { about: "deployment search: throughput/GPU vs tok/s/user frontier under SLOs (engines, agg/disagg, TP/EP/DP/PP, MTP), --emit launch configs", load: () => require("./search").run },
  audit: { about: "assumptions of one prediction with provenance and ±20% impacts (--json, --out FILE)", load: () => require("./audit").run },
  export: { about: "pin one run (model IR, hardware, engine, plan, workload, calibration) into a bundle JSON", load: () => require("./export").run },
  models: { about: "known models (--json); models show ID: IR summary and parameter check", load: () => require("./models").run },
  runs: { about: "runs compare A B: two pinned runs (bundles or FILE.csv:N) side by side", load: () => require("./runs").run },
  hardware: { about: "accelerator profiles (--json); hardware show NAME: every figure with its source", load: () => require("./hardware").run },
};

function usage(): string {
  return ["usage: mantile <command> [options]   (mantile <command> --help for options)", "", "commands:", ...Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(10)} ${v.about}`)].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h") {
    process.stdout.write(usage() + "\n");
    return cmd ? 0 : 2;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    process.stderr.write(`mantile: unknown command "${cmd}"\n${usage()}\n`);
    return 2;
  }
  try {
    return await c.load()(rest);
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`mantile ${cmd}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
