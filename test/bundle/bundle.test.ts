import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { BUNDLE_SCHEMA, bundleToPinned, exportBundle, parseBundle, pinRow, predictBundle, predictPinned, readBundle, writeBundle, type Bundle } from "../../lib/bundle";
import { main } from "../../lib/cli/main";
import { PROJECT_ROOT } from "../../lib/core/paths";
import { predictConfig, type RowPrediction } from "../../lib/reconcile/predict";
import { ConfigRow } from "../../lib/reconcile/standard";

const BIN = path.join(PROJECT_ROOT, "bin", "mantile.js");
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "mantile-bundle-"));
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

const AGG = { model: "openai/gpt-oss-120b", gpu_model: "b200", framework: "vllm", precision: "fp4", input_seq_len: "1024", output_seq_len: "1024", tensor_parallel: "2", expert_parallel: "1", dp_attention: "false", concurrency: "16" };
const DISAGG = {
  model: "openai/gpt-oss-120b", gpu_model: "gb200", framework: "dynamo-trt", precision: "fp4", input_seq_len: "1024", output_seq_len: "1024", concurrency: "8", disagg: "true",
  prefill_tp: "1", prefill_ep: "1", prefill_num_workers: "1", decode_tp: "4", decode_ep: "1", decode_num_workers: "1", num_prefill_gpu: "1", num_decode_gpu: "4",
};

function expectSame(direct: Pick<RowPrediction, "throughputPerGpu" | "outputThroughputPerGpu" | "ttft" | "p99Ttft" | "tpot" | "e2e" | "bottleneck">, p: typeof direct) {
  // Bit-identical: toBe is Object.is on numbers.
  for (const k of ["throughputPerGpu", "outputThroughputPerGpu", "ttft", "p99Ttft", "tpot", "e2e", "bottleneck"] as const) expect(p[k], k).toBe(direct[k]);
}

