/**
 * `mantile predict` on hostile input: every input row gets exactly one output row, in input order, with a
 * prediction or an error that names the line / field and the fix; file-level problems are said once.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse } from "csv-parse/sync";
import { readCsv } from "../../lib/core/csv";
import { partialPath, predictFile } from "../../lib/reconcile/predict-file";
import { rowLine } from "../../lib/reconcile/predict-rows";
import { OUTPUT_EXTRA } from "../../lib/reconcile/predict";

const BIN = path.resolve(__dirname, "../../bin/mantile.js");
const COLS = ["model", "gpu_model", "framework", "precision", "input_seq_len", "output_seq_len", "tensor_parallel", "concurrency", "note"];
/** A valid row that simulates in milliseconds: GPT-OSS-20B on one H100, 2 clients, 64 in / 8 out. */
const CHEAP = "openai/gpt-oss-20b,h100,vllm,,64,8,1,2";

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "mantile-hostile-"));
}

/** The output's rows as parsed by csv-parse in strict mode (an independent reader: every record has every column). */
function strictRows(file: string): Record<string, string>[] {
  return parse(fs.readFileSync(file), { bom: true, columns: true, relax_column_count: false }) as Record<string, string>[];
}

describe("predict: one output row per input row", () => {
  it("reads a hostile CSV (BOM, CRLF, blank lines, quotes, ragged rows, unicode, control characters, out-of-range numbers) and answers every row in order", () => {
    const dir = tmp();
    const input = path.join(dir, "in.csv");
    const lines = [
      COLS.join(","),
      `${CHEAP},plain`, // line 2
      `${CHEAP}`, // line 3: 8 fields of 9
      `${CHEAP},x,extra`, // line 4: 10 fields
      "", // line 5: blank, not a row
      "   ", // line 6: only blanks, not a row
      `${CHEAP},"comma, ""quote"" and`, // lines 7-8: a quoted field with a line break
      `newline"`,
      `<img src=x onerror=alert(1)>,h100,vllm,,64,8,1,2,"é中😀 \u0001\u001b[31m"`, // line 9
      "openai/gpt-oss-20b,h100,vllm,,64,8,1,1e9,huge concurrency", // line 10
      "openai/gpt-oss-20b,h100,vllm,,0,8,1,2,zero prompt", // line 11
      "openai/gpt-oss-20b,h100,vllm,,NaN,Infinity,1,2,not numbers", // line 12
      "openai/gpt-oss-20b,h100,vllm,,64,8,100000,2,huge tp", // line 13
      "meta-llama/Llama-3.1-8B,l4,vllm,bf16,131072,128,1,1,prompt beyond the pool", // line 14
      `${CHEAP},"never closed`, // line 15: the quote runs to the end of the file
      "openai/gpt-oss-20b,h100,vllm,,64,8,1,2,swallowed",
    ];
    fs.writeFileSync(input, "\ufeff" + lines.join("\r\n") + "\r\n");
    const output = path.join(dir, "out.csv");
    const r = spawnSync("node", [BIN, "predict", "--input", input, "--output", output, "--jobs", "1"], { encoding: "utf8" });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.status).toBe(0);
    expect(fs.existsSync(partialPath(output))).toBe(false); // renamed into place
    const out = strictRows(output);
    // 15 records: lines 2, 3, 4, 7-8, 9, 10, 11, 12, 13, 14, 15-17 (blank lines 5 and 6 are not rows).
    expect(out.map((o) => o.note)).toEqual(["plain", "", "x", 'comma, "quote" and\r\nnewline', "é中😀 \u0001\u001b[31m", "huge concurrency", "zero prompt", "not numbers", "huge tp", "prompt beyond the pool", ""]);
    const [plain, fewer, more, quoted, hostile, conc, zero, nan, tp, kv, open] = out;
    for (const ok of [plain, quoted]) {
      expect(ok.error_message).toBe("");
      expect(Number(ok.predicted_throughput_per_gpu)).toBeGreaterThan(0);
    }
    expect(fewer.error_message).toMatch(/^line 3 has 8 fields but the header has 9: add the missing 1/);
    expect(fewer.model).toBe("openai/gpt-oss-20b"); // what the row has is carried, so it can be found
    expect(more.error_message).toMatch(/^line 4 has 10 fields but the header has 9: remove the extra 1, or put quotes around a value that contains a comma/);
    expect(hostile.model).toBe("<img src=x onerror=alert(1)>");
    expect(hostile.error_message).toMatch(/unknown model "<img src=x onerror=alert\(1\)>"/);
    expect(conc.error_message).toMatch(/concurrency must be a whole number from 1 to 26,214 clients \(data\/limits\.json: .*\) \(got "1e9"\)/);
    expect(zero.error_message).toMatch(/input_seq_len must be a whole number from 1 to 1,048,576 tokens/);
    expect(nan.error_message).toMatch(/input_seq_len must be a whole number \(got "NaN"\)/);
    expect(nan.error_message).toMatch(/output_seq_len must be a whole number \(got "Infinity"\)/);
    expect(tp.error_message).toMatch(/tensor_parallel must be a whole number from 1 to 1,024 GPUs/);
    // The real prompt (drawn in [⌊0.8·131072⌋, 131072] = [104857, 131072]) and the real pool, not "0 tokens".
    const m = /a prompt of (\d+) tokens does not fit the KV pool \((\d+) tokens per replica\)/.exec(kv.error_message)!;
    expect(Number(m[1])).toBeGreaterThanOrEqual(104857);
    expect(Number(m[1])).toBeLessThanOrEqual(131072);
    expect(Number(m[2])).toBeGreaterThan(0);
    expect(Number(m[2])).toBeLessThan(Number(m[1]));
    expect(open.error_message).toMatch(/^line 15: a quoted field opened on line 15 is never closed/);
    // Every row: a prediction or an error, never NaN or Infinity.
    for (const o of out) {
      expect(o.error_message !== "" || Number(o.predicted_throughput_per_gpu) > 0).toBe(true);
      for (const c of OUTPUT_EXTRA.filter((x) => x !== "error_message")) expect(o[c]).not.toMatch(/nan|infinity/i);
    }
    expect(r.stderr).toMatch(/predict \[.*\] 100% 11 rows .* rows\/s errors 9 .* eta 0s/);
  });

  it("an empty file and a header naming a column twice are errors for the file, said once, with nothing written", async () => {
    const dir = tmp();
    const output = path.join(dir, "out.csv");
    for (const text of ["", "\ufeff", "\n\n  \n"]) {
      fs.writeFileSync(path.join(dir, "empty.csv"), text);
      await expect(predictFile(path.join(dir, "empty.csv"), output, { jobs: 1 })).rejects.toThrow(/is empty: it needs a header line naming the columns/);
    }
    fs.writeFileSync(path.join(dir, "dup.csv"), `model,gpu_model,model,x,x,x\n${CHEAP}\n`);
    const r = spawnSync("node", [BIN, "predict", "--input", path.join(dir, "dup.csv"), "--output", output], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr.match(/more than once/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/the header names "model" \(columns 1, 3\), "x" \(columns 4, 5, 6\) more than once: every column needs its own name/);
    expect(fs.existsSync(output) || fs.existsSync(partialPath(output))).toBe(false);
  });

  it("a header-only file gives an output with the header and no rows", async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "h.csv"), COLS.join(",") + "\n");
    const res = await predictFile(path.join(dir, "h.csv"), path.join(dir, "out.csv"), { jobs: 1 });
    expect(res).toMatchObject({ rows: 0, predicted: 0, errors: 0 });
    expect(fs.readFileSync(path.join(dir, "out.csv"), "utf8")).toBe([...COLS, ...OUTPUT_EXTRA].join(",") + "\n");
  });

  it("never writes NaN or Infinity: a non-finite prediction leaves its cell empty and says so", () => {
    const ctx = { columns: ["model"], outColumns: ["model", ...OUTPUT_EXTRA], options: {} };
    const pred = { ...Object.fromEntries(OUTPUT_EXTRA.map((c) => [c, ""])), predicted_throughput_per_gpu: "12.5", predicted_tpot_sec: "NaN", predicted_ttft_sec: "-Infinity" };
    const { line, error } = rowLine(ctx, ["m"], pred);
    expect(error).toBe(true);
    const row = strictRowsOf([["model", ...OUTPUT_EXTRA].join(","), line]);
    expect(row.predicted_throughput_per_gpu).toBe("12.5");
    expect(row.predicted_tpot_sec).toBe("");
    expect(row.predicted_ttft_sec).toBe("");
    expect(row.error_message).toMatch(/no finite value for predicted_ttft_sec \(-Infinity\), predicted_tpot_sec \(NaN\)/);
  });
});

