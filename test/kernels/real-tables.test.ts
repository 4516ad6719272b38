/** Checks on the committed data/kernels tables (no ../shared needed, except the last block). */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { SHARED_DIR } from "../../lib/core/paths";
import { KERNELS_DIR, loadKernelTables } from "../../lib/kernels/lookup";
import type { KernelTableFile } from "../../lib/kernels/types";

const GPT_OSS_120B_MOE = { hidden: 2880, inter: 2880, topk: 4, experts: 128, tp: 1, ep: 1 };

function tableFiles(dir = KERNELS_DIR): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tableFiles(p));
    else if (e.name.endsWith(".json") && e.name !== "index.json") out.push(p);
  }
  return out;
}

describe("committed kernel tables", () => {
  const b200 = loadKernelTables("b200_sxm", "vllm")!;

  it("B200 vLLM MoE, GPT-OSS-120B shape, 64 tokens: a measured, positive latency", () => {
    const r = b200.moe({ ...GPT_OSS_120B_MOE, tokens: 64, dtype: "w4a16_mxfp4" })!;
    expect(r.latencyMs).toBeGreaterThan(0);
    expect(r.extrapolated).toBe(false);
    expect(r.source).toBe("data/kernels/b200_sxm/vllm/moe.json (vllm 0.24.0)");
    expect(r.points[0].shape).toMatchObject({ distribution: "power_law_1.01", tokens: 64 });
  });

  it("answers aliases and returns undefined for families it lacks", () => {
    expect(loadKernelTables("b200", "vllm")).toBe(b200);
    expect(loadKernelTables("no-such-chip", "vllm")).toBeUndefined();
    // vLLM's B200 table holds GPT-OSS experts only as w4a16_mxfp4.
    expect(b200.moe({ ...GPT_OSS_120B_MOE, tokens: 64, dtype: "nvfp4" })).toBeUndefined();
    expect(b200.contextAttention({ batch: 1, seqLen: 1024, heads: 7, kvHeads: 1, headDim: 128, window: 0, kvDtype: "bf16" })).toBeUndefined();
    expect(loadKernelTables("h100_sxm", "vllm")!.gemm(64, 4096, 4096, "nvfp4")).toBeUndefined();
    // SGLang on B200 has no moe_perf table in the source.
    expect(loadKernelTables("b200_sxm", "sglang")!.moe({ ...GPT_OSS_120B_MOE, tokens: 64, dtype: "w4a16_mxfp4" })).toBeUndefined();
    expect(b200.collective("all_reduce", 1 << 20, 16)).toBeUndefined();
  });

  it("uses the framework's custom all-reduce when measured, NCCL otherwise", () => {
    expect(b200.collective("all_reduce", 1 << 20, 8)!.source).toMatch(/b200_sxm\/vllm\/custom_allreduce\.json/);
    expect(b200.collective("all_reduce", 1 << 20, 8, { backend: "nccl" })!.source).toMatch(/b200_sxm\/nccl\/nccl\.json/);
    expect(b200.collective("all_to_all", 1 << 20, 8)!.source).toMatch(/nccl\.json \(nccl 2\.29\.2\)/);
    expect(b200.collective("all_gather", 1 << 20, 1)!.latencyMs).toBe(0);
  });

  it("interpolates real GEMMs between measured neighbours", () => {
    const lo = b200.gemm(4096, 4096, 4096, "bf16")!, hi = b200.gemm(8192, 4096, 4096, "bf16")!;
    const mid = b200.gemm(6000, 4096, 4096, "bf16")!;
    expect(mid.extrapolated).toBe(false);
    expect(mid.latencyMs).toBeGreaterThan(lo.latencyMs);
    expect(mid.latencyMs).toBeLessThan(hi.latencyMs);
    expect(mid.utilisation!).toBeGreaterThan(0.3);
    expect(mid.utilisation!).toBeLessThanOrEqual(1);
  });

  it("loads every table of one system and framework in well under a second", () => {
    const t0 = performance.now();
    const t = loadKernelTables("h200_sxm", "trtllm", { dir: KERNELS_DIR + path.sep })!;
    for (const op of ["gemm", "context_attention", "generation_attention", "moe", "custom_allreduce", "nccl"] as const) {
      expect(t.table(op), op).toBeDefined();
    }
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("every table credits aiconfigurator and names its source; data/kernels stays under 15 MB", () => {
    let bytes = 0;
    const files = tableFiles();
    expect(files.length).toBeGreaterThan(50);
    for (const f of files) {
      bytes += fs.statSync(f).size;
      const h = (JSON.parse(fs.readFileSync(f, "utf8")) as KernelTableFile).header;
      expect(h.license).toBe("NVIDIA aiconfigurator (Apache-2.0)");
      expect(h.source).toMatch(/^datasets\/kernels\/aiconfigurator\/.+\.parquet$/);
      expect(h.rejected.count).toBe(h.counts.rejected);
    }
    expect(bytes).toBeLessThan(15e6);
    expect(fs.existsSync(path.join(KERNELS_DIR, "leave-one-out.md"))).toBe(true);
  });
});

const SOURCE = path.join(SHARED_DIR, "datasets", "kernels", "aiconfigurator");

describe.skipIf(!fs.existsSync(SOURCE))("builder on the real source (needs ../shared)", () => {
  it("rebuilds the committed collective tables exactly", async () => {
    const { buildSourceTable } = await import("../../scripts/build-kernel-tables");
    for (const [fw, op, rel] of [
      ["vllm", "custom_allreduce", "b200_sxm/vllm/custom_allreduce.json"],
      ["nccl", "nccl", "b200_sxm/nccl/nccl.json"],
    ] as const) {
      const built = (await buildSourceTable("b200_sxm", fw, op))!;
      const committed = JSON.parse(fs.readFileSync(path.join(KERNELS_DIR, rel), "utf8")) as KernelTableFile;
      expect(built.rows).toEqual(committed.rows);
      expect(built.axes).toEqual(committed.axes);
      expect(built.header.source).toBe(committed.header.source);
    }
  }, 30_000);
});
