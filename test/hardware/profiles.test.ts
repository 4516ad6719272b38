import { describe, it, expect } from "vitest";
import { getHardware, listHardware } from "../../lib/hardware/registry";
import type { HardwareProfile } from "../../lib/hardware/schema";

/** Same normalisation as the registry: case-insensitive, spaces/underscores -> '-'. */
const norm = (s: string) => s.trim().toLowerCase().replace(/[\s_]+/g, "-");

const EXPECTED_IDS = [
  "a100-pcie-40gb",
  "a100-pcie-80gb",
  "a100-sxm",
  "a100-sxm-40gb",
  "a10g",
  "b100",
  "b200",
  "b300",
  "gb200",
  "gaudi3",
  "gb300",
  "gh200-144gb",
  "gh200-96gb",
  "h100-nvl",
  "h100-pcie",
  "h100-sxm",
  "h20",
  "h200",
  "h200-nvl",
  "l4",
  "l40",
  "l40s",
  "mi300x",
  "mi325x",
  "mi355x",
  "rtx-6000-ada",
  "rtx-a6000",
  "rtx-pro-6000-server",
];

/** Every alias the brief asks for, and the id it must resolve to. */
const ALIASES: Record<string, string[]> = {
  "h100-sxm": ["h100", "H100 SXM", "H100 SXM 80GB", "h100_sxm", "H100"],
  h200: ["h200", "H200 SXM", "h200_sxm"],
  b100: ["B100"],
  b200: ["b200", "b200-trt", "B200", "b200_sxm", "B200 SXM"],
  gb200: ["gb200", "GB200", "GB200 NVL72"],
  b300: ["B300"],
  gb300: ["GB300"],
  "a100-sxm": ["A100 SXM", "A100 SXM 80GB", "a100", "A100"],
  l40s: ["L40S"],
  l4: ["L4"],
  a10g: ["A10G"],
  "rtx-6000-ada": ["RTX 6000 Ada", "rtx6000ada"],
  "rtx-a6000": ["RTX A6000", "rtxa6000"],
  h20: ["H20"],
  mi300x: ["mi300x", "MI300X"],
  mi325x: ["mi325x", "MI325X"],
  mi355x: ["mi355x", "MI355X", "mi355x-amd_0"],
  "gh200-96gb": ["GH200", "GH200 480GB", "GH200 120GB"],
  gaudi3: ["HL-325L"],
  "rtx-pro-6000-server": ["RTX PRO 6000 Server"],
};

const KERNEL_TABLES: Record<string, string> = {
  b200: "b200_sxm",
  gb200: "gb200",
  "h100-sxm": "h100_sxm",
  h200: "h200_sxm",
};

describe("hardware profiles: loading", () => {
  it("every data/hardware/*.json parses against HardwareProfile and there are 28", () => {
    // 17 original profiles + 11 added for issue 13 (RTX PRO 6000 Server, GH200 96/144, H200 NVL, H100 NVL,
    // H100 PCIe, A100 PCIe 40/80, A100 SXM 40, L40, Gaudi 3).
    const all = listHardware();
    expect(all).toHaveLength(28);
    expect(all.map((p) => p.id).sort()).toEqual([...EXPECTED_IDS].sort());
  });

  it("uses the agreed units on every figure", () => {
    for (const p of listHardware()) {
      for (const [dtype, f] of Object.entries(p.dense_tflops)) {
        if (!f) continue;
        expect(f.unit, `${p.id} ${dtype}`).toBe(dtype === "int8" ? "TOPS" : "TFLOPS");
      }
      expect(p.memory.capacity_gb.unit).toBe("GB");
      expect(p.memory.bandwidth_tbps.unit).toBe("TB/s");
      if (p.memory.driver_total_mib) expect(p.memory.driver_total_mib.unit, `${p.id} driver_total_mib`).toBe("MiB");
      expect(p.scale_up.bandwidth_gbps_unidir.unit).toBe("GB/s");
      expect(p.scale_up.latency_us.unit).toBe("us");
      expect(p.scale_up.domain_gpus.unit).toBe("GPUs");
      expect(p.scale_out.bandwidth_gbps_unidir.unit).toBe("GB/s");
      expect(p.scale_out.latency_us.unit).toBe("us");
      expect(p.power_w.unit).toBe("W");
      expect(p.cost_per_hour_usd.unit).toBe("USD/h");
      // Prices are never a hard fact: every one must be flagged.
      expect(p.cost_per_hour_usd.uncertain, `${p.id} cost`).toBe(true);
    }
  });

  it("sets kernel_tables only on the chips with measured kernel data", () => {
    for (const p of listHardware()) {
      expect(p.kernel_tables, p.id).toBe(KERNEL_TABLES[p.id]);
    }
  });

  it("omits dtypes a chip does not support", () => {
    // Ampere has no FP8; nothing before Blackwell has FP4 (MI355X / CDNA4 does; Gaudi 3 does not).
    for (const id of ["a100-sxm", "a100-sxm-40gb", "a100-pcie-40gb", "a100-pcie-80gb", "a10g", "rtx-a6000"]) expect(getHardware(id).dense_tflops.fp8).toBeUndefined();
    const withFp4 = listHardware()
      .filter((p) => p.dense_tflops.fp4)
      .map((p) => p.id)
      .sort();
    expect(withFp4).toEqual(["b100", "b200", "b300", "gb200", "gb300", "mi355x", "rtx-pro-6000-server"]);
  });
});

