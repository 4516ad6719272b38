/**
 * InferenceMAX `agg_bmk.json` (one published run: an array of configurations), a single file or a
 * folder of run files, through lib/reconcile/inferencemax.ts — the same rows `mantile extract
 * inferencemax` writes. Field meanings: ../shared/datasets/inferencemax/README.md.
 */
import * as path from "path";
import { InputError } from "../../core/validate";
import { EXTRACT_COLUMNS, extractRunFiles } from "../inferencemax";
import { Assumptions, inputFiles, readJsonDocuments, type ImportResult } from "./common";

export function importInferenceMax(input: string): ImportResult {
  const files = inputFiles(input, (f) => f.toLowerCase().endsWith(".json"));
  if (files.length === 0) throw new InputError(`--input ${input}: no .json run files; fix: give an agg_bmk.json or a folder of them`);
  for (const f of files) {
    const [doc] = readJsonDocuments(f);
    if (!Array.isArray(doc)) throw new InputError(`${f}: field "(root)" is not an array of configurations; fix: give InferenceMAX's agg_bmk.json as published`);
  }
  let rows: Record<string, string>[];
  try {
    rows = extractRunFiles(files);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new InputError(`${e.message}\nfix: give InferenceMAX's agg_bmk.json as published (fields: ../shared/datasets/inferencemax/README.md)`);
  }
  const a = new Assumptions();
  const label = files.length === 1 ? files[0] : `${files.length} run files in ${input}`;
  a.add(label, "rows", "one per configuration and run, as `mantile extract inferencemax`", "run id = file name without run_; model paths normalised (infmax_model_prefix)");
  a.add(label, "workload", "closed loop, CONC clients, 10×CONC requests, lengths uniform in [0.8·L, L]", "InferenceMAX client: benchmark_serving.py --random-range-ratio 0.8 --num-prompts 10×CONC");
  return { format: "inferencemax", sources: files.map((f) => path.resolve(f)), columns: [...EXTRACT_COLUMNS], rows, assumptions: a.list() };
}
