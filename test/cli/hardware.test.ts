import { execFileSync, spawnSync } from "child_process";
import * as path from "path";
import { describe, expect, it } from "vitest";

const BIN = path.resolve(__dirname, "../../bin/mantile.js");

describe("mantile hardware (real process)", () => {
  it("--json lists every profile with its headline figures", () => {
    const rows = JSON.parse(execFileSync("node", [BIN, "hardware", "--json"], { encoding: "utf8", cwd: "/" }));
    expect(rows).toHaveLength(28);
    const byId = Object.fromEntries(rows.map((r: { id: string }) => [r.id, r]));
    expect(byId["h100-sxm"]).toMatchObject({ vendor: "NVIDIA", memory_gb: 80, driver_total_mib: 81559, bandwidth_tbps: 3.35, bf16_tflops: 989, fp8_tflops: 1979, fp4_tflops: null, scale_up_domain_gpus: 8, kernel_tables: true });
    expect(byId["gaudi3"]).toMatchObject({ vendor: "Intel", fp4_tflops: null, driver_total_mib: null, kernel_tables: false });
    expect(byId["gb200"].scale_up_domain_gpus).toBe(72);
    expect(rows.filter((r: { kernel_tables: boolean }) => r.kernel_tables).map((r: { id: string }) => r.id).sort()).toEqual(["b200", "gb200", "h100-sxm", "h200"]);
  });

  it("prints a table with one line per profile", () => {
    const out = execFileSync("node", [BIN, "hardware"], { encoding: "utf8" });
    expect(out).toMatch(/^id\s+name\s+vendor\s+isa\s+GB\s+driver MiB\s+TB\/s\s+bf16 TF\s+fp8 TF\s+fp4 TF\s+domain\s+kernel tables$/m);
    expect(out).toMatch(/^h100-nvl\s+NVIDIA H100 NVL 94GB .*\s94\s+95,830\s+3\.9\s+835\.5\s+1,670\.5\s+–\s+2\s+no$/m);
    expect(out).toMatch(/^28 profiles/m);
  });

  it("show resolves a vendor spelling and prints every figure with its source", () => {
    const out = execFileSync("node", [BIN, "hardware", "show", "NVIDIA GH200 480GB"], { encoding: "utf8" });
    expect(out).toMatch(/^"NVIDIA GH200 480GB" → gh200-96gb \(matched "GH200 480GB"; chosen by 480gb; ignored nvidia\)/);
    expect(out).toMatch(/^memory\.capacity_gb = 96 GB\n {4}source: NVIDIA GH200 Grace Hopper Superchip datasheet/m);
    expect(out).toMatch(/^scale_up\.domain_gpus = 1 GPUs {2}\(uncertain\)$/m);
    // 97871 MiB × 1,048,576 / 2^30 = 95.58 GiB
    expect(out).toMatch(/^device memory = driver_total_mib × 1,048,576 B\/MiB = 95\.58 GiB$/m);
  });

  it("show --json carries the match, the profile and the explained device memory", () => {
    const j = JSON.parse(execFileSync("node", [BIN, "hardware", "show", "Virtualized NVIDIA H100 80GB HBM3", "--json"], { encoding: "utf8" }));
    expect(j.match).toMatchObject({ profile: "h100-sxm", exact: false, dropped: ["virtualized", "nvidia", "hbm3"], qualifiers: ["80gb"] });
    expect(j.profile.id).toBe("h100-sxm");
    expect(j.device_memory.value).toBe(81559 * 1024 * 1024);
  });

  it("an unknown name exits 2 with the nearest names on stderr", () => {
    const r = spawnSync("node", [BIN, "hardware", "show", "tpu-v9"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^mantile hardware: unknown hardware "tpu-v9": nearest known names [^;]+, [^;]+, [^;]+;/);
    const bad = spawnSync("node", [BIN, "hardware", "compare"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown subcommand "compare"/);
  });
});