describe("hardware profiles: name resolution", () => {
  for (const [id, aliases] of Object.entries(ALIASES)) {
    it(`aliases of ${id} resolve to it`, () => {
      expect(getHardware(id).id).toBe(id);
      for (const a of aliases) expect(getHardware(a).id, a).toBe(id);
    });
  }

  it("resolves the names benchmark data uses", () => {
    expect(getHardware("b200-trt").id).toBe("b200");
    expect(getHardware("mi355x-amd_0").id).toBe("mi355x");
    expect(getHardware("H100 SXM").id).toBe("h100-sxm");
    expect(getHardware("A10G").id).toBe("a10g");
    expect(getHardware("  gb200 nvl72 ").id).toBe("gb200");
  });

  it("an unknown name throws an InputError naming the 3 nearest profiles", () => {
    expect(() => getHardware("tpu-v5p")).toThrow(/unknown hardware "tpu-v5p": nearest known names/);
    // "H300" is one edit from h100/h200/b300 (cores h100, h200, b300), so those are among the three.
    const message = (() => {
      try {
        getHardware("NVIDIA H300");
        return "";
      } catch (e) {
        return (e as Error).message;
      }
    })();
    const listed = /nearest known names (.*?);/.exec(message)?.[1].split(", ") ?? [];
    expect(listed).toHaveLength(3);
    for (const id of listed) expect(["b300", "h100-nvl", "h100-pcie", "h100-sxm", "h200", "h200-nvl"]).toContain(id);
  });

  it("no alias (or id) is claimed by two profiles", () => {
    const owner = new Map<string, string>();
    for (const p of listHardware()) {
      for (const name of new Set([p.id, ...p.aliases].map(norm))) {
        const prev = owner.get(name);
        expect(prev, `"${name}" claimed by ${prev} and ${p.id}`).toBeUndefined();
        owner.set(name, p.id);
      }
    }
  });
});

