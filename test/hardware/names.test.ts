import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../lib/core/validate";
import { editDistance, matchName, nearestNames, parseName } from "../../lib/hardware/names";
import { getHardware, listHardware, resolveHardware } from "../../lib/hardware/registry";
import type { HardwareProfile } from "../../lib/hardware/schema";

/**
 * Vendor spellings from public benchmark tables, drivers and cloud consoles → the intended profile, and
 * whether the spelling is itself an id/alias/name of that profile (exact) or was matched by its core.
 */
const SPELLINGS: [spelling: string, id: string, exact: boolean][] = [
  ["NVIDIA H200 SXM 141GB", "h200", true], // the h200 profile's name
  ["H100-SXM-80GB", "h100-sxm", true], // alias "H100 SXM 80GB" with '-' for spaces
  ["NVIDIA H100 SXM 80GB", "h100-sxm", true], // the profile's name
  ["B200-SXM-180GB", "b200", false],
  ["NVIDIA B200 180GB (DGX B200)", "b200", false],
  ["GB200 NVL72", "gb200", true],
  ["NVIDIA GB200 NVL72", "gb200", false],
  ["AMD Instinct MI325X 256GB HBM3E", "mi325x", false],
  ["AMD Instinct MI300X", "mi300x", true],
  ["NVIDIA GH200 480GB", "gh200-96gb", false],
  ["NVIDIA GH200 144G HBM3e", "gh200-144gb", false],
  ["NVIDIA A100 SXM4 80GB", "a100-sxm", false],
  ["NVIDIA A100-SXM4-80GB", "a100-sxm", false],
  ["NVIDIA L40S", "l40s", true],
  ["NVIDIA L40", "l40", true],
  ["Virtualized H100", "h100-sxm", false],
  ["Virtualized NVIDIA H100 80GB HBM3", "h100-sxm", false],
  ["Virtualized NVIDIA H200", "h200", false],
  ["NVIDIA RTX PRO 6000 Blackwell Server Edition", "rtx-pro-6000-server", true],
  ["H100 NVL 94GB", "h100-nvl", false],
  ["NVIDIA H100 NVL", "h100-nvl", false],
  ["NVIDIA H100 PCIe", "h100-pcie", false],
  ["NVIDIA H200 NVL", "h200-nvl", false],
  ["A100-PCIE-40GB", "a100-pcie-40gb", true],
  ["NVIDIA A100 80GB PCIe", "a100-pcie-80gb", false],
  ["NVIDIA A100-SXM4-40GB", "a100-sxm-40gb", true],
  ["Gaudi3", "gaudi3", true],
  ["Intel Gaudi 3", "gaudi3", false],
  ["HL-325L", "gaudi3", true],
  // existing aliases keep working, exactly
  ["b200-trt", "b200", true],
  ["mi355x-amd_0", "mi355x", true],
  ["H100 SXM", "h100-sxm", true],
  // a runner suffix not listed as an alias is dropped
  ["h200-nb", "h200", false],
  ["gb200-dynamo-trt", "gb200", false],
];

describe("hardware names: vendor spellings resolve", () => {
  for (const [spelling, id, exact] of SPELLINGS) {
    it(`"${spelling}" → ${id}${exact ? " (exact)" : ""}`, () => {
      const m = resolveHardware(spelling);
      expect(m.profile.id).toBe(id);
      expect(m.exact).toBe(exact);
      if (exact) expect(m.dropped).toEqual([]);
      expect(getHardware(spelling).id).toBe(id); // getHardware is resolveHardware(…).profile
    });
  }
});