describe("export → predict --bundle is bit-identical to the direct prediction", () => {
  const MTP = { model: "deepseek-ai/DeepSeek-R1-0528", gpu_model: "b200", framework: "trt", precision: "fp4", input_seq_len: "1024", output_seq_len: "256", tensor_parallel: "8", expert_parallel: "8", dp_attention: "false", concurrency: "8", spec_decoding: "mtp" };
  for (const [name, raw] of [["aggregated TP2 with kernel tables", AGG], ["disaggregated (Dynamo) 1P/4D", DISAGG], ["DeepSeek-R1 TP8 EP8 with MTP speculative decoding", MTP]] as const) {
    it(name, () => {
      const row = ConfigRow.parse(raw);
      const direct = predictConfig(row);
      const dir = tmp();
      const file = path.join(dir, "run.json");
      writeBundle(file, exportBundle(pinRow(row, {}, raw), { source: { kind: "api" } }));
      const r = predictBundle(readBundle(file));
      expectSame(direct, r.prediction);
      expect(r.reproduced).toBe(true);
      expect(r.differences).toEqual([]);
      expect(r.warnings).toEqual([]);
    });
  }

  it("through the CLI: mantile export, then mantile predict --bundle --json (separate processes)", () => {
    const row = ConfigRow.parse(AGG);
    // Calibration pinned to none so the test does not depend on which profiles data/calibration holds.
    const direct = predictConfig(row, { calibration: "none" });
    const dir = tmp();
    const file = path.join(dir, "run.json");
    const ex = spawnSync("node", [BIN, "export", "--model", "openai/gpt-oss-120b", "--hardware", "b200", "--engine", "vllm", "--precision", "fp4", "--tp", "2", "--isl", "1024", "--osl", "1024", "--concurrency", "16", "--calibration", "none", "--out", file], { encoding: "utf8", cwd: os.tmpdir() });
    expect(ex.status, ex.stderr).toBe(0);
    expect(ex.stdout).toMatch(/wrote .*run\.json \(mantile\.bundle\/v1/);
    const b = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(b.schema).toBe("mantile.bundle/v1");
    expect(b.hardware.id).toBe("b200");
    expect(b.engine.id).toBe("vllm");
    expect(b.model.config.num_hidden_layers).toBe(36);
    expect(b.model.summary.blocks).toBe(36);
    expect(b.run.seed).toBe(1);
    expect(b.calibration).toBeNull();
    const pr = spawnSync("node", [BIN, "predict", "--bundle", file, "--json"], { encoding: "utf8", cwd: os.tmpdir() });
    expect(pr.status, pr.stderr).toBe(0);
    const j = JSON.parse(pr.stdout);
    expectSame(direct, j.prediction);
    expect(j.reproduced).toBe(true);
    // Plain text mode says so too, and --output writes a one-row predicted CSV.
    const out = path.join(dir, "pred.csv");
    const pt = spawnSync("node", [BIN, "predict", "--bundle", file, "--output", out], { encoding: "utf8", cwd: os.tmpdir() });
    expect(pt.stdout).toMatch(/reproduces the exported prediction exactly/);
    const csv = fs.readFileSync(out, "utf8").trim().split("\n");
    expect(csv).toHaveLength(2);
    expect(csv[0]).toMatch(/^model,gpu_model,.*predicted_throughput_per_gpu/);
    expect(csv[1]).toContain(String(direct.throughputPerGpu));
  });

  it("still identical when data/ is changed in a copy of the project (hardware, engine, efficiency defaults, model config, a calibration profile)", () => {
    const row = ConfigRow.parse(AGG);
    const direct = predictConfig(row);
    const dir = tmp();
    const bundleFile = path.join(dir, "run.json");
    writeBundle(bundleFile, exportBundle(pinRow(row, {}, AGG)));
    // A copy of the project whose data/ differs; node_modules and the (large, hash-pinned) kernel tables are linked.
    const copy = path.join(dir, "project");
    fs.mkdirSync(copy);
    for (const f of ["package.json", "tsconfig.json"]) fs.copyFileSync(path.join(PROJECT_ROOT, f), path.join(copy, f));
    for (const d of ["lib", "bin"]) fs.cpSync(path.join(PROJECT_ROOT, d), path.join(copy, d), { recursive: true });
    fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(copy, "node_modules"));
    fs.cpSync(path.join(PROJECT_ROOT, "data"), path.join(copy, "data"), { recursive: true, filter: (src) => !src.startsWith(path.join(PROJECT_ROOT, "data", "kernels")) });
    fs.symlinkSync(path.join(PROJECT_ROOT, "data", "kernels"), path.join(copy, "data", "kernels"));
    const edit = (rel: string, f: (j: Record<string, any>) => void) => {
      const file = path.join(copy, "data", rel);
      const j = JSON.parse(fs.readFileSync(file, "utf8"));
      f(j);
      fs.writeFileSync(file, JSON.stringify(j, null, 2));
    };
    edit("hardware/b200.json", (j) => (j.memory.bandwidth_tbps.value /= 2));
    edit("engines/vllm.json", (j) => (j.step_overhead_ms.value = 4));
    edit("efficiency/defaults.json", (j) => (j.factors.memory_bandwidth.value = 0.6));
    edit("models/openai_gpt-oss-120b.json", (j) => (j.num_experts_per_tok = 8));
    fs.mkdirSync(path.join(copy, "data", "calibration"), { recursive: true });
    fs.writeFileSync(path.join(copy, "data", "calibration", "b200-vllm.json"), JSON.stringify({
      schema: "mantile.calibration/v1", name: "b200-vllm", hardware: "b200", engine: "vllm", created: "2026-01-01",
      data: { file: "x.csv", rows: 1, configurations: 1, filter: "x" }, objective: "x",
      parameters: { request_overhead_ms: { value: 150, unit: "ms", min: 0, max: 200, sd: null } }, in_sample_mape: {}, cross_validation: {},
    }));
    const bin = path.join(copy, "bin", "mantile.js");
    const pr = spawnSync("node", [bin, "predict", "--bundle", bundleFile, "--json"], { encoding: "utf8", cwd: dir });
    expect(pr.status, pr.stderr).toBe(0);
    const j = JSON.parse(pr.stdout);
    expectSame(direct, j.prediction);
    expect(j.reproduced).toBe(true);
    expect(j.warnings).toEqual([]);
    // The same configuration predicted directly in the copy reads the edited data/ and differs.
    const ex = spawnSync("node", [bin, "export", "--model", "openai/gpt-oss-120b", "--hardware", "b200", "--precision", "fp4", "--tp", "2", "--isl", "1024", "--osl", "1024", "--concurrency", "16", "--out", path.join(dir, "direct.json")], { encoding: "utf8", cwd: dir });
    expect(ex.status, ex.stderr).toBe(0);
    const changed = JSON.parse(fs.readFileSync(path.join(dir, "direct.json"), "utf8"));
    expect(changed.calibration.name).toBe("b200-vllm");
    expect(changed.prediction.tpot_sec).not.toBe(direct.tpot);
    expect(changed.prediction.ttft_sec).toBeGreaterThan(direct.ttft + 0.1);
  });
});

