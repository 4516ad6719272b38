import * as fs from "fs";
import * as path from "path";
import { writeCsv } from "../core/csv";
import { InputError } from "../core/validate";
import { calibrate } from "../reconcile/calibrate";
import { PARAM_NAMES, type ParamName } from "../calibration/parameters";
import { INPUT_COLUMNS, LOAD_COLUMNS } from "../reconcile/standard";
import { tableChoice } from "./tables";
import { helpText, intFlag, parseFlags, requireString, type OptionSpec } from "./args";

const SPEC: OptionSpec = {
  data: { type: "string", help: "standard CSV(s) with actual metrics, comma-separated (repeated runs are averaged)" },
  profile: { type: "string", help: "HARDWARE/ENGINE, e.g. b200/vllm; any/ENGINE (the engine on every GPU); or global (all rows)" },
  out: { type: "string", help: "profile JSON to write, e.g. data/calibration/b200-vllm.json" },
  params: { type: "string", help: `comma-separated parameters (≤ 6) from: ${PARAM_NAMES.join(", ")}` },
  folds: { type: "string", help: "k of k-fold cross-validation", default: "5" },
  "max-evals": { type: "string", help: "loss evaluations of the full fit", default: "120" },
  "cv-evals": { type: "string", help: "loss evaluations of each cross-validation refit (from the defaults)", default: "60" },
  cv: { type: "string", help: "held-out checks: kfold, all (k-fold + ISL/OSL and concurrency splits), or groups (whole models and whole GPUs held out)", default: "all" },
  limit: { type: "string", help: "use only the first N configurations (quick check)" },
  "no-tables": { type: "boolean", help: "roofline only (ignore measured kernel tables)" },
  "table-ops": { type: "string", help: "op families timed from measured tables, e.g. gemm,attention,comm,moe (default: the engine profile's kernel_table_ops)" },
  "oof-out": { type: "string", help: "CSV of out-of-fold predictions per configuration (default beside --out)" },
  help: { type: "boolean", help: "show this help" },
};

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(argv, SPEC);
  if (f.help) {
    process.stdout.write(`mantile calibrate --data FILE.csv --profile b200/vllm --out data/calibration/b200-vllm.json\n${helpText(SPEC)}\n`);
    return 0;
  }
  const params = f.params ? String(f.params).split(",").map((s) => s.trim()) : undefined;
  for (const p of params ?? []) if (!PARAM_NAMES.includes(p as ParamName)) throw new InputError(`--params: unknown parameter "${p}"; use ${PARAM_NAMES.join(", ")}`);
  const out = requireString(f.out, "out");
  let last = "";
  const res = calibrate({
    data: requireString(f.data, "data"),
    profile: requireString(f.profile, "profile"),
    params: params as ParamName[] | undefined,
    folds: intFlag(f.folds, "folds"),
    maxEvals: intFlag(f["max-evals"], "max-evals"),
    cvEvals: intFlag(f["cv-evals"], "cv-evals"),
    limit: f.limit ? intFlag(f.limit, "limit") : undefined,
    cv: f.cv === "kfold" || f.cv === "all" || f.cv === "groups" ? f.cv : (() => { throw new InputError(`--cv must be kfold, all or groups (got "${String(f.cv)}")`); })(),
    useKernelTables: tableChoice(f),
    onProgress: (stage, evals, loss) => {
      if (stage !== last || evals % 10 === 0) process.stderr.write(`calibrate ${stage}: evaluation ${evals}, loss ${loss.toFixed(5)}\n`);
      last = stage;
    },
  });
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(res.file, null, 2) + "\n");
  const oof = f["oof-out"] ? String(f["oof-out"]) : out.replace(/\.json$/, "") + ".out-of-fold.csv";
  const cols = [...INPUT_COLUMNS, ...LOAD_COLUMNS, "actual_throughput", "oof_throughput", "actual_ttft", "oof_ttft", "actual_tpot", "oof_tpot", "actual_e2e", "oof_e2e"];
  writeCsv(oof, cols, res.rows.map((r, i) => {
    const row: Record<string, unknown> = {};
    for (const c of [...INPUT_COLUMNS, ...LOAD_COLUMNS]) row[c] = (r.config as Record<string, unknown>)[c];
    for (const m of ["throughput", "ttft", "tpot", "e2e"] as const) {
      row[`actual_${m}`] = r.actual[m];
      row[`oof_${m}`] = res.outOfFold[i][m];
    }
    return row;
  }));
  process.stdout.write(JSON.stringify({ parameters: res.file.parameters, in_sample_mape: res.file.in_sample_mape, cross_validation: res.file.cross_validation }, null, 2) + "\n");
  process.stderr.write(`wrote ${out} and ${oof}\n`);
  return 0;
}
