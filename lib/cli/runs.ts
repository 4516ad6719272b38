/** `mantile runs compare A B`: two pinned runs (bundles or CSV rows) side by side. */
import { InputError } from "../core/validate";
import { compareRuns, comparisonTable, loadRun } from "../bundle/compare";
import { helpText, parseFlags, type OptionSpec } from "./args";
import { pinOptions } from "./export";

const COMPARE: OptionSpec = {
  json: { type: "boolean", help: "print the comparison as JSON (what lib/bundle compareRuns returns)" },
  calibration: { type: "string", help: "for CSV rows: auto, none, or a profile JSON path (bundles carry their own)", default: "auto" },
  "no-tables": { type: "boolean", help: "for CSV rows: roofline only" },
  "table-ops": { type: "string", help: "for CSV rows: op families timed from measured tables" },
  seed: { type: "string", help: "for CSV rows: random seed of request lengths", default: "1" },
  help: { type: "boolean", help: "show this help" },
};

const USAGE = "mantile runs compare A B   (A, B: bundle JSON from mantile export, or FILE.csv:N for data row N of a standard CSV)";

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h") {
    process.stdout.write(`${USAGE}\n${helpText(COMPARE)}\n`);
    return sub ? 0 : 2;
  }
  if (sub !== "compare") throw new InputError(`unknown subcommand "${sub}": ${USAGE}`);
  // Positional run specs between flags; a string flag takes the next argument as its value.
  const specs: string[] = [];
  const flags: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith("-")) specs.push(a);
    else {
      flags.push(a);
      if (!a.includes("=") && COMPARE[a.replace(/^--?/, "")]?.type === "string" && i + 1 < rest.length) flags.push(rest[++i]);
    }
  }
  const f = parseFlags(flags, COMPARE);
  if (f.help) {
    process.stdout.write(`${USAGE}\n${helpText(COMPARE)}\n`);
    return 0;
  }
  if (specs.length !== 2) throw new InputError(`give exactly two runs (got ${specs.length}): ${USAGE}`);
  const opts = pinOptions(f);
  const c = compareRuns(loadRun(specs[0], opts), loadRun(specs[1], opts));
  process.stdout.write(f.json ? JSON.stringify(c, null, 2) + "\n" : comparisonTable(c));
  return 0;
}

