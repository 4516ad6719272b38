/**
 * Crash safety with real processes: `mantile predict` killed with SIGKILL at several points (before it
 * wrote anything, after a few rows, deep into the file; one and two threads), then `--resume`, gives a file
 * byte-identical to an uninterrupted run.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { partialPath, predictFile } from "../../lib/reconcile/predict-file";
import { BIN, runCli } from "./run-cli";

const HEADER = "model,gpu_model,framework,precision,input_seq_len,output_seq_len,tensor_parallel,concurrency,note";

/**
 * Rows: cheap valid ones (GPT-OSS-20B on one H100, a few clients, short lengths), some errors, and a slower second
 * half (~0.15 s a row: 1k-token prompts, 500 output tokens, 24+ clients) so that a kill after 12 rows lands mid-run
 * even with two threads (with cheap rows throughout, the last dozen could finish between two polls).
 */
const ROWS = 24;
function inputRows(): string[] {
  const rows: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    if (i % 3 === 1) rows.push(`acme/unknown,h100,vllm,,64,8,1,2,"error ${i}, quoted"`);
    else if (i >= ROWS / 2) rows.push(`openai/gpt-oss-20b,h100,vllm,,${1000 + 8 * i},${500 + i},1,${24 + i},row ${i}`);
    else rows.push(`openai/gpt-oss-20b,h100,vllm,,${32 + 8 * (i % 5)},${4 + (i % 3)},1,${1 + (i % 3)},row ${i}`);
  }
  return rows;
}

/** Lines in the journal so far (header + rows; the notes have no line breaks). */
function journalLines(file: string): number {
  try {
    return fs.readFileSync(file, "utf8").split("\n").length - 1;
  } catch {
    return 0;
  }
}

/** Start a run and SIGKILL it once its journal holds `rows` complete rows (0: as soon as it started). */
async function killAfter(input: string, output: string, rows: number, jobs: number): Promise<number> {
  const child = spawn("node", [BIN, "predict", "--input", input, "--output", output, "--jobs", String(jobs)], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (rows === 0 || journalLines(partialPath(output)) >= rows + 1) {
        clearInterval(poll);
        resolve();
      }
    }, 5);
  });
  child.kill("SIGKILL");
  await exited;
  return Math.max(0, journalLines(partialPath(output)) - 1);
}

describe("kill -9 and --resume", () => {
  it("reproduces the uninterrupted output byte for byte after a kill at several points", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-kill-"));
    const input = path.join(dir, "in.csv");
    fs.writeFileSync(input, [HEADER, ...inputRows()].join("\n") + "\n");
    const reference = path.join(dir, "reference.csv");
    await predictFile(input, reference, { jobs: 1 });
    const expected = fs.readFileSync(reference);

    for (const [rows, jobs, resumeJobs] of [[0, 1, 1], [2, 1, 2], [12, 2, 1]]) {
      const output = path.join(dir, `out-${rows}.csv`);
      const written = await killAfter(input, output, rows, jobs);
      // Killed mid-run: the output is not in place yet, the journal holds what was done.
      expect(fs.existsSync(output)).toBe(false);
      expect(written).toBeGreaterThanOrEqual(rows);
      expect(written).toBeLessThan(ROWS);
      const r = await runCli(["predict", "--input", input, "--output", output, "--resume", "--jobs", String(resumeJobs)]);
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`predicted ${ROWS - written} rows \\(${written} kept from a previous run\\)`));
      expect(fs.readFileSync(output).equals(expected), `killed after ${written} rows`).toBe(true);
      expect(fs.existsSync(partialPath(output))).toBe(false);
    }
  });
});
