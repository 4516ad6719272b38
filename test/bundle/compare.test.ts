import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { compareRunFiles, compareRuns, comparisonTable, exportBundle, loadRun, pinRow, writeBundle, type RunRecord } from "../../lib/bundle";
import { PROJECT_ROOT } from "../../lib/core/paths";
import { ConfigRow } from "../../lib/reconcile/standard";

const BIN = path.join(PROJECT_ROOT, "bin", "mantile.js");

/** Two tiny fake runs: every delta below is computed by hand. */
const A: RunRecord = {
  label: "A", source: "fake-a",
  prediction: { throughputPerGpu: 1000, outputThroughputPerGpu: 500, ttft: 0.1, p99Ttft: 0.4, tpot: 0.02, e2e: 4, bottleneck: "memory", memory: { weightsPerGpuGB: 40, kvPoolPerGpuGB: 100, kvCapacityTokens: 1_000_000 } },
  inputs: { hardware: "b200", tp: 2, calibration: "none", seed: 1 },
};
const B: RunRecord = {
  label: "B", source: "fake-b",
  prediction: { throughputPerGpu: 1250, outputThroughputPerGpu: 600, ttft: 0.08, p99Ttft: 0.5, tpot: 0.025, e2e: 4, bottleneck: "compute", memory: { weightsPerGpuGB: 20, kvPoolPerGpuGB: 120, kvCapacityTokens: 2_500_000 } },
  inputs: { hardware: "b200", tp: 4, calibration: "none", extra: true },
};

describe("compareRuns on hand-made runs", () => {
  const c = compareRuns(A, B);
  const m = (k: string) => c.metrics.find((x) => x.key === k)!;

  it("absolute and % deltas (B − A, relative to A)", () => {
    expect(m("throughputPerGpu")).toMatchObject({ a: 1000, b: 1250, delta: 250, deltaPct: 25, better: "b" });
    expect(m("outputThroughputPerGpu")).toMatchObject({ delta: 100, deltaPct: 20, better: "b" });
    // TTFT 0.1 → 0.08 s: −0.02 s, −20%; lower is better.
    expect(m("ttft").delta).toBeCloseTo(-0.02, 12);
    expect(m("ttft").deltaPct).toBeCloseTo(-20, 9);
    expect(m("ttft").better).toBe("b");
    // p99 TTFT 0.4 → 0.5: +25%, A better.
    expect(m("p99Ttft").deltaPct).toBeCloseTo(25, 9);
    expect(m("p99Ttft").better).toBe("a");
    // TPOT 0.02 → 0.025: +25%, A better.
    expect(m("tpot").deltaPct).toBeCloseTo(25, 9);
    expect(m("tpot").better).toBe("a");
    // E2E equal.
    expect(m("e2e")).toMatchObject({ delta: 0, deltaPct: 0, better: "same" });
    // Memory: deltas, no "better".
    expect(m("memory.weightsPerGpuGB")).toMatchObject({ a: 40, b: 20, delta: -20, deltaPct: -50, better: null });
    expect(m("memory.kvPoolPerGpuGB")).toMatchObject({ delta: 20, deltaPct: 20, better: null });
    expect(m("memory.kvCapacityTokens")).toMatchObject({ delta: 1_500_000, deltaPct: 150 });
    // No prefill pool on either side: not listed.
    expect(c.metrics.find((x) => x.key.startsWith("prefillMemory"))).toBeUndefined();
  });

  it("bottleneck and the inputs that differ", () => {
    expect(c.bottleneck).toEqual({ a: "memory", b: "compute", changed: true });
    expect(c.inputs).toEqual([
      { key: "tp", a: 2, b: 4 },
      { key: "seed", a: 1, b: null },
      { key: "extra", a: null, b: true },
    ]);
  });

  it("a zero baseline has no % delta", () => {
    const z = compareRuns({ ...A, prediction: { ...A.prediction, ttft: 0 } }, B);
    expect(z.metrics.find((x) => x.key === "ttft")!.deltaPct).toBeNull();
  });

  it("renders a table with ms for TTFT/TPOT, s for E2E, signs and the bottleneck", () => {
    const t = comparisonTable(c);
    expect(t).toMatch(/throughput\/GPU\s+tokens\/s\/GPU\s+1,000\s+1,250\s+\+250\s+\+25\.0%\s+B better/);
    expect(t).toMatch(/TTFT mean\s+ms\s+100\s+80\s+−20\s+−20\.0%\s+B better/);
    expect(t).toMatch(/E2E mean\s+s\s+4\s+4\s+0\s+0\.0%\s+same/);
    expect(t).toMatch(/bottleneck\s+memory\s+compute\s+changed/);
    expect(t).toMatch(/tp\s+A 2\s+→\s+B 4/);
  });
});

describe("comparing real pinned runs", () => {
  const raw = { model: "openai/gpt-oss-120b", gpu_model: "b200", framework: "vllm", precision: "fp4", input_seq_len: "1024", output_seq_len: "256", tensor_parallel: "2", expert_parallel: "1", dp_attention: "false", concurrency: "8" };

  it("a bundle and the CSV row it came from are identical; TP2 vs TP4 differs in plan, GPUs and memory", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-runs-"));
    const csv = path.join(dir, "rows.csv");
    const cols = Object.keys(raw);
    const tp4 = { ...raw, tensor_parallel: "4" };
    fs.writeFileSync(csv, [cols.join(","), cols.map((k) => raw[k as keyof typeof raw]).join(","), cols.map((k) => tp4[k as keyof typeof tp4]).join(",")].join("\n") + "\n");
    const bundle = path.join(dir, "tp2.json");
    writeBundle(bundle, exportBundle(pinRow(ConfigRow.parse(raw), {}, raw), { source: { kind: "csv", file: csv, row: 1 } }));

    const same = compareRunFiles(bundle, `${csv}:1`);
    for (const x of same.metrics) expect(x.delta, x.key).toBe(0);
    expect(same.inputs).toEqual([]);
    expect(same.bottleneck.changed).toBe(false);

    const d = compareRuns(loadRun(`${csv}#1`), loadRun(`${csv}:2`));
    expect(d.inputs.map((x) => x.key)).toEqual(expect.arrayContaining(["gpus_counted", "plan.attention", "plan.moe", "plan.ffn_tp"]));
    const w = d.metrics.find((x) => x.key === "memory.weightsPerGpuGB")!;
    // TP4 shards the weights twice as thin (norms and router are replicated, so slightly less than −50%).
    expect(w.deltaPct!).toBeLessThan(-45);
    expect(w.deltaPct!).toBeGreaterThanOrEqual(-50);

    // CLI: the same comparison as text and as JSON.
    const r = spawnSync("node", [BIN, "runs", "compare", bundle, `${csv}:2`, "--json"], { encoding: "utf8", cwd: os.tmpdir() });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.metrics.find((x: { key: string }) => x.key === "memory.weightsPerGpuGB").deltaPct).toBeCloseTo(w.deltaPct!, 9);
    const t = spawnSync("node", [BIN, "runs", "compare", bundle, `${csv}:2`], { encoding: "utf8", cwd: os.tmpdir() });
    expect(t.stdout).toMatch(/weights\/GPU\s+GB/);
    expect(t.stdout).toMatch(/gpus_counted\s+A 2\s+→\s+B 4/);
    const bad = spawnSync("node", [BIN, "runs", "compare", `${csv}:7`, bundle], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/row 7 does not exist \(the CSV has 2 data rows/);
  });
});
