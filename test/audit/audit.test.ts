import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { auditCsv, auditPinned, auditPrediction, auditTable, listAssumptions, type AuditLog } from "../../lib/audit/index";
import { pinRow, predictPinned, resolvePinned } from "../../lib/bundle/run";
import { typicalDecodeStep } from "../../lib/run/predict";
import { attentionWindows as windowsOf } from "../../lib/model/build";
import { decodeBatch } from "../../lib/cost/batch";
import { calibrationFromFile, type CalibrationFile } from "../../lib/calibration/profile";
import { predictConfig } from "../../lib/reconcile/predict";
import { ConfigRow } from "../../lib/reconcile/standard";
import { withFactors } from "../../lib/calibration/efficiency";
import { buildStepModel } from "../../lib/step/build";

/** One client, short requests, roofline only: every decode step is memory-bound and the engine is idle whenever a request arrives. */
const light = ConfigRow.parse({ model: "meta-llama/Llama-3.1-8B", gpu_model: "h100", framework: "vllm", precision: "bf16", input_seq_len: "256", output_seq_len: "256", tensor_parallel: "1", concurrency: "1" });
const ROOFLINE = { useKernelTables: false as const, calibration: "none" as const };

describe("±20% impacts with a sign and size derived by hand", () => {
  it("memory_bandwidth: +20% (clamped to 0.95) lowers TPOT of a memory-bound decode by share_bytes · (1 − 0.8/0.95); −20% raises it by share_bytes · (0.8/0.64 − 1)", () => {
    const log = auditPrediction(light, { ...ROOFLINE, only: ["efficiency.memory_bandwidth"], alternatives: false });
    const e = log.entries.find((x) => x.param === "efficiency.memory_bandwidth")!;
    const imp = e.impact!;
    expect(imp.base).toBe(0.8);
    // 0.8 × 1.2 = 0.96 is above the factor's physical bound 0.95: clamped, and said so.
    expect(imp.upper).toMatchObject({ value: 0.95, clamped: true, bound: 0.95 });
    expect(imp.lower.clamped).toBe(false);
    expect(imp.lower.value).toBeCloseTo(0.64, 12);
    expect(e.note).toMatch(/\+20% clamped to bound 0\.95/);
    expect(imp.upper.change!.tpot).toBeLessThan(0);
    expect(imp.upper.change!.throughput).toBeGreaterThan(0);
    expect(imp.lower.change!.tpot).toBeGreaterThan(0);
    expect(imp.lower.change!.throughput).toBeLessThan(0);

    // By hand: a decode step is Σ_ops (bytes / (BW · e) + latency + launch gap) + host overhead, every op memory-bound.
    // Only the bytes term scales with e, so ΔTPOT/TPOT = −s · (1 − e/e′) with s = bytes-term share of the step.
    // The step time is linear in context, so the step at the mean context gives the mean TPOT's share.
    const p = log.prediction!;
    const r = resolvePinned(pinRow(light, ROOFLINE));
    const t = typicalDecodeStep(r.aggregated!, 1, p.meanInput, p.meanOutput);
    const plan = r.aggregated!.plan;
    const bd = buildStepModel(r.model, r.hardware, plan, "decode", r.engine, r.efficiency, false).breakdown(decodeBatch(1, t.context, windowsOf(r.model)));
    expect(bd.ops.every((o) => o.time.bound === "memory")).toBe(true);
    const latency = r.efficiency.memory_latency_us.value / 1e6;
    const bytesTerm = bd.ops.reduce((s, o) => s + o.op.layers * (o.time.memory - latency), 0);
    const share = bytesTerm / bd.total;
    expect(share).toBeGreaterThan(0.3);
    expect(share).toBeLessThan(1);
    expect(imp.upper.change!.tpot).toBeCloseTo(-100 * share * (1 - 0.8 / 0.95), 2);
    expect(imp.lower.change!.tpot).toBeCloseTo(100 * share * (0.8 / 0.64 - 1), 2);
    // And the same model built directly with e = 0.95 agrees.
    const bd95 = buildStepModel(r.model, r.hardware, plan, "decode", r.engine, withFactors(r.efficiency, { memory_bandwidth: 0.95 }, "override", "test"), false).breakdown(decodeBatch(1, t.context, windowsOf(r.model)));
    expect(imp.upper.change!.tpot).toBeCloseTo(100 * (bd95.total / bd.total - 1), 2);
  });

  it("request_overhead_ms: ±20% of 10 ms moves TTFT and E2E by exactly ±2 ms and leaves TPOT unchanged in a light closed loop", () => {
    // With one client the engine is idle when the request enters (arrival + request overhead), so
    // TTFT = request_overhead + prefill time and every later step shifts by the same amount.
    const log = auditPrediction(light, { ...ROOFLINE, only: ["engine.request_overhead_ms"], alternatives: false });
    const e = log.entries.find((x) => x.param === "engine.request_overhead_ms")!;
    const p = log.prediction!;
    expect(e.impact!.base).toBe(10);
    expect(e.kind).toBe("uncertain");
    const plus = e.impact!.upper.change!;
    const minus = e.impact!.lower.change!;
    expect((plus.ttft / 100) * p.ttft).toBeCloseTo(0.002, 9);
    expect((minus.ttft / 100) * p.ttft).toBeCloseTo(-0.002, 9);
    expect((plus.e2e / 100) * p.e2e).toBeCloseTo(0.002, 9);
    expect(plus.tpot).toBeCloseTo(0, 9);
    expect(minus.tpot).toBeCloseTo(0, 9);
    expect(plus.throughput).toBeLessThan(0);
    expect(minus.throughput).toBeGreaterThan(0);
  });

  it("HBM bandwidth −20% (a modified hardware profile) equals memory_bandwidth −20% on the roofline: both scale BW·e by 0.8", () => {
    const log = auditPrediction(light, { ...ROOFLINE, only: ["efficiency.memory_bandwidth", "hardware.memory.bandwidth_tbps"], alternatives: false });
    const eff = log.entries.find((x) => x.param === "efficiency.memory_bandwidth")!.impact!.lower.change!;
    const hbm = log.entries.find((x) => x.param === "hardware.memory.bandwidth_tbps")!.impact!.lower.change!;
    for (const k of ["throughput", "ttft", "tpot", "e2e"] as const) expect(hbm[k]).toBeCloseTo(eff[k], 6);
  });
});