describe("the bundle's contents are what the prediction uses", () => {
  const row = ConfigRow.parse(AGG);
  const bundle = () => exportBundle(pinRow(row, { useKernelTables: false, calibration: "none" }, AGG));

  it("editing hardware, engine, efficiency, calibration or overrides in the bundle changes the result (and says it differs from the export)", () => {
    const b0 = bundle();
    const base = predictBundle(b0).prediction;
    const edits: [string, (b: Bundle) => void, (p: typeof base) => boolean][] = [
      ["hardware HBM bandwidth ×0.5", (b) => (b.hardware.memory.bandwidth_tbps.value *= 0.5), (p) => p.tpot > base.tpot],
      ["engine step overhead 1.5 → 5 ms", (b) => (b.engine.step_overhead_ms.value = 5), (p) => p.tpot > base.tpot],
      ["efficiency default memory_bandwidth 0.8 → 0.6", (b) => (b.efficiency.memory_bandwidth.value = 0.6), (p) => p.tpot > base.tpot],
      ["calibration profile request_overhead_ms = 100", (b) => (b.calibration = { name: "edited", description: "test", parameters: { request_overhead_ms: 100 } }), (p) => p.ttft > base.ttft + 0.08],
      ["override memory_bandwidth = 0.95", (b) => (b.overrides = { memory_bandwidth: 0.95 }), (p) => p.tpot < base.tpot],
      ["model IR: experts per token 4 → 8", (b) => b.model.ir.layers.forEach((l) => l.moe && ((l.moe as { topk: number }).topk = 8)), (p) => p.tpot > base.tpot],
    ];
    for (const [what, edit, ok] of edits) {
      const b = clone(b0);
      edit(b);
      const r = predictBundle(parseBundle(clone(b)));
      expect(ok(r.prediction), what).toBe(true);
      expect(r.reproduced, what).toBe(false);
      expect(r.differences.length, what).toBeGreaterThan(0);
    }
  });

  it("an edited IR is flagged against model.summary.ir_sha256; a changed kernel table against its pinned sha256", () => {
    const b = clone(bundle());
    b.model.ir.layers.forEach((l) => l.moe && ((l.moe as { topk: number }).topk = 8));
    expect(predictBundle(b).warnings.join(" ")).toMatch(/model\.ir differs from model\.summary\.ir_sha256/);
    const t = exportBundle(pinRow(row, {}, AGG));
    expect(t.kernel_tables!.files.map((f) => f.path)).toContain("data/kernels/b200_sxm/vllm/gemm.json");
    t.kernel_tables!.files[0].sha256 = "0".repeat(64);
    expect(predictBundle(t).warnings.join(" ")).toMatch(/kernel tables differ from the export.*\(changed\)/);
  });

  it("bundleToPinned → predictPinned equals the export-time prediction", () => {
    const b = bundle();
    const p = predictPinned(bundleToPinned(b));
    expect(p.throughputPerGpu).toBe(b.prediction.throughput_per_gpu);
    expect(p.memory.weightsPerGpuGB).toBe(b.prediction.memory.weights_per_gpu_gb);
  });
});

