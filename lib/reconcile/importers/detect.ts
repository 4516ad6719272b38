/** `--format auto`: which tool wrote the results, judged by their content (not only their names). */
import * as fs from "fs";
import { parse } from "csv-parse/sync";
import { InputError } from "../../core/validate";
import { FORMATS, inputFiles, isObject, readJsonDocuments, type Format } from "./common";
import { looksLikeGenaiPerf } from "./genai-perf";
import { looksLikeTrtllmReport, looksLikeTrtllmTable } from "./trtllm-bench";
import { looksLikeVllmBench } from "./vllm-bench";

/** Bytes read to see a CSV's header. */
const HEADER_BYTES = 64 * 1024;

function csvHeader(file: string): string[] {
  const fd = fs.openSync(file, "r");
  const buf = Buffer.alloc(HEADER_BYTES);
  const n = fs.readSync(fd, buf, 0, HEADER_BYTES, 0);
  fs.closeSync(fd);
  const first = buf.subarray(0, n).toString("utf8").split(/\r?\n/)[0] ?? "";
  const [header] = parse(first, { bom: true, relax_column_count: true }) as string[][];
  return header ?? [];
}

/** The format of one file, or null when nothing matches. */
export function detectFile(file: string): Format | null {
  if (file.toLowerCase().endsWith(".csv")) {
    const h = csvHeader(file);
    if (looksLikeTrtllmTable(h)) return "trtllm-bench";
    if (h[0] === "Metric") return "genai-perf";
    if (h.includes("model") && h.includes("gpu_model")) return "standard";
    return null;
  }
  if (!/\.jsonl?$/i.test(file)) return null;
  const [doc] = readJsonDocuments(file);
  if (Array.isArray(doc) && doc.length > 0 && isObject(doc[0]) && "hw" in doc[0] && "tput_per_gpu" in doc[0]) return "inferencemax";
  if (looksLikeVllmBench(doc)) return "vllm-bench";
  if (looksLikeTrtllmReport(doc)) return "trtllm-bench";
  if (looksLikeGenaiPerf(doc)) return "genai-perf";
  return null;
}

const HOW = `name it with --format (${FORMATS.join(", ")})`;

/** The format of a file or folder: every result file in a folder must agree. */
export function detectFormat(input: string): Format {
  const files = inputFiles(input, (f) => /\.(csv|jsonl?)$/i.test(f));
  const found = new Map<Format, string>();
  const unknown: string[] = [];
  for (const f of files) {
    const fmt = detectFile(f);
    if (fmt) found.set(fmt, found.get(fmt) ?? f);
    else unknown.push(f);
  }
  // genai-perf folders also hold inputs.json and the raw profile_export.json: only the *_genai_perf / *_aiperf exports count.
  if (found.size === 0) {
    throw new InputError(`--input ${input}: no results of a known tool in ${files.length ? files.slice(0, 3).join(", ") : "it (no .csv or .json files)"}; fix: ${HOW}`);
  }
  if (found.size > 1) {
    throw new InputError(`--input ${input}: results of several tools (${[...found.entries()].map(([k, f]) => `${k}: ${f}`).join("; ")}); fix: give one tool's files per run, or ${HOW}`);
  }
  return [...found.keys()][0];
}