describe("audit log contents", () => {
  let log: AuditLog;
  beforeAll(() => {
    log = auditPinned(pinRow(light, ROOFLINE));
  });

  it("returns the prediction unchanged (same numbers as predictConfig)", () => {
    const d = predictConfig(light, ROOFLINE);
    expect(log.prediction!.throughputPerGpu).toBe(d.throughputPerGpu);
    expect(log.prediction!.ttft).toBe(d.ttft);
    expect(log.prediction!.tpot).toBe(d.tpot);
    expect(log.prediction!.e2e).toBe(d.e2e);
  });

  it("lists defaults, uncertain engine figures, hardware peaks, calibration, kernel tables and every mapping assumption with provenance", () => {
    const params = log.entries.map((e) => e.param);
    for (const p of ["efficiency.memory_bandwidth", "efficiency.gemm_compute", "engine.step_overhead_ms", "engine.request_overhead_ms", "engine.max_num_seqs", "hardware.memory.bandwidth_tbps", "hardware.dense_tflops"]) expect(params).toContain(p);
    // TP1: no scale-up traffic, so its bandwidth is not perturbed.
    expect(params).not.toContain("hardware.scale_up.bandwidth_gbps_unidir");
    expect(log.entries.find((e) => e.param === "efficiency.gemm_compute")!.kind).toBe("default");
    expect(log.entries.find((e) => e.param === "efficiency.gemm_compute")!.provenance).toMatch(/data\/efficiency\/defaults\.json/);
    const cal = log.entries.find((e) => e.kind === "calibration-profile")!;
    expect(cal.value).toBe("none");
    const tables = log.entries.find((e) => e.kind === "kernel-tables")!;
    expect(tables.value).toMatch(/not used/);
    const mappings = log.entries.filter((e) => e.kind === "mapping").map((e) => e.what);
    const convert = pinRow(light, ROOFLINE).assumptions.map((a) => a.what);
    expect(mappings).toEqual(convert);
    expect(mappings).toContain("KV-cache dtype");
    for (const e of log.entries) expect(e.provenance.length).toBeGreaterThan(3);
  });

  it("sorts numeric entries by impact and renders a table", () => {
    const numeric = log.entries.filter((e) => e.param !== null);
    for (let i = 1; i < numeric.length; i++) expect(numeric[i - 1].score).toBeGreaterThanOrEqual(numeric[i].score);
    expect(numeric[0].score).toBeGreaterThan(1);
    const text = auditTable(log);
    expect(text).toMatch(/sorted by impact/);
    expect(text).toMatch(/memory_bandwidth\s+0\.8 fraction\s+efficiency\/default/);
    expect(text).toMatch(/clamped \+/);
    expect(text).toMatch(/Mapping assumptions/);
    // One base run, plus one per perturbation that moves the value: ×0.8 and ×1.2, except where the bound clamps it
    // back to the value itself (e.g. moe_overlap at its upper bound 1: +20% is 1 again, nothing to run).
    const moved = numeric.flatMap((e) => (e.impact ? [e.impact.lower, e.impact.upper].filter((x) => x.value !== e.impact!.base) : []));
    expect(log.entries.find((e) => e.param === "efficiency.moe_overlap")?.impact?.upper.value).toBe(1);
    expect(log.timing.runs).toBe(1 + moved.length);
  });

  it("with a calibration: fitted parameters are kind calibration, and the profile entry shows the prediction without it", () => {
    const file: CalibrationFile = {
      schema: "mantile.calibration/v1", name: "test-h100-vllm", hardware: "h100-sxm", engine: "vllm", created: "2026-01-01",
      data: { file: "test.csv", rows: 1, configurations: 1, filter: "test" }, objective: "test",
      parameters: { memory_bandwidth: { value: 0.9, unit: "fraction", min: 0.5, max: 0.95, sd: null }, step_overhead_ms: { value: 3, unit: "ms", min: 0.1, max: 10, sd: null } },
      in_sample_mape: {}, cross_validation: {},
    };
    const cal = calibrationFromFile(file, "test");
    const l = auditPinned(pinRow(light, { useKernelTables: false, calibration: cal }), { only: ["efficiency.memory_bandwidth", "engine.step_overhead_ms"] });
    const mb = l.entries.find((e) => e.param === "efficiency.memory_bandwidth")!;
    expect(mb.kind).toBe("calibration");
    expect(mb.value).toBe("0.9");
    // 0.9 × 1.2 = 1.08 → clamped to 0.95.
    expect(mb.impact!.upper).toMatchObject({ value: 0.95, clamped: true });
    expect(l.entries.find((e) => e.param === "engine.step_overhead_ms")!.kind).toBe("calibration");
    const prof = l.entries.find((e) => e.kind === "calibration-profile")!;
    expect(prof.value).toMatch(/test-h100-vllm: memory_bandwidth=0\.9, step_overhead_ms=3/);
    expect(prof.alternative!.label).toMatch(/without calibration/);
    // Dropping the calibration lowers memory efficiency 0.9 → 0.8 and step overhead 3 → 1.5 ms: the net TPOT change is computed, not assumed.
    const none = predictPinned(pinRow(light, ROOFLINE));
    expect(prof.alternative!.change!.tpot).toBeCloseTo((100 * (none.tpot - l.prediction!.tpot)) / l.prediction!.tpot, 9);
    // Calibrated prediction equals predictConfig with the same profile.
    expect(l.prediction!.tpot).toBe(predictConfig(light, { useKernelTables: false, calibration: cal }).tpot);
  });

  it("with measured kernel tables: reports table / extrapolated / roofline shares and the roofline-only alternative", () => {
    const row = ConfigRow.parse({ model: "openai/gpt-oss-120b", gpu_model: "b200", framework: "vllm", precision: "fp4", input_seq_len: "1024", output_seq_len: "128", tensor_parallel: "2", concurrency: "4" });
    const l = auditPinned(pinRow(row, { calibration: "none" }), { only: ["efficiency.memory_bandwidth"] });
    expect(l.coverage).toHaveLength(4);
    for (const c of l.coverage) expect(c.tableShare + c.extrapolatedShare + c.rooflineShare).toBeCloseTo(1, 9);
    expect(l.coverage.some((c) => c.tableShare > 0)).toBe(true);
    const t = l.entries.find((e) => e.kind === "kernel-tables")!;
    expect(t.value).toMatch(/% table, \d+% extrapolated, \d+% roofline/);
    expect(t.provenance).toMatch(/data\/kernels\/b200_sxm\/vllm/);
    expect(t.alternative!.label).toMatch(/roofline only/);
    expect(t.alternative!.change).not.toBeNull();
    expect(l.entries.find((e) => e.param === "efficiency.memory_bandwidth")!.note).toMatch(/roofline-timed ops only/);
  });
});

describe("assumptions of every row of a CSV (predict --audit sidecar)", () => {
  it("lists each row's assumptions without re-simulating; a bad row gets its error", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-audit-"));
    const input = path.join(dir, "in.csv");
    fs.writeFileSync(input, ["model,gpu_model,framework,precision,input_seq_len,output_seq_len,tensor_parallel,concurrency", "openai/gpt-oss-120b,b200,vllm,fp4,1024,1024,2,64", "openai/gpt-oss-120b,tpu-v9,vllm,fp4,1024,1024,2,64"].join("\n") + "\n");
    const t0 = Date.now();
    const set = auditCsv(input);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(set.schema).toBe("mantile.audit-set/v1");
    expect(set.impacts).toBe(false);
    expect(set.rows[0].entries!.some((e) => e.kind === "mapping" && e.what === "precision fp4")).toBe(true);
    expect(set.rows[0].entries!.every((e) => e.impact === null)).toBe(true);
    expect(set.rows[1].error).toMatch(/unknown hardware "tpu-v9"/);
    const l = listAssumptions(pinRow(light, ROOFLINE));
    expect(l.entries.length).toBeGreaterThan(10);
  });
});