describe("hardware names: what was dropped is said", () => {
  it("lists vendor, system, virtualisation and memory-type words, parentheses and runner suffixes", () => {
    expect(resolveHardware("Virtualized NVIDIA H100 80GB HBM3").dropped).toEqual(["virtualized", "nvidia", "hbm3"]);
    expect(resolveHardware("NVIDIA B200 180GB (DGX B200)").dropped).toEqual(["(dgx b200)", "nvidia"]);
    expect(resolveHardware("NVIDIA GB200 NVL72").dropped).toEqual(["nvidia", "nvl72"]);
    expect(resolveHardware("h200-nb").dropped).toEqual(["nb"]);
    expect(resolveHardware("gb200-dynamo-trt").dropped).toEqual(["dynamo", "trt"]);
  });

  it("memory sizes and form factors that agree with the chosen profile are qualifiers, not dropped", () => {
    const m = resolveHardware("NVIDIA A100 80GB PCIe");
    expect(m.qualifiers).toEqual(["80gb", "pcie"]);
    expect(m.dropped).toEqual(["nvidia"]);
    // B200 "192GB" is the chip's stack capacity; the profile exposes 180: |ln(192/180)| = 0.065 ≤ ln(1.1) = 0.095 → agrees.
    expect(resolveHardware("B200 192GB").qualifiers).toEqual(["192gb"]);
  });

  it("a memory size the only candidate contradicts is dropped, not used", () => {
    // No L4 has 48 GB: the chip is still L4, and the 48gb word is reported as ignored.
    const m = resolveHardware("NVIDIA L4 48GB");
    expect(m.profile.id).toBe("l4");
    expect(m.dropped).toContain("48gb");
  });
});

describe("hardware names: memory size and form factor choose the variant", () => {
  const variant = (s: string) => resolveHardware(s).profile.id;
  it("A100: 40 vs 80 GB, PCIe vs SXM; the bare name is the SXM 80GB part", () => {
    expect(variant("A100 40GB PCIe")).toBe("a100-pcie-40gb");
    expect(variant("A100 80GB PCIe")).toBe("a100-pcie-80gb");
    expect(variant("A100 SXM4 40GB")).toBe("a100-sxm-40gb");
    expect(variant("A100 SXM4 80GB")).toBe("a100-sxm");
    expect(variant("NVIDIA A100")).toBe("a100-sxm");
    // No form stated and 40 GB: SXM and PCIe 40 GB tie on evidence; ties go to the SXM board.
    expect(variant("NVIDIA A100 40GB")).toBe("a100-sxm-40gb");
  });

  it("H100: PCIe vs NVL vs SXM; 94 GB alone means the NVL card", () => {
    expect(variant("NVIDIA H100 PCIe 80GB")).toBe("h100-pcie");
    expect(variant("NVIDIA H100 NVL")).toBe("h100-nvl");
    expect(variant("NVIDIA H100 94GB")).toBe("h100-nvl"); // only the NVL card has 94 GB
    expect(variant("NVIDIA H100 80GB HBM3")).toBe("h100-sxm");
    expect(variant("NVIDIA H100 SXM5 80GB")).toBe("h100-sxm");
  });

  it("GH200: 96 vs 144 GB; '480GB' is the Grace CPU's LPDDR5X of the 96 GB part", () => {
    expect(variant("NVIDIA GH200 480GB")).toBe("gh200-96gb");
    expect(variant("NVIDIA GH200 120GB")).toBe("gh200-96gb");
    expect(variant("GH200 96GB HBM3")).toBe("gh200-96gb");
    expect(variant("GH200 144GB HBM3e")).toBe("gh200-144gb");
    expect(variant("NVIDIA GH200")).toBe("gh200-96gb");
  });

  it("H200: the SXM part by default, the NVL card when the name says NVL", () => {
    expect(variant("NVIDIA H200")).toBe("h200");
    expect(variant("H200 SXM5")).toBe("h200");
    expect(variant("H200 NVL 141GB")).toBe("h200-nvl");
  });
});

