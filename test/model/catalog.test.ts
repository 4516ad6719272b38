import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { readCsv } from "../../lib/core/csv";
import { SHARED_DIR } from "../../lib/core/paths";
import { catalog, HF_QUANT_SUFFIX, listModels, loadModel, MODELS_DIR, resolveShipped } from "../../lib/model";

/** The floor for the shipped library. */
const MIN_SHIPPED = 35;

describe("data/models/index.json describes every shipped config", () => {
  const entries = catalog();

  it(`ships at least ${MIN_SHIPPED} configs, each with an index entry (and no entry without a file)`, () => {
    const stems = listModels();
    expect(stems.length).toBeGreaterThanOrEqual(MIN_SHIPPED);
    expect(entries.map((e) => e.stem).sort()).toEqual(stems);
  });

  it("every config is a JSON object, every hf_quant_config sidecar belongs to a config and cites its own source", () => {
    for (const e of entries) expect(typeof JSON.parse(fs.readFileSync(path.join(MODELS_DIR, `${e.stem}.json`), "utf8"))).toBe("object");
    const sidecars = fs.readdirSync(MODELS_DIR).filter((f) => f.endsWith(HF_QUANT_SUFFIX)).map((f) => f.slice(0, -HF_QUANT_SUFFIX.length));
    expect(sidecars.length).toBeGreaterThan(0);
    for (const s of sidecars) expect(entries.find((e) => e.stem === s)?.hf_quant_config_source, s).toBeDefined();
    for (const e of entries.filter((x) => x.hf_quant_config_source)) expect(sidecars).toContain(e.stem);
  });

  it("ids and aliases are unique and each resolves to its own config", () => {
    const seen = new Map<string, string>();
    for (const e of entries) {
      for (const a of [e.id, ...e.aliases]) {
        const k = a.toLowerCase();
        expect(seen.get(k), `${a} is claimed by ${seen.get(k)} and ${e.stem}`).toBeUndefined();
        seen.set(k, e.stem);
        expect(resolveShipped(a)?.stem).toBe(e.stem);
      }
    }
  });

  it("every model named in the v0.17 TensorRT-LLM table and the InferenceMAX dev CSVs loads", () => {
    const names = new Set<string>();
    const table = path.join(SHARED_DIR, "datasets", "trtllm-perf-overview", "v0.17_offline_throughput.csv");
    if (fs.existsSync(table)) for (const r of readCsv(table).rows) names.add(r.model);
    const byModel = path.join(MODELS_DIR, "..", "..", "reconcile", "by_model");
    for (const d of fs.existsSync(byModel) ? fs.readdirSync(byModel) : []) {
      const f = path.join(byModel, d, "inferencemax.csv");
      if (fs.existsSync(f)) for (const r of readCsv(f).rows) names.add(r.model);
    }
    expect(names.size).toBeGreaterThan(0);
    for (const n of names) expect(() => loadModel(n), n).not.toThrow();
  });
});
