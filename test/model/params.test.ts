import { describe, expect, it } from "vitest";
import { activeParams, kvElementsPerToken, loadModel, parseHfConfig, totalParams } from "../../lib/model";

// Known totals from shared/datasets/model-configs/README.md (billions of parameters).
const KNOWN: [string, number][] = [
  ["meta-llama/Llama-3.1-8B-Instruct", 8.03],
  ["meta-llama/Llama-3.1-70B-Instruct", 70.6],
  ["meta-llama/Llama-3.1-405B", 405.9],
  ["openai/gpt-oss-120b", 116.8],
  ["openai/gpt-oss-20b", 20.9],
  ["deepseek-ai/DeepSeek-R1-0528", 671],
  ["deepseek-ai/DeepSeek-V3", 671],
  ["Qwen/Qwen3-235B-A22B", 235],
  ["Qwen/Qwen3-30B-A3B", 30.5],
  ["mistralai/Mixtral-8x7B-v0.1", 46.7],
];

describe("parameter totals match the published sizes within 0.5%", () => {
  for (const [id, billions] of KNOWN) {
    it(id, () => {
      const got = totalParams(loadModel(id)) / 1e9;
      expect(Math.abs(got - billions) / billions).toBeLessThan(0.005);
    });
  }
});

describe("hand-derived counts", () => {
  it("Llama-3.1-8B: 2·V·H + 32·(attention + MLP + 2 norms) + final norm", () => {
    const H = 4096, V = 128256, I = 14336, kv = 1024;
    const attn = H * H + 2 * H * kv + H * H; // q, k, v, o
    const mlp = 3 * H * I;
    const expected = 2 * V * H + 32 * (attn + mlp + 2 * H) + H;
    expect(totalParams(loadModel("meta-llama/Llama-3.1-8B"))).toBe(expected); // 8,030,261,248
  });

  it("GPT-OSS-120B active parameters ≈ 5.1B: attention + router + 4/128 of experts per block, plus the LM head", () => {
    const H = 2880, I = 2880, E = 128, V = 201088;
    const attn = H * 4096 + 2 * H * 512 + 4096 * H + (4096 + 512 + 512 + H) + 64; // q,k,v,o weights, biases, sinks
    const router = H * E + E;
    const expert = H * 2 * I + 2 * I + I * H + H; // gate_up + bias + down + bias
    const perBlock = attn + router + 4 * expert + 2 * H;
    const expected = 36 * perBlock + H + V * H;
    expect(activeParams(loadModel("openai/gpt-oss-120b"))).toBeCloseTo(expected, 0);
    expect(expected / 1e9).toBeCloseTo(5.13, 2);
  });

  it("DeepSeek-R1 with its MTP module is ≈ 685B (671B main + ~13.5B)", () => {
    const ir = loadModel("deepseek-ai/DeepSeek-R1");
    const all = totalParams(ir) + ir.extraModules.reduce((s, m) => s + m.params, 0);
    expect(Math.abs(all / 1e9 - 685) / 685).toBeLessThan(0.005);
  });
});

describe("layer semantics", () => {
  it("GPT-OSS alternates sliding-window (128) and full attention, with sinks, GQA 64/8 heads", () => {
    const ir = loadModel("openai/gpt-oss-120b");
    const att = ir.layers.filter((l) => l.kind === "attention");
    expect(att).toHaveLength(36);
    expect(att[0].attention).toMatchObject({ variant: "GQA", heads: 64, kvHeads: 8, headDim: 64, window: 128, sinks: true });
    expect(att[1].attention?.window).toBeNull();
    expect(att.filter((l) => l.type === "attention.sliding128")).toHaveLength(18);
    const moe = ir.layers.find((l) => l.kind === "moe")!;
    expect(moe.moe).toMatchObject({ experts: 128, topk: 4, expertIntermediate: 2880 });
    expect(ir.defaultDtypes.experts).toBe("mxfp4");
    expect(ir.defaultDtypes.attention).toBe("bf16");
  });

  it("DeepSeek-V3 uses MLA (kv_lora 512, rope 64) and 3 dense layers before 58 MoE layers with a shared expert", () => {
    const ir = loadModel("deepseek-ai/DeepSeek-V3");
    const a = ir.layers.find((l) => l.attention)!.attention!;
    expect(a.variant).toBe("MLA");
    expect(a.mla).toMatchObject({ qLoraRank: 1536, kvLoraRank: 512, ropeHeadDim: 64, nopeHeadDim: 128 });
    // KV cache per token per layer: the compressed latent (512) + the shared rope key (64).
    expect(kvElementsPerToken(a)).toBe(576);
    expect(ir.layers.filter((l) => l.kind === "ffn")).toHaveLength(3);
    expect(ir.layers.filter((l) => l.kind === "moe")).toHaveLength(58);
    expect(ir.layers.find((l) => l.kind === "moe")!.moe!.sharedExperts).toBe(1);
    expect(ir.defaultDtypes.experts).toBe("fp8-block");
  });

  it("Llama-3.1-70B KV elements per token per layer = 8 KV heads × (128 + 128) = 2048", () => {
    const a = loadModel("meta-llama/Llama-3.1-70B").layers.find((l) => l.attention)!.attention!;
    expect(a.variant).toBe("GQA");
    expect(kvElementsPerToken(a)).toBe(2048);
  });

  it("every tensor has a shape whose product is its parameter count, and provenance names the config file", () => {
    const ir = loadModel("Qwen/Qwen3-30B-A3B");
    for (const l of ir.layers) for (const t of l.tensors) expect(t.shape.reduce((a, b) => a * b, 1)).toBe(t.params);
    expect(ir.provenance.hidden_size.source).toContain("data/models/Qwen_Qwen3-30B-A3B.json");
    expect(ir.provenance.hidden_size.kind).toBe("config");
  });
});

describe("bad configs are clear errors", () => {
  const base = () => ({
    model_type: "llama", hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4,
    num_key_value_heads: 2, vocab_size: 100, max_position_embeddings: 512, hidden_act: "silu", torch_dtype: "bfloat16",
  });
  it("an unknown field is named, with the fix", () => {
    expect(() => parseHfConfig({ ...base(), mystery_knob: 3 }, "cfg")).toThrow(/"mystery_knob" not understood.*NO_COST_FIELDS/s);
  });
  it("allowUnknownFields records it instead", () => {
    const a = parseHfConfig({ ...base(), mystery_knob: 3 }, "cfg", { allowUnknownFields: true });
    expect(a.ignored.mystery_knob).toMatch(/UNKNOWN/);
  });
  it("a wrong type names the field", () => {
    expect(() => parseHfConfig({ ...base(), hidden_size: "big" }, "cfg")).toThrow(/hidden_size/);
  });
  it("an unsupported model_type lists the supported ones", () => {
    expect(() => parseHfConfig({ ...base(), model_type: "rwkv" }, "cfg")).toThrow(/supported model types: .*llama/);
  });
  it("an unknown model id lists what is available", () => {
    expect(() => loadModel("acme/unknown-7b")).toThrow(/unknown model "acme\/unknown-7b".*data\/models/s);
  });
});
