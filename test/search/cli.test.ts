/** `mantile search` through a real process: the answer, --json, --out, --emit, worker threads, exit codes. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { readCsv } from "../../lib/core/csv";
import { PROJECT_ROOT } from "../../lib/core/paths";
import { checkArgs, flagTable, scriptCommand } from "../../lib/search/emit/index";
import { POINT_COLUMNS } from "../../lib/search/report";

const BIN = path.join(PROJECT_ROOT, "bin", "mantile.js");
const SMALL = ["--model", "meta-llama/Llama-3.1-8B", "--hardware", "h100", "--gpus", "2", "--isl", "512", "--osl", "128", "--engines", "vllm", "--precisions", "fp8", "--max-simulations", "4", "--quiet"];
const mantile = (args: string[]) => spawnSync("node", [BIN, "search", ...args], { encoding: "utf8", cwd: os.tmpdir(), timeout: 180_000 });

describe("mantile search", () => {
  it("prints the frontier, writes every point to --out and the chosen point's vllm serve to --emit", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-search-"));
    const csv = path.join(dir, "frontier.csv");
    const r = mantile([...SMALL, "--tpot", "30ms", "--jobs", "1", "--out", csv, "--emit", "vllm", "--emit-dir", dir]);
    expect(r.stderr).toMatch(/launch config \(vllm, vllm fp8 TP\d .*\) → .*vllm-serve\.sh/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^meta-llama\/llama-3.1-8b on 2 × h100-sxm/);
    expect(r.stdout).toMatch(/frontier \(throughput per GPU against tokens\/s per user/);
    expect(r.stdout).toMatch(/chosen: vllm fp8 /);
    const { columns, rows } = readCsv(csv);
    expect(columns).toEqual([...POINT_COLUMNS]);
    expect(rows.filter((x) => x.chosen === "true")).toHaveLength(1);
    expect(rows[0].on_frontier).toBe("true");
    const argv = scriptCommand(fs.readFileSync(path.join(dir, "vllm-serve.sh"), "utf8")).slice(1);
    expect(checkArgs(flagTable("vllm"), argv)).toEqual([]);
  }, 180_000);

  it("gives the same answer on worker threads as in one thread (--json)", () => {
    const one = mantile([...SMALL, "--jobs", "1", "--json"]);
    const two = mantile([...SMALL, "--jobs", "2", "--json"]);
    expect(one.status).toBe(0);
    expect(two.status).toBe(0);
    const a = JSON.parse(one.stdout);
    const b = JSON.parse(two.stdout);
    expect(b.jobs).toBe(2);
    const view = (x: { frontier: { id: string; throughputPerGpu: number; tokPerUser: number }[]; counts: unknown }) => ({ counts: x.counts, frontier: x.frontier.map((f) => [f.id, f.throughputPerGpu, f.tokPerUser]) });
    expect(view(b)).toEqual(view(a));
  }, 180_000);

  it("exits 3 when no point meets the SLOs, saying which came closest", () => {
    const r = mantile([...SMALL, "--tpot", "10us", "--jobs", "1"]);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/no simulated point meets the SLOs/);
  }, 180_000);

  it("exits 2 on bad input, naming the flag", () => {
    const gpus = mantile(["--model", "meta-llama/Llama-3.1-8B", "--hardware", "h100", "--gpus", "0", "--isl", "1", "--osl", "1"]);
    expect(gpus.status).toBe(2);
    expect(gpus.stderr).toMatch(/mantile search: --gpus must be a whole number ≥ 1 \(got "0"\)/);
    const tpot = mantile([...SMALL, "--tpot", "5 parsecs"]);
    expect(tpot.status).toBe(2);
    expect(tpot.stderr).toMatch(/--tpot must be a duration > 0 \(seconds, or e\.g\. 500ms; got "5 parsecs"\)/);
    const missing = mantile(["--model", "meta-llama/Llama-3.1-8B"]);
    expect(missing.stderr).toMatch(/--hardware is required/);
  }, 60_000);
});