describe("hardware profiles: figures match the shared CSV", () => {
  // Expected numbers are copied by hand from shared/datasets/hardware/accelerators.csv
  // (columns named in each comment), so a typo in a JSON file shows up here.
  it("spot-checks values", () => {
    const h100 = getHardware("h100-sxm");
    expect(h100.dense_tflops.bf16.value).toBe(989); // CSV "H100 SXM 80GB" bf16_dense_tflops
    expect(h100.dense_tflops.fp8?.value).toBe(1979); // CSV "H100 SXM 80GB" fp8_dense_tflops
    expect(h100.scale_up.bandwidth_gbps_unidir.value).toBe(450); // CSV scaleup_gbps_per_gpu_unidir

    const b200 = getHardware("b200");
    expect(b200.dense_tflops.fp4?.value).toBe(9000); // CSV "B200 (HGX/DGX B200)" fp4_dense_tflops
    expect(b200.memory.capacity_gb.value).toBe(180); // CSV hbm_gb (HGX exposes 180 of 192)
    expect(b200.memory.bandwidth_tbps.value).toBe(8.0); // CSV hbm_tbps (yaml says 7.7: see notes)

    const gb200 = getHardware("gb200");
    expect(gb200.scale_up.domain_gpus.value).toBe(72); // CSV "GB200 (per GPU in NVL72)" scaleup_domain_gpus
    expect(gb200.power_w.value).toBe(1200); // CSV tdp_w, marked '?' there
    expect(gb200.power_w.uncertain).toBe(true);

    const b300 = getHardware("b300");
    expect(b300.dense_tflops.fp4?.value).toBe(14000); // CSV "B300" fp4_dense_tflops ('?' vs 13.5 PF)
    expect(b300.dense_tflops.int8?.value).toBe(153.5); // CSV "B300" int8_dense_tops

    expect(getHardware("a100-sxm").memory.bandwidth_tbps.value).toBe(2.039); // CSV "A100 SXM 80GB" hbm_tbps
    expect(getHardware("l40s").dense_tflops.bf16.value).toBe(362); // CSV "L40S" bf16_dense_tflops
    expect(getHardware("l4").power_w.value).toBe(72); // CSV "L4" tdp_w
    expect(getHardware("h20").memory.capacity_gb.value).toBe(96); // CSV "H20 (96GB)" hbm_gb

    const mi300x = getHardware("mi300x");
    expect(mi300x.dense_tflops.bf16.value).toBe(1307.4); // CSV "MI300X" bf16_dense_tflops
    expect(mi300x.scale_up.bandwidth_gbps_unidir.value).toBe(448); // CSV scaleup_gbps_per_gpu_unidir

    const mi355x = getHardware("mi355x");
    expect(mi355x.memory.capacity_gb.value).toBe(288); // CSV "MI355X" hbm_gb
    expect(mi355x.dense_tflops.fp4?.value).toBe(10066.4); // CSV "MI355X" fp4_dense_tflops ('?')
    expect(mi355x.dense_tflops.fp4?.uncertain).toBe(true);

    // Not in the CSV: from the web pages cited in the files.
    expect(getHardware("b100").dense_tflops.fp4?.value).toBe(7000); // hmc-tech.com B200 vs B100 page
    expect(getHardware("rtx-a6000").memory.bandwidth_tbps.value).toBe(0.768); // servethehome.com A6000 article
    expect(getHardware("rtx-6000-ada").memory.bandwidth_tbps.value).toBe(0.96); // grafikkarten.com news
  });

  it("spot-checks the profiles added for issue 13 against their cited sources", () => {
    // RTX PRO 6000 Server Edition product page: 1597 GB/s, 96 GB; FP4 4 PFLOPS sparse / 2 = 2000 dense.
    const rtx = getHardware("rtx-pro-6000-server");
    expect(rtx.memory.bandwidth_tbps.value).toBe(1.597);
    expect(rtx.dense_tflops.fp4?.value).toBe(2000);
    expect(rtx.dense_tflops.bf16.uncertain).toBe(true); // dense not printed by NVIDIA: halved sparse figure
    // GH200 datasheet: 96GB HBM3 4 TB/s | 144GB HBM3e 4.9 TB/s; BF16 '1,979* | 990'.
    expect(getHardware("gh200-96gb").memory.capacity_gb.value).toBe(96);
    expect(getHardware("gh200-144gb").memory.bandwidth_tbps.value).toBe(4.9);
    expect(getHardware("gh200-96gb").dense_tflops.bf16.value).toBe(990);
    // H100 NVL datasheet: BF16 1,671 sparse / 2 = 835.5; 94 GB; 3.9 TB/s; NVLink bridge 600 GB/s bidir → 300.
    const nvl = getHardware("h100-nvl");
    expect(nvl.dense_tflops.bf16.value).toBe(835.5);
    expect(nvl.scale_up.bandwidth_gbps_unidir.value).toBe(300);
    expect(nvl.scale_up.domain_gpus.value).toBe(2);
    // H100 PCIe table: BF16 1,513 sparse / 2 = 756.5, 2000 GB/s, PCIe Gen5 128 GB/s bidir → 64.
    expect(getHardware("h100-pcie").dense_tflops.bf16.value).toBe(756.5);
    expect(getHardware("h100-pcie").scale_up.bandwidth_gbps_unidir.value).toBe(64);
    // A100 datasheet: 40GB PCIe 1,555 GB/s 250 W; 80GB PCIe 1,935 GB/s 300 W; 40GB SXM 400 W.
    expect(getHardware("a100-pcie-40gb").memory.bandwidth_tbps.value).toBe(1.555);
    expect(getHardware("a100-pcie-80gb").memory.bandwidth_tbps.value).toBe(1.935);
    expect(getHardware("a100-sxm-40gb").power_w.value).toBe(400);
    // H200 NVL: 2- or 4-way bridge, 900 GB/s per GPU bidir → 450; up to 600 W.
    expect(getHardware("h200-nvl").scale_up.domain_gpus.value).toBe(4);
    expect(getHardware("h200-nvl").power_w.value).toBe(600);
    // L40 datasheet: BF16 181.05 dense (half of L40S's 362 with FP32 accumulate).
    expect(getHardware("l40").dense_tflops.bf16.value).toBe(181.05);
    // docs.habana.ai: scale-up 21 x 200 Gb/s = 525 GB/s per direction, scale-out 3 x 200 Gb/s = 75 GB/s.
    const g3 = getHardware("gaudi3");
    expect(g3.vendor).toBe("Intel");
    expect(g3.scale_up.bandwidth_gbps_unidir.value).toBe((21 * 200) / 8);
    expect(g3.scale_out.bandwidth_gbps_unidir.value).toBe((3 * 200) / 8);
    expect(g3.dense_tflops.fp4).toBeUndefined();
  });

  it("new PCIe cards without bridges use PCIe Gen4/Gen5 x16 as scale-up and the 8-card server as domain", () => {
    // Gen4 x16: 64 GB/s both directions = 32 per direction; Gen5 x16: 128 → 64.
    const expected: Record<string, number> = { "a100-pcie-40gb": 32, "a100-pcie-80gb": 32, l40: 32, "h100-pcie": 64, "rtx-pro-6000-server": 64 };
    for (const [id, gbps] of Object.entries(expected)) {
      const p = getHardware(id);
      expect(p.form_factor, id).toBe("PCIe");
      expect(p.scale_up.technology, id).toMatch(gbps === 32 ? /^PCIe Gen4 x16/ : /^PCIe Gen5 x16/);
      expect(p.scale_up.bandwidth_gbps_unidir.value, id).toBe(gbps);
      expect(p.scale_up.domain_gpus.value, id).toBe(8);
    }
  });

  it("PCIe cards use the PCIe link as scale-up and the 8-card server as domain", () => {
    for (const id of ["l40s", "l4", "a10g", "rtx-6000-ada", "rtx-a6000"]) {
      const p = getHardware(id);
      expect(p.form_factor, id).toBe("PCIe");
      expect(p.scale_up.technology, id).toBe("PCIe Gen4");
      expect(p.scale_up.bandwidth_gbps_unidir.value, id).toBe(32);
      expect(p.scale_up.domain_gpus.value, id).toBe(8);
    }
  });
});

