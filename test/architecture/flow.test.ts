/**
 * The shape of lib/: data flows one way through the stages, each a folder. An import from a later
 * stage into an earlier one is a failure (it is how the stages used to tangle), and so is a folder the
 * order does not name or a file over 400 lines.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../lib/core/paths";

const LIB = path.join(PROJECT_ROOT, "lib");

/** The stages in the order data flows through them (README "How it is built"). */
export const STAGES = [
  "core", // shared vocabulary: explained numbers, dtypes, validation, CSV, statistics
  "model", // HF config → model IR
  "hardware", // accelerator profiles
  "engine", // serving-engine profiles and speculative-decoding methods
  "calibration", // efficiency defaults, calibration profiles, their transfer
  "parallel", // parallelism plan, validation, memory per GPU
  "kernels", // measured kernel tables and their lookups
  "cost", // per-op costs, one module per op family
  "step", // step time: tables or roofline
  "serving", // event simulation: replicas, scheduler policies, workloads
  "metrics", // benchmark metrics of a simulation
  "run", // resolveRun: a request → a resolved run; predict and estimate it
  "uncertainty", // prediction intervals: the basis of a prediction and the widths measured for it
  "reconcile", // benchmark rows: convert, predict, compare, calibrate
  "bundle", // pinned runs and their files
  "sizing", // deployment sizing search
  "search", // deployment search: frontier under SLOs, launch configs
  "audit", // assumptions and their impacts
  "plots", // Plotly figure specs
  "notebook", // notebook display and rendering
  "cli", // the mantile command
];

function filesOf(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesOf(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

const files = filesOf(LIB);
const stageOf = (file: string) => path.relative(LIB, file).split(path.sep)[0];

/** Every relative import of a file, resolved to the stage it lands in. */
function importsOf(file: string): { spec: string; stage: string }[] {
  const text = fs.readFileSync(file, "utf8");
  const out: { spec: string; stage: string }[] = [];
  for (const m of text.matchAll(/(?:from|require\()\s*["'](\.{1,2}\/[^"']+)["']/g)) {
    const target = path.resolve(path.dirname(file), m[1]);
    out.push({ spec: m[1], stage: stageOf(target) });
  }
  return out;
}

describe("lib/ architecture", () => {
  it("every folder of lib/ is a named stage", () => {
    const folders = fs.readdirSync(LIB, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.filter((f) => !STAGES.includes(f))).toEqual([]);
  });

  it("no import runs against the flow (from a later stage into an earlier one)", () => {
    const against: string[] = [];
    for (const f of files) {
      const from = STAGES.indexOf(stageOf(f));
      for (const i of importsOf(f)) {
        if (STAGES.indexOf(i.stage) > from) against.push(`${path.relative(PROJECT_ROOT, f)} imports ${i.spec} (${i.stage} comes after ${stageOf(f)})`);
      }
    }
    expect(against).toEqual([]);
  });

  it("no file in lib/ is over 400 lines", () => {
    const long = files.map((f) => ({ f: path.relative(PROJECT_ROOT, f), n: fs.readFileSync(f, "utf8").split("\n").length })).filter((x) => x.n > 400);
    expect(long).toEqual([]);
  });

  it("the README's stage table names every folder of lib/", () => {
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
    const missing = STAGES.filter((s) => !readme.includes(`\`lib/${s}\``));
    expect(missing).toEqual([]);
  });
});
