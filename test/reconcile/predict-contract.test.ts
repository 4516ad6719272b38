import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { readCsv } from "../../lib/core/csv";
import { predictFile } from "../../lib/reconcile/predict-file";

const BIN = path.resolve(__dirname, "../../bin/mantile.js");
const HEADER = "row_id,model,gpu_model,framework,precision,input_seq_len,output_seq_len,tensor_parallel,expert_parallel,dp_attention,concurrency,disagg,spec_decoding,prefill_tp,prefill_ep,prefill_dp_attention,prefill_num_workers,decode_tp,decode_ep,decode_dp_attention,decode_num_workers,num_prefill_gpu,num_decode_gpu,my_note";
const ROWS = [
  "7,openai/gpt-oss-120b,b200,vllm,fp4,1024,128,2,1,false,4,false,none,,,,,,,,,,,keep me",
  "8,acme/unknown-9b,b200,vllm,fp4,1024,128,2,1,false,4,false,none,,,,,,,,,,,x",
  '9,openai/gpt-oss-120b,tpu-v9,vllm,fp4,1024,128,2,1,false,4,false,none,,,,,,,,,,,"quoted, with comma"',
  "10,openai/gpt-oss-120b,h100,vllm,fp4,1024,128,3,1,false,4,false,none,,,,,,,,,,,bad tp",
  "11,openai/gpt-oss-120b,gb200,dynamo-trt,fp4,1024,128,,,,8,true,none,1,1,false,1,2,1,false,1,1,2,disagg",
];

function tmpCsv(lines: string[]): { dir: string; input: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-predict-"));
  const input = path.join(dir, "in.csv");
  fs.writeFileSync(input, [HEADER, ...lines].join("\n") + "\n");
  return { dir, input };
}

describe("mantile predict contract", () => {
  it("carries every input column through unchanged, in order, adds the predicted columns, and reports bad rows without stopping", () => {
    const { dir, input } = tmpCsv(ROWS);
    const output = path.join(dir, "out.csv");
    // Run from another working directory: paths are resolved by the caller, data by the library.
    const r = spawnSync("node", [BIN, "predict", "--input", input, "--output", output], { encoding: "utf8", cwd: os.tmpdir() });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/predict \[/); // progress bar on stderr
    const out = readCsv(output);
    const inCols = HEADER.split(",");
    expect(out.columns.slice(0, inCols.length)).toEqual(inCols);
    expect(out.columns).toEqual(expect.arrayContaining(["predicted_throughput_per_gpu", "predicted_output_throughput_per_gpu", "predicted_ttft_sec", "predicted_tpot_sec", "predicted_e2e_latency_sec", "predicted_bottleneck", "error_message"]));
    const input2 = readCsv(input);
    out.rows.forEach((row, i) => inCols.forEach((c) => expect(row[c]).toBe(input2.rows[i][c])));
    const [ok, unknownModel, unknownHw, badTp, disagg] = out.rows;
    expect(Number(ok.predicted_throughput_per_gpu)).toBeGreaterThan(0);
    expect(ok.error_message).toBe("");
    expect(unknownModel.error_message).toMatch(/unknown model "acme\/unknown-9b"/);
    expect(unknownModel.predicted_throughput_per_gpu).toBe("");
    expect(unknownHw.error_message).toMatch(/unknown hardware "tpu-v9"/);
    expect(unknownHw.my_note).toBe("quoted, with comma");
    expect(badTp.error_message).toMatch(/64 attention heads do not split over tp=3/);
    expect(Number(disagg.predicted_tpot_sec)).toBeGreaterThan(0);
  });

  it("--resume keeps finished rows and predicts only the rest", async () => {
    const { dir, input } = tmpCsv(ROWS.slice(0, 2));
    const output = path.join(dir, "out.csv");
    await predictFile(input, output, { jobs: 1 });
    const first = fs.readFileSync(output, "utf8");
    // Add rows to the input: a resumed run must keep the first two output lines byte for byte.
    fs.writeFileSync(input, [HEADER, ...ROWS.slice(0, 3)].join("\n") + "\n");
    const res = await predictFile(input, output, { resume: true, jobs: 1 });
    expect(res.skipped).toBe(2);
    expect(res.predicted).toBe(1);
    const after = fs.readFileSync(output, "utf8");
    expect(after.startsWith(first)).toBe(true);
    expect(readCsv(output).rows).toHaveLength(3);
  });

  it("--resume refuses an output that does not match the input", async () => {
    const { dir, input } = tmpCsv(ROWS.slice(0, 1));
    const output = path.join(dir, "out.csv");
    await predictFile(input, output, { jobs: 1 });
    fs.writeFileSync(input, [HEADER, ROWS[1]].join("\n") + "\n");
    await expect(predictFile(input, output, { resume: true, jobs: 1 })).rejects.toThrow(/does not match the input rows/);
  });

  it("a missing input file is an error on stderr with a non-zero exit", () => {
    const r = spawnSync("node", [BIN, "predict", "--input", "/nonexistent.csv", "--output", "/tmp/x.csv"], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/input CSV not found/);
  });
});