function strictRowsOf(lines: string[]): Record<string, string> {
  return (parse(lines.join("\n"), { columns: true }) as Record<string, string>[])[0];
}

describe("predict: crash-safe journal", () => {
  /** Rows that fail validation (microseconds each), so resuming from every byte of the tail stays cheap. */
  const FAST = ["acme/unknown-a,h100,vllm,,64,8,1,2,a", 'acme/unknown-b,h100,vllm,,64,8,1,2,"b, with ""quotes""\nand a newline"', "acme/unknown-c,h100,vllm,,64,8,1,2,c"];

  it("--resume after a torn write at any byte of the last rows reproduces the uninterrupted output byte for byte", async () => {
    const dir = tmp();
    const input = path.join(dir, "in.csv");
    fs.writeFileSync(input, [COLS.join(","), `${CHEAP},first`, ...FAST].join("\n") + "\n");
    const full = path.join(dir, "full.csv");
    await predictFile(input, full, { jobs: 1 });
    const bytes = fs.readFileSync(full);
    const header = bytes.indexOf(10) + 1;
    const firstRow = bytes.indexOf(10, header) + 1;
    const output = path.join(dir, "out.csv");
    // A kill leaves the journal cut anywhere: inside the header, inside a row (every 11th byte of the last
    // rows: inside quotes, after an embedded newline, …), or at and around each line end.
    const ends = [...bytes.subarray(firstRow).entries()].filter(([, b]) => b === 10).map(([i]) => firstRow + i);
    const cuts = new Set([0, 5, header - 1, header, header + 3, ...ends.flatMap((e) => [e - 1, e, e + 1, e + 2])]);
    for (let c = firstRow; c <= bytes.length; c += 11) cuts.add(c);
    for (const cut of [...cuts].filter((c) => c <= bytes.length)) {
      fs.writeFileSync(partialPath(output), bytes.subarray(0, cut));
      const res = await predictFile(input, output, { jobs: 1, resume: true });
      expect(fs.readFileSync(output).equals(bytes), `cut at byte ${cut}`).toBe(true);
      expect(res.rows).toBe(4);
      expect(fs.existsSync(partialPath(output))).toBe(false);
    }
    expect(readCsv(output).rows.map((r) => r.note)).toEqual(["first", "a", 'b, with "quotes"\nand a newline', "c"]);
  });
});
