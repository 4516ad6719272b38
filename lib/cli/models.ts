/** `mantile models [--json]` lists the known models; `mantile models show ID [--json]` prints one model's IR summary. */
import { formatNumber } from "../core/explain";
import { InputError } from "../core/validate";
import { catalog } from "../model/catalog";
import { ensureModels } from "../model/hub";
import { isLocalModel, loadModel } from "../model/registry";
import { PUBLISHED_TOLERANCE, summarizeModel, type ModelSummary } from "../model/summary";
import { helpText, parseFlags, type OptionSpec } from "./args";

const SPEC: OptionSpec = {
  json: { type: "boolean", help: "print JSON instead of text" },
  "allow-unknown-fields": { type: "boolean", help: "show: accept config fields the library does not know (recorded as unverified)" },
  help: { type: "boolean", help: "show this help" },
};

const USAGE = "mantile models [--json]            list the shipped models\nmantile models show ID [--json]    IR summary of a model (shipped id or alias, Hub id org/name[@rev], or path to config.json)";

const B = (n: number) => `${(n / 1e9).toFixed(2)}B`;
const pct = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)}%`;

function table(header: string[], rows: string[][], right: (i: number) => boolean): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (right(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}

function listText(rows: ModelSummary[]): string {
  const header = ["id", "family", "total", "active", "published", "attention", "checkpoint weights"];
  const body = rows.map((s) => {
    const p = s.params.published;
    const w = Object.entries(s.weightDtypes).map(([g, d]) => `${g} ${d}`).join(", ");
    return [s.id, s.family, B(s.params.total), B(s.params.active), p ? `${p.totalB}B` : "", s.attentionKind, `${w}${s.defaultKvDtype ? `; kv ${s.defaultKvDtype}` : ""}`];
  });
  return [...table(header, body, (i) => i >= 2 && i <= 4), "", `${rows.length} models shipped in data/models (sources: data/models/index.json); checkpoint weights: dtype of each linear-weight group, and the KV dtype where the checkpoint states one`].join("\n");
}

function showText(s: ModelSummary): string {
  const out: string[] = [`${s.id}${s.irId !== s.id ? ` (as ${s.irId})` : ""} — ${s.family}, ${s.source}`, `blocks ${s.blocks}, hidden ${s.hidden}, vocab ${s.vocab}, max context ${s.maxContext}`, `attention: ${s.attentionKind}`, ""];
  const rows = s.layerTypes.map((g) => [g.type, String(g.count), formatNumber(g.paramsEach), B(g.params)]);
  out.push(...table(["layer type", "layers", "params each", "params"], rows, (i) => i > 0), "");
  const moe = s.layerTypes.find((g) => g.moe)?.moe;
  if (moe) out.push(`MoE: ${moe.experts} experts, top-${moe.topk}, expert width ${moe.expertIntermediate}${moe.sharedExperts ? `, ${moe.sharedExperts} shared (width ${moe.sharedIntermediate})` : ""}, ${moe.scoring} router`);
  for (const g of s.layerTypes.filter((x) => x.ffn)) out.push(`FFN (${g.type}): width ${g.ffn!.intermediate}, ${g.ffn!.gated ? "gated " : ""}${g.ffn!.activation}`);
  const kv = Object.entries(s.kvBytesPerToken).map(([d, b]) => `${d} ${formatNumber(b)} B`).join(", ");
  const capped = s.windows.map((w) => `${w.kind} ${w.window} ×${w.layers}`).join(", ");
  out.push(`KV cache per token, all layers: ${kv}${capped ? ` (windowed layers hold at most their window: ${capped})` : ""}`);
  const d = s.defaultDtypes;
  out.push(`checkpoint dtypes: ${Object.entries(d).map(([g, t]) => `${g} ${t}`).join(", ")}${s.defaultKvDtype ? `; KV cache ${s.defaultKvDtype} (stated by the checkpoint)` : ""}`);
  const extra = s.extraModules.map((m) => `${m.name} ${B(m.params)}`).join("; ");
  out.push(`parameters: ${B(s.params.total)} in the decoder${extra ? ` (+ not run: ${extra})` : ""}, ${B(s.params.active)} active per token (embedding lookup excluded)`);
  const p = s.params.published;
  if (p) {
    const verdict = p.exception ? `not held to ±${100 * PUBLISHED_TOLERANCE}%: ${p.exception}` : s.params.withinTolerance ? `within ±${100 * PUBLISHED_TOLERANCE}%` : `OUTSIDE ±${100 * PUBLISHED_TOLERANCE}%`;
    out.push(`published: ${p.totalB}B (${p.counts}) — IR ${pct(s.params.relError!)}, ${verdict}`, `  source: ${p.source}`);
  } else out.push("published: no published total on file (not a shipped config)");
  if (s.assumptions.length) out.push("assumptions:", ...s.assumptions.map((a) => `  - ${a}`));
  return out.join("\n");
}

export async function run(argv: string[]): Promise<number> {
  const show = argv[0] === "show";
  const id = show ? argv[1] : undefined;
  const f = parseFlags(show ? argv.slice(2) : argv, SPEC);
  if (f.help || argv[0] === "--help") {
    process.stdout.write(`${USAGE}\n${helpText(SPEC)}\n`);
    return 0;
  }
  if (show) {
    if (!id || id.startsWith("--")) throw new InputError(`models show needs a model id: ${USAGE.split("\n")[1]}`);
    await ensureModels([id], isLocalModel);
    const s = summarizeModel(loadModel(id, { allowUnknownFields: Boolean(f["allow-unknown-fields"]) }));
    process.stdout.write((f.json ? JSON.stringify(s, null, 2) : showText(s)) + "\n");
    return 0;
  }
  const rows = catalog().map((e) => summarizeModel(loadModel(e.id)));
  process.stdout.write((f.json ? JSON.stringify(rows.map(({ layerTypes, ...rest }) => ({ ...rest, layerTypes: layerTypes.map((g) => ({ type: g.type, count: g.count, params: g.params })) })), null, 2) : listText(rows)) + "\n");
  return 0;
}
