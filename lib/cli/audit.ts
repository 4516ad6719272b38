/** `mantile audit`: the assumptions of one prediction with their provenance and ±20% impacts. */
import * as fs from "fs";
import * as path from "path";
import { InputError } from "../core/validate";
import { auditPinned, auditTable } from "../audit/index";
import { bundleToPinned, readBundle } from "../bundle/bundle";
import { helpText, parseFlags, type OptionSpec } from "./args";
import { pinFromFlags, RUN_FLAGS } from "./export";

const SPEC: OptionSpec = {
  ...RUN_FLAGS,
  bundle: { type: "string", help: "audit the run pinned in a bundle (mantile export) instead of the run flags" },
  json: { type: "boolean", help: "print the audit log as JSON" },
  out: { type: "string", help: "also write the audit log JSON to this file" },
  "no-impacts": { type: "boolean", help: "list the assumptions only (no ±20% re-runs)" },
  only: { type: "string", help: "perturb only these params (comma list, e.g. efficiency.memory_bandwidth,engine.step_overhead_ms)" },
  step: { type: "string", help: "relative perturbation", default: "0.2" },
  help: { type: "boolean", help: "show this help" },
};

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(argv, SPEC);
  if (f.help) {
    process.stdout.write(
      `mantile audit --model M --hardware H [--engine E --tp N --ep N --dp-attention --precision P] --isl N --osl N --concurrency N [--json] [--out audit.json]\n` +
        `       mantile audit --input FILE.csv --row N   |   mantile audit --bundle run.json\n${helpText(SPEC)}\n`,
    );
    return 0;
  }
  const step = Number(f.step);
  if (!(step > 0 && step < 1)) throw new InputError(`--step must be a fraction in (0, 1) (got "${String(f.step)}")`);
  const pinned = typeof f.bundle === "string" ? bundleToPinned(readBundle(f.bundle)) : pinFromFlags(f).pinned;
  const tty = process.stderr.isTTY;
  const log = auditPinned(pinned, {
    impacts: !f["no-impacts"],
    step,
    only: typeof f.only === "string" ? f.only.split(",").map((s) => s.trim()).filter(Boolean) : undefined,
    onProgress: tty ? (d, t) => process.stderr.write(`\raudit: ${d}/${t} perturbed runs`) : undefined,
  });
  if (tty) process.stderr.write("\r\x1b[K");
  if (typeof f.out === "string") {
    fs.mkdirSync(path.dirname(path.resolve(f.out)), { recursive: true });
    fs.writeFileSync(f.out, JSON.stringify(log, null, 1) + "\n");
    process.stderr.write(`audit log → ${f.out}\n`);
  }
  process.stdout.write(f.json ? JSON.stringify(log, null, 2) + "\n" : auditTable(log));
  return 0;
}