describe("hardware names: unknown spellings", () => {
  it("is an InputError naming the spelling and the 3 nearest known names", () => {
    let err: unknown;
    try {
      resolveHardware("NVIDIA H300");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^unknown hardware "NVIDIA H300": nearest known names /);
    expect(msg).toMatch(/`mantile hardware` lists all 28 profiles/);
  });

  it("nearest names rank by edit distance on the compacted core", () => {
    // core "mi350x": mi355x is 1 edit away (0→5), mi300x 1 edit (5→0), mi325x 2 edits.
    const near = nearestNames("AMD Instinct MI350X", listHardware());
    expect(near.map((n) => n.id)).toEqual(["mi300x", "mi355x", "mi325x"]);
    expect(near.map((n) => n.distance)).toEqual([1, 1, 2]);
  });

  it("the RTX PRO 6000 Workstation Edition (a different SKU, 1,792 GB/s) does not fall onto the Server Edition", () => {
    // Dropping trailing words gives rtxpro6000blackwellworkstation…, rtxpro6000blackwell, rtxpro6000, …: no profile has those cores.
    expect(() => resolveHardware("NVIDIA RTX PRO 6000 Blackwell Workstation Edition")).toThrow(/unknown hardware/);
    // Nearest by edit distance on cores: rtxa6000 (3 edits from rtxpro6000), rtx6000ada (6), rtxpro6000server (6).
    expect(() => resolveHardware("RTX PRO 6000")).toThrow(/nearest known names rtx-a6000, rtx-6000-ada, rtx-pro-6000-server;/);
  });

  it("a spelling with no chip word at all does not match anything", () => {
    expect(() => resolveHardware("NVIDIA 80GB")).toThrow(/unknown hardware "NVIDIA 80GB"/);
    expect(() => resolveHardware("TPU v9")).toThrow(/unknown hardware "TPU v9"/);
  });
});

describe("hardware names: the parts", () => {
  it("parseName splits core, memory, form factor and ignored words", () => {
    const p = parseName("Virtualized NVIDIA H100 80 GB HBM3 (MIG off) SXM5");
    expect(p.core).toEqual(["h100"]);
    expect(p.memoryGb).toBe(80);
    expect(p.memoryWord).toBe("80gb"); // "80 GB" written apart joins
    expect(p.forms).toEqual([{ word: "sxm5", form: "sxm" }]);
    expect(p.ignored).toEqual(["(mig off)", "virtualized", "nvidia", "hbm3"]);
    expect(parseName("NVIDIA GH200 144G HBM3e").memoryGb).toBe(144); // nvidia-smi's "144G"
    expect(parseName("A10G").core).toEqual(["a10g"]); // a letter before G: a chip, not a size
  });

  it("editDistance counts single-character edits", () => {
    expect(editDistance("h100", "h200")).toBe(1); // one substitution
    expect(editDistance("l40", "l40s")).toBe(1); // one insertion
    expect(editDistance("gaudi3", "h20")).toBe(6); // replace 3 and delete 3: max(len) = 6 with no shared position
    expect(editDistance("", "b200")).toBe(4);
  });

  it("a path to a profile JSON is read and validated, and counts as exact", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mantile-hw-")), "my-chip.json");
    fs.writeFileSync(file, JSON.stringify({ ...getHardware("l4"), id: "my-chip", aliases: [] }));
    const m = resolveHardware(file);
    expect(m).toMatchObject({ exact: true, dropped: [] });
    expect(m.profile.id).toBe("my-chip");
    fs.writeFileSync(file, JSON.stringify({ ...getHardware("l4"), id: "My Chip" }));
    expect(() => resolveHardware(file)).toThrow(/invalid hardware profile .*my-chip\.json:\n {2}- id: lower-case id/);
  });

  it("matchName works on any profile list (no registry needed)", () => {
    const base = getHardware("h100-sxm");
    const gb = (value: number) => ({ ...base.memory, capacity_gb: { ...base.memory.capacity_gb, value } });
    const a: HardwareProfile = { ...base, id: "chip-40gb", aliases: ["chip"], name: "Chip 40GB", memory: gb(40) };
    const b: HardwareProfile = { ...base, id: "chip-80gb", aliases: [], name: "Chip 80GB", memory: gb(80) };
    // "chip" is a's plain alias (+0.5) but 80 vs 40 GB costs 10·ln 2 = 6.9; b's spelling states 80 GB (0).
    expect(matchName("Chip 80 GB", [a, b])?.profile.id).toBe("chip-80gb");
    expect(matchName("Chip 80 GB", [a, b])?.exact).toBe(false);
    expect(matchName("chip", [a, b])?.exact).toBe(true);
    expect(matchName("widget", [a, b])).toBeUndefined();
  });
});
