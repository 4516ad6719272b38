import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { readCsv } from "../../lib/core/csv";
import { InputError } from "../../lib/core/validate";
import { outputColumns, sizeFile, sizeRows } from "../../lib/sizing/batch";
import { compareWithChart } from "../../lib/sizing/compare";
import { TABLE_COLUMNS } from "../../lib/sizing/search";

const BIN = path.resolve(__dirname, "../../bin/mantile.js");
const SMALL = { minRequests: 150, minSpanSec: 20, minSpanE2E: 10 };

function tmp(name: string, text: string): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-size-"));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return { dir, file };
}

// Rows chosen to be decided fast: 405B on L40S never fits (see search.test.ts); 8B on A10G at 0.1 s
// is over budget for one request; 8B on A100 with 2000/16 tokens at TP 1 is feasible (a short search).
const CHART = [
  'id,model,note,gpu,ttft_budget_sec,input_tokens,output_tokens,requests_per_sec_per_gpu,zz_unknown',
  'a1,meta-llama/Llama-3.1-405B-Instruct,"big, does ""not"" fit",L40S,3,5000,500,,x',
  "a2,meta-llama/Llama-3.1-8B-Instruct,tight budget,A10G,0.1,5000,16,,",
  "a3,meta-llama/Llama-3.1-8B-Instruct,,A100 SXM,0.5,2000,16,5,42",
].join("\n") + "\n";

describe("batch sizing", () => {
  it("carries every input column through unchanged and appends the predicted columns", () => {
    const { dir, file } = tmp("chart.csv", CHART);
    const out = path.join(dir, "out.csv");
    const r = sizeFile(file, out, { tps: [1], precisions: ["bf16"], settings: SMALL, calibration: "none" });
    const input = readCsv(file);
    const got = readCsv(out);
    expect(got.columns).toEqual([...input.columns, ...outputColumns(10)]);
    expect(got.columns).toContain("predicted_gpus_for_10_rps");
    for (let i = 0; i < input.rows.length; i++) for (const c of input.columns) expect(got.rows[i][c]).toBe(input.rows[i][c]);
    expect(got.rows.map((x) => x.predicted_feasible)).toEqual(["false", "false", "true"]);
    expect(got.rows[0].reason).toMatch(/weights do not fit/);
    expect(got.rows[1].reason).toMatch(/TTFT over budget even for one request/);
    expect(got.rows[2].reason).toBe("");
    const ok = got.rows[2];
    expect(ok.predicted_tp).toBe("1");
    expect(ok.predicted_precision).toBe("bf16");
    expect(Number(ok.predicted_ttft_sec)).toBeLessThanOrEqual(0.5);
    // GPUs for 10 req/s at TP 1 = ceil(10 / rps per GPU).
    expect(Number(ok.predicted_gpus_for_10_rps)).toBe(Math.ceil(10 / r.results[2].best!.rate));
    // Little's law concurrency is reported for the feasible row only.
    expect(Number(ok.predicted_concurrency)).toBeGreaterThan(0);
    expect(got.rows[0].predicted_concurrency).toBe("");
  });

  it("compares with the chart: agreement, |log10 ratio|, within 2×", () => {
    const rows = [
      { model: "m", gpu: "g", ttft_budget_sec: "1", requests_per_sec_per_gpu: "2", predicted_feasible: "true", predicted_requests_per_sec_per_gpu: "4" }, // ratio 2: log 0.301, within 2×
      { model: "m", gpu: "g", ttft_budget_sec: "1", requests_per_sec_per_gpu: "1", predicted_feasible: "true", predicted_requests_per_sec_per_gpu: "0.1" }, // ratio 0.1: log 1
      { model: "m", gpu: "g", ttft_budget_sec: "1", requests_per_sec_per_gpu: "1", predicted_feasible: "true", predicted_requests_per_sec_per_gpu: "1" }, // exact
      { model: "m", gpu: "g", ttft_budget_sec: "1", requests_per_sec_per_gpu: "", predicted_feasible: "true", predicted_requests_per_sec_per_gpu: "1" }, // disagree
      { model: "m", gpu: "g", ttft_budget_sec: "1", requests_per_sec_per_gpu: "", predicted_feasible: "false", predicted_requests_per_sec_per_gpu: "" }, // agree (both N/A)
    ];
    const a = compareWithChart(rows);
    expect(a.agree).toBe(4);
    expect(a.total).toBe(5);
    expect(a.bothFeasible).toBe(3);
    expect(a.medianAbsLog10).toBeCloseTo(Math.log10(2), 12);
    expect(a.within2x).toBe(2);
  });

  it("bad rows: one error naming every bad cell by row and column, before any simulation", () => {
    const cols = ["model", "gpu", "ttft_budget_sec", "input_tokens", "output_tokens"];
    const rows = [
      { model: "meta-llama/Llama-3.1-8B-Instruct", gpu: "TPU v9", ttft_budget_sec: "1", input_tokens: "100", output_tokens: "10" },
      { model: "meta-llama/Llama-3.1-8B-Instruct", gpu: "H100 SXM", ttft_budget_sec: "-1", input_tokens: "1.5", output_tokens: "10" },
    ];
    let err: unknown;
    try {
      sizeRows(cols, rows);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/row 1 \(line 2\) gpu: unknown hardware "TPU v9"/);
    expect(msg).toMatch(/row 2 \(line 3\) ttft_budget_sec must be a number > 0 \(got "-1"\)/);
    expect(msg).toMatch(/row 2 \(line 3\) input_tokens must be a whole number ≥ 1 \(got "1.5"\)/);
    expect(() => sizeRows(["model", "gpu"], [])).toThrow(/missing columns ttft_budget_sec, input_tokens, output_tokens/);
    expect(() => sizeRows([...cols, "reason"], [])).toThrow(/already has output column reason/);
  });
});

