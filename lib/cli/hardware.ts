/** `mantile hardware`: the accelerator profiles (list, or one profile with every figure's source). */
import { formatNumber, type Fact } from "../core/explain";
import { InputError } from "../core/validate";
import { deviceMemoryBytes } from "../hardware/memory";
import { listHardware, resolveHardware } from "../hardware/registry";
import type { HardwareProfile } from "../hardware/schema";
import { helpText, parseFlags, type OptionSpec } from "./args";

const SPEC: OptionSpec = {
  json: { type: "boolean", help: "print JSON instead of a table" },
  help: { type: "boolean", help: "show this help" },
};

/** Decimals shown in the list: enough for 1.597 TB/s and 181.05 TFLOPS. */
const LIST_DECIMALS = 3;

const USAGE = [
  "mantile hardware [--json]            every profile: memory, bandwidth, dense peaks, scale-up domain, kernel tables",
  "mantile hardware show NAME [--json]  one profile, every figure with its source (NAME: id, alias or vendor spelling)",
].join("\n");

/** One row of the list; null where the chip lacks the figure (no FP8/FP4, no driver reading). */
export interface HardwareRow {
  id: string;
  name: string;
  vendor: string;
  form_factor: string;
  isa: string;
  memory_gb: number;
  driver_total_mib: number | null;
  bandwidth_tbps: number;
  bf16_tflops: number;
  fp8_tflops: number | null;
  fp4_tflops: number | null;
  scale_up: string;
  scale_up_domain_gpus: number;
  kernel_tables: boolean;
}

export function hardwareRow(p: HardwareProfile): HardwareRow {
  return {
    id: p.id,
    name: p.name,
    vendor: p.vendor,
    form_factor: p.form_factor,
    isa: p.isa,
    memory_gb: p.memory.capacity_gb.value,
    driver_total_mib: p.memory.driver_total_mib?.value ?? null,
    bandwidth_tbps: p.memory.bandwidth_tbps.value,
    bf16_tflops: p.dense_tflops.bf16.value,
    fp8_tflops: p.dense_tflops.fp8?.value ?? null,
    fp4_tflops: p.dense_tflops.fp4?.value ?? null,
    scale_up: p.scale_up.technology,
    scale_up_domain_gpus: p.scale_up.domain_gpus.value,
    kernel_tables: p.kernel_tables !== undefined,
  };
}

function table(header: string[], rows: string[][], numeric: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n") + "\n";
}

function listText(rows: HardwareRow[]): string {
  const n = (v: number | null) => (v === null ? "–" : v.toLocaleString("en-US", { maximumFractionDigits: LIST_DECIMALS }));
  const header = ["id", "name", "vendor", "isa", "GB", "driver MiB", "TB/s", "bf16 TF", "fp8 TF", "fp4 TF", "domain", "kernel tables"];
  const numeric = [false, false, false, false, true, true, true, true, true, true, true, false];
  const body = rows.map((r) => [r.id, r.name, r.vendor, r.isa, n(r.memory_gb), n(r.driver_total_mib), n(r.bandwidth_tbps), n(r.bf16_tflops), n(r.fp8_tflops), n(r.fp4_tflops), String(r.scale_up_domain_gpus), r.kernel_tables ? "yes" : "no"]);
  return table(header, body, numeric) + `${rows.length} profiles (data/hardware); dense peaks in TFLOPS; isa = kernel target (CUDA compute capability / AMD gfx); domain = GPUs per scale-up domain. \`mantile hardware show ID\` for sources.\n`;
}

const isFact = (v: unknown): v is Fact => typeof v === "object" && v !== null && "value" in v && "unit" in v && "source" in v;

/** Every field of a profile, one per line, with the source of each figure. */
function profileLines(v: unknown, at: string, out: string[]): void {
  if (isFact(v)) {
    out.push(`${at} = ${formatNumber(v.value)} ${v.unit}${v.uncertain ? "  (uncertain)" : ""}`, `    source: ${v.source}`);
  } else if (Array.isArray(v)) {
    out.push(`${at} = ${v.length ? v.map((x) => JSON.stringify(x)).join(", ") : "(none)"}`);
  } else if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) profileLines(x, at ? `${at}.${k}` : k, out);
  } else {
    out.push(`${at} = ${String(v)}`);
  }
}

function show(name: string, json: boolean): string {
  const m = resolveHardware(name);
  const memory = deviceMemoryBytes(m.profile);
  if (json) return JSON.stringify({ match: { ...m, profile: m.profile.id }, profile: m.profile, device_memory: memory }, null, 2) + "\n";
  const out: string[] = [];
  if (!m.exact) {
    const parts = [`matched "${m.matched}"`];
    if (m.qualifiers.length) parts.push(`chosen by ${m.qualifiers.join(", ")}`);
    if (m.dropped.length) parts.push(`ignored ${m.dropped.join(", ")}`);
    out.push(`"${name}" → ${m.profile.id} (${parts.join("; ")})`, "");
  }
  profileLines(m.profile, "", out);
  out.push("", `device memory = ${memory.formula} = ${formatNumber(memory.value / 2 ** 30)} GiB`);
  for (const [k, x] of Object.entries(memory.inputs)) out.push(`    ${k}: [${x.provenance.kind}] ${x.provenance.source}`);
  return out.join("\n") + "\n";
}

export async function run(argv: string[]): Promise<number> {
  const positional = argv.filter((a) => !a.startsWith("-"));
  const f = parseFlags(argv.filter((a) => a.startsWith("-")), SPEC);
  if (f.help) {
    process.stdout.write(`${USAGE}\n${helpText(SPEC)}\n`);
    return 0;
  }
  const [sub, ...rest] = positional;
  if (sub === undefined) {
    const rows = listHardware().map(hardwareRow);
    process.stdout.write(f.json ? JSON.stringify(rows, null, 2) + "\n" : listText(rows));
    return 0;
  }
  if (sub !== "show") throw new InputError(`unknown subcommand "${sub}":\n${USAGE}`);
  if (rest.length !== 1) throw new InputError(`hardware show takes one NAME (got ${rest.length}; quote names with spaces):\n${USAGE}`);
  process.stdout.write(show(rest[0], Boolean(f.json)));
  return 0;
}