describe("hardware profiles: sanity rules", () => {
  /**
   * On NVIDIA Hopper and Blackwell the dense FP8 tensor peak is twice the dense BF16 peak.
   * Allowed exceptions, written out:
   *  - rounding in published figures: H100/H200 list 1979 for FP8 against 2 x 989 = 1978, so
   *    the ratio is checked to within 0.5 %, not exactly;
   *  - chips without FP8 are skipped (none of the Hopper/Blackwell parts here, but A100/A10G/A6000);
   *  - the rule says nothing about INT8 or FP4: Blackwell Ultra (B300/GB300) cut INT8 to
   *    ~153-165 TOPS and raised FP4 to 6x BF16, so those dtypes are deliberately not constrained.
   * Ada (L40S, L4, RTX 6000 Ada) follows the same 2x within 2.5 % (L40S 733 / 362 = 2.025),
   * checked separately with the looser bound. AMD parts are not covered by this rule.
   */
  const HOPPER_BLACKWELL = ["h100-sxm", "h100-nvl", "h100-pcie", "h200", "h200-nvl", "h20", "gh200-96gb", "gh200-144gb", "b100", "b200", "gb200", "b300", "gb300", "rtx-pro-6000-server"];
  const ADA = ["l40s", "l40", "l4", "rtx-6000-ada"];

  const ratio = (p: HardwareProfile) => {
    const fp8 = p.dense_tflops.fp8;
    return fp8 ? fp8.value / p.dense_tflops.bf16.value : undefined;
  };

  it("fp8 = 2 x bf16 on Hopper/Blackwell (within 0.5 % rounding)", () => {
    for (const id of HOPPER_BLACKWELL) {
      const r = ratio(getHardware(id));
      expect(r, `${id} has fp8`).toBeDefined();
      expect(Math.abs(r! - 2), `${id} fp8/bf16 = ${r}`).toBeLessThan(0.01);
    }
  });

  it("fp8 ~= 2 x bf16 on Ada (within 2.5 %)", () => {
    for (const id of ADA) {
      const r = ratio(getHardware(id))!;
      expect(Math.abs(r - 2), `${id} fp8/bf16 = ${r}`).toBeLessThan(0.05);
    }
  });

  it("every NVIDIA part with fp8 is in one of the two checked families", () => {
    const checked = new Set([...HOPPER_BLACKWELL, ...ADA]);
    for (const p of listHardware()) {
      if (p.vendor === "NVIDIA" && p.dense_tflops.fp8) expect(checked.has(p.id), p.id).toBe(true);
    }
  });

  it("figures are in plausible ranges", () => {
    for (const p of listHardware()) {
      expect(p.memory.capacity_gb.value, p.id).toBeGreaterThanOrEqual(24);
      expect(p.memory.capacity_gb.value, p.id).toBeLessThanOrEqual(300);
      expect(p.memory.bandwidth_tbps.value, p.id).toBeGreaterThan(0.2);
      expect(p.memory.bandwidth_tbps.value, p.id).toBeLessThan(10);
      expect(p.scale_out.bandwidth_gbps_unidir.value, p.id).toBeLessThanOrEqual(
        p.scale_up.bandwidth_gbps_unidir.value,
      );
      expect(p.cost_per_hour_usd.value, p.id).toBeGreaterThan(0);
      // Grace-Blackwell superchips sit in NVL72 racks; a GH200 node is one superchip (NVL2/NVL32 not assumed).
      if (p.form_factor === "Superchip") expect(p.scale_up.domain_gpus.value, p.id).toBe(p.id.startsWith("gh200") ? 1 : 72);
    }
  });
});