describe("mantile size (real process)", () => {
  it("batch mode: progress on stderr, the CSV written, agreement with the chart printed", () => {
    const { dir, file } = tmp("chart.csv", CHART.split("\n").slice(0, 3).join("\n") + "\n");
    const out = path.join(dir, "sub", "out.csv");
    const r = spawnSync("node", [BIN, "size", "--input", file, "--output", out], { encoding: "utf8", cwd: os.tmpdir() });
    expect(r.stderr).toMatch(/size \[1\/2\] meta-llama\/Llama-3.1-405B-Instruct on L40S, TTFT ≤ 3 s → infeasible: the weights do not fit/);
    expect(r.stderr).toMatch(/size \[2\/2\]/);
    expect(r.stderr).toMatch(/vs the chart: feasible\/infeasible agreement 2\/2/);
    expect(r.status).toBe(0);
    expect(readCsv(out).rows).toHaveLength(2);
  });

  it("single mode: --json and --table give the whole search; infeasible exits 3", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-size-"));
    const table = path.join(dir, "search.csv");
    const r = spawnSync("node", [BIN, "size", "--model", "meta-llama/Llama-3.1-405B-Instruct", "--hardware", "L40S", "--isl", "5000", "--osl", "500", "--ttft-budget", "3", "--json", "--table", table], { encoding: "utf8" });
    expect(r.status).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j.feasible).toBe(false);
    expect(j.reason).toMatch(/weights do not fit at any TP/);
    expect(j.table).toHaveLength(8);
    expect(j.candidates.map((c: { tp: number; precision: string }) => `${c.tp}${c.precision}`)).toEqual(["1bf16", "1fp8", "2bf16", "2fp8", "4bf16", "4fp8", "8bf16", "8fp8"]);
    const t = readCsv(table);
    expect(t.columns).toEqual([...TABLE_COLUMNS]);
    expect(t.rows.every((x) => x.stage === "fit" && x.feasible === "false")).toBe(true);
  });

  it("bad flags: clear errors naming the flag, exit 2", () => {
    const base = ["size", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--isl", "5000", "--osl", "500"];
    const gpu = spawnSync("node", [BIN, ...base, "--hardware", "tpu-v9", "--ttft-budget", "1"], { encoding: "utf8" });
    expect(gpu.status).toBe(2);
    expect(gpu.stderr).toMatch(/unknown hardware "tpu-v9"/);
    const neg = spawnSync("node", [BIN, ...base, "--hardware", "H100 SXM", "--ttft-budget=-0.5"], { encoding: "utf8" });
    expect(neg.status).toBe(2);
    expect(neg.stderr).toMatch(/--ttft-budget must be a number > 0 \(got "-0.5"\)/);
    const stat = spawnSync("node", [BIN, ...base, "--hardware", "H100 SXM", "--ttft-budget", "1", "--ttft-stat", "p50"], { encoding: "utf8" });
    expect(stat.status).toBe(2);
    expect(stat.stderr).toMatch(/--ttft-stat must be one of mean, p90, p99/);
    expect(neg.stdout + gpu.stdout + stat.stdout).toBe("");
  });
});