describe("old, unknown or incomplete bundles are refused with the field and the fix", () => {
  const good = () => clone(exportBundle(pinRow(ConfigRow.parse(AGG), { useKernelTables: false }, AGG))) as Record<string, any>;
  const refuse = (b: unknown) => {
    try {
      parseBundle(b, "bundle x.json");
    } catch (e) {
      expect((e as Error).name).toBe("InputError");
      return (e as Error).message;
    }
    throw new Error("accepted");
  };

  it("a bundle written before the moe_overlap and moe_routing_skew factors existed reads them at their library defaults, recorded as defaults", () => {
    const b = good();
    expect(b.efficiency.moe_overlap).toBeDefined();
    delete b.efficiency.moe_overlap;
    delete b.efficiency.moe_routing_skew;
    const parsed = parseBundle(b, "bundle x.json");
    expect(parsed.efficiency.moe_overlap.value).toBe(1); // data/efficiency/defaults.json: 1 = the ideal roofline
    expect(parsed.efficiency.moe_overlap.kind).toBe("default");
    expect(parsed.efficiency.moe_routing_skew.value).toBe(0); // 0 = uniform routing
    expect(parsed.efficiency.moe_routing_skew.kind).toBe("default");
    // Any other missing factor is still refused by name.
    delete b.efficiency.moe_compute;
    expect(refuse(b)).toMatch(/moe_compute/);
  });
  it('schema "mantile.bundle/v0"', () => {
    const b = good();
    b.schema = "mantile.bundle/v0";
    const m = refuse(b);
    expect(m).toMatch(/field "schema" is "mantile\.bundle\/v0"/);
    expect(m).toMatch(/reads "mantile\.bundle\/v1"/);
    expect(m).toMatch(/fix: re-export the run with `mantile export/);
  });
  it("a newer schema, a missing schema, a foreign one", () => {
    const b = good();
    b.schema = "mantile.bundle/v2";
    expect(refuse(b)).toMatch(/field "schema" is "mantile\.bundle\/v2", written by a newer Mantile.*fix: upgrade Mantile/);
    delete b.schema;
    expect(refuse(b)).toMatch(/field "schema" is missing.*"schema": "mantile\.bundle\/v1".*fix:/);
    b.schema = "mantile.calibration/v1";
    expect(refuse(b)).toMatch(/not a Mantile bundle schema/);
    expect(refuse([1, 2])).toMatch(/not a Mantile bundle/);
  });
  it("a missing top-level or nested field is named", () => {
    const b = good();
    delete b.hardware;
    const m = refuse(b);
    expect(m).toMatch(/field "hardware": missing \(required\)/);
    expect(m).toMatch(/fix: re-export the run with `mantile export/);
    const c = good();
    delete c.hardware.memory.bandwidth_tbps;
    expect(refuse(c)).toMatch(/field "hardware\.memory\.bandwidth_tbps": missing/);
    const d = good();
    delete d.run.seed;
    expect(refuse(d)).toMatch(/field "run\.seed": missing/);
    const e = good();
    e.overrides = { memory_bandwith: 0.9 };
    expect(refuse(e)).toMatch(/field "overrides\.memory_bandwith": unknown parameter/);
  });
  it("the CLI exits 2 with the message on stderr", async () => {
    const dir = tmp();
    const file = path.join(dir, "old.json");
    const b = good();
    b.schema = "mantile.bundle/v0";
    fs.writeFileSync(file, JSON.stringify(b));
    const r = spawnSync("node", [BIN, "predict", "--bundle", file], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/mantile predict: bundle .*old\.json: field "schema" is "mantile\.bundle\/v0"/);
    expect(r.stdout).toBe("");
    expect(BUNDLE_SCHEMA).toBe("mantile.bundle/v1");
    expect(typeof main).toBe("function");
  });
});
