import { execFileSync, spawnSync } from "child_process";
import * as path from "path";
import { describe, expect, it } from "vitest";

const BIN = path.resolve(__dirname, "../../bin/mantile.js");
// No Hub access from these runs: an id that is not shipped must fail from the (empty) cache, not wait on the network.
const ENV = { ...process.env, HF_HUB_OFFLINE: "1", MANTILE_CACHE: path.join(__dirname, "__no_cache__") };

describe("mantile models (real process)", () => {
  it("--json lists every shipped model with family, totals, published figure and attention kind", () => {
    const rows = JSON.parse(execFileSync("node", [BIN, "models", "--json"], { encoding: "utf8", env: ENV, cwd: "/" }));
    expect(rows.length).toBeGreaterThanOrEqual(35);
    const scout = rows.find((r: { id: string }) => r.id === "meta-llama/Llama-4-Scout-17B-16E-Instruct");
    expect(scout).toMatchObject({ family: "llama4", params: { published: { totalB: 109 } } });
    expect(scout.attentionKind).toMatch(/chunked 8192 ×36 \+ full \(NoPE\) ×12/);
    const gptoss = rows.find((r: { id: string }) => r.id === "openai/gpt-oss-120b");
    expect(gptoss.params.total).toBe(116_829_156_672);
    expect(gptoss.weightDtypes).toEqual({ attention: "bf16", experts: "mxfp4" });
  });

  it("show ID prints layers by type, KV bytes per token and the parameter check", () => {
    const out = execFileSync("node", [BIN, "models", "show", "meta-llama/Llama-3.1-8B-Instruct"], { encoding: "utf8", env: ENV });
    expect(out).toMatch(/attention\.full\s+32\s+41,943,040/);
    // KV per token: 32 layers × 8 KV heads × (128 + 128) × 2 bytes (bf16) = 131,072 B; fp8 half of it
    expect(out).toMatch(/KV cache per token, all layers: bf16 131,072 B, fp8 65,536 B/);
    expect(out).toMatch(/published: 8\.03B \(decoder\) — IR \+0\.00%, within ±0\.5%/);
  });

  it("show --json of a multimodal checkpoint carries the text-decoder-only assumption", () => {
    const s = JSON.parse(execFileSync("node", [BIN, "models", "show", "google/gemma-3-27b-it", "--json"], { encoding: "utf8", env: ENV }));
    expect(s.assumptions.join(" ")).toMatch(/text decoder only/);
    expect(s.windows).toEqual([{ type: "attention.sliding1024", window: 1024, kind: "sliding", layers: 52 }]);
  });

  it("errors go to stderr with exit code 2", () => {
    const none = spawnSync("node", [BIN, "models", "show"], { encoding: "utf8", env: ENV });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/models show needs a model id/);
    const missing = spawnSync("node", [BIN, "models", "show", "acme/not-shipped"], { encoding: "utf8", env: ENV });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/HF_HUB_OFFLINE is set.*--model path\/to\/config\.json/);
  });
});
