import { describe, expect, it } from "vitest";
import { activeParams, buildIR, catalog, kvElementsPerToken, loadModel, parseHfConfig, totalParams } from "../../lib/model";

// Every shipped config against its published total: data/models/index.json holds the figure, what it counts
// (the decoder, or decoder + extra modules such as MTP or a vision tower) and its source (model card, paper or
// the Hub page's safetensors count). Two published figures are rounded or ambiguous (`exception`); those models
// are checked by hand derivation below.
describe("parameter totals match the published sizes within 0.5% (every shipped config)", () => {
  for (const e of catalog().filter((x) => !x.published.exception)) {
    it(`${e.id}: ${e.published.total_b}B — ${e.published.source}`, () => {
      const ir = loadModel(e.id);
      const extra = ir.extraModules.reduce((s, m) => s + m.params, 0);
      const got = (totalParams(ir) + (e.published.counts === "decoder+extra" ? extra : 0)) / 1e9;
      expect(Math.abs(got - e.published.total_b) / e.published.total_b).toBeLessThan(0.005);
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

describe("hand-derived counts of the new families", () => {
  it("Qwen2.5-7B: bias on q, k, v but not on o_proj; 7.6156B (card: 7.61B, 6.53B non-embedding)", () => {
    const H = 3584, L = 28, kv = 4 * 128, I = 18944, V = 152064;
    const attn = H * H + 2 * kv * H + H * H + (H + 2 * kv); // q, k, v, o weights + q, k, v biases (no o_proj bias)
    const block = attn + 3 * H * I + 2 * H;
    const ir = loadModel("Qwen/Qwen2.5-7B-Instruct");
    expect(totalParams(ir)).toBe(L * block + 2 * V * H + H); // 7,615,628,800
    expect((L * block + H) / 1e9).toBeCloseTo(6.53, 2); // the card's non-embedding figure
    const names = ir.layers.find((l) => l.kind === "attention")!.tensors.map((t) => t.name);
    expect(names).toContain("model.layers.0.self_attn.q_proj.bias");
    expect(names).not.toContain("model.layers.0.self_attn.o_proj.bias");
  });

  it("Gemma 2 9B: 4 norms per block, tied embeddings; non-embedding 8,324,201,984 as in the Gemma 2 report (Table 2)", () => {
    const H = 3584, L = 42, q = 16 * 256, kv = 8 * 256, I = 14336, V = 256000;
    const block = (H * q + 2 * H * kv + q * H) + 3 * H * I + 4 * H; // attention + GeGLU MLP + input/post-attn/pre-ffn/post-ffn norms
    const ir = loadModel("google/gemma-2-9b-it");
    expect(totalParams(ir)).toBe(L * block + V * H + H); // embedding shared with the head
    expect(L * block + H).toBe(8_324_201_984);
  });

  it("Llama 4 Scout: 48 MoE blocks of 16 experts (top-1) + a shared expert; 107.77B decoder + ≈0.83B vision tower ≈ 109B", () => {
    const H = 5120, L = 48, E = 16, I = 8192, V = 202048;
    const attn = 2 * H * (40 * 128) + 2 * H * (8 * 128); // q, o and k, v (no bias)
    const moe = E * H + E * 3 * H * I + 3 * H * I; // router, routed experts (gate, up, down), shared expert
    const ir = loadModel("meta-llama/Llama-4-Scout-17B-16E-Instruct");
    expect(totalParams(ir)).toBe(L * (attn + moe + 2 * H) + 2 * V * H + H); // 107,769,835,520
    // Vision estimate: 34 × (4·1408² + 2·1408·5632) + 3·14²·1408 + (336/14)²·1408 + 4096·5120 (projection to the text width)
    const vision = 34 * (4 * 1408 ** 2 + 2 * 1408 * 5632) + 3 * 14 ** 2 * 1408 + (336 / 14) ** 2 * 1408 + 4096 * H;
    expect(ir.extraModules.find((m) => m.name.startsWith("vision"))!.params).toBe(vision);
  });

  it("GLM-4.5: 3 dense + 89 MoE blocks = 352.80B; with its MTP layer (own embedding and head) 358.34B; the card's 355B lies between", () => {
    const H = 5120, V = 151552, q = 96 * 128, kv = 8 * 128, E = 160, I = 1536;
    const attn = H * q + 2 * H * kv + q * H + (q + 2 * kv) + 2 * 128; // q, k, v, o + q/k/v biases + q/k RMSNorm
    const moe = E * H + E + E * 3 * H * I + 3 * H * I; // router + correction bias, experts, shared expert
    const dense = 3 * H * 12288;
    const main = 3 * (attn + dense + 2 * H) + 89 * (attn + moe + 2 * H) + 2 * V * H + H;
    const ir = loadModel("zai-org/GLM-4.5");
    expect(totalParams(ir)).toBe(main); // 352,797,829,024
    const mtp = attn + moe + 2 * H + 2 * H + 2 * H * H + H + 2 * V * H; // block, enorm+hnorm, eh_proj, head norm, embedding + head
    expect(ir.extraModules[0].params).toBe(mtp);
    expect(main / 1e9).toBeLessThan(355);
    expect((main + mtp) / 1e9).toBeGreaterThan(355);
  });

  it("Kimi-K2: the card's architecture table gives 1.0264T exactly (the card rounds to 1T), 31.7B active (card: 32B)", () => {
    const H = 7168, V = 163840, heads = 64, E = 384, I = 2048;
    const mla = 1536 * H + 1536 + heads * 192 * 1536 + 576 * H + 512 + heads * 256 * 512 + H * heads * 128; // q_a, norm, q_b, kv_a, norm, kv_b, o
    const moe = E * H + E + E * 3 * H * I + 3 * H * I; // sigmoid router + bias, 384 experts, 1 shared
    const total = (mla + 3 * H * 18432 + 2 * H) + 60 * (mla + moe + 2 * H) + 2 * V * H + H;
    const ir = loadModel("moonshotai/Kimi-K2-Instruct");
    expect(totalParams(ir)).toBe(total); // 1,026,408,232,448
    expect(Math.abs(activeParams(ir) / 32e9 - 1)).toBeLessThan(0.02);
  });

  it("DeepSeek-V2-Lite (MLA without q LoRA): 15.71B total, 2.4B active as published", () => {
    // Dimensions as published for DeepSeek-V2-Lite (model card; DeepSeek-V2 paper arXiv:2405.04434): 27 layers, hidden 2048,
    // 16 heads, q not compressed, KV latent 512 + rope 64, first layer dense (10944), then 64 routed (top-6) + 2 shared experts of 1408.
    const cfg = {
      model_type: "deepseek_v2", hidden_size: 2048, intermediate_size: 10944, moe_intermediate_size: 1408, num_hidden_layers: 27,
      num_attention_heads: 16, num_key_value_heads: 16, n_routed_experts: 64, n_shared_experts: 2, num_experts_per_tok: 6,
      kv_lora_rank: 512, q_lora_rank: null, qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128, vocab_size: 102400,
      first_k_dense_replace: 1, moe_layer_freq: 1, max_position_embeddings: 163840, hidden_act: "silu", tie_word_embeddings: false,
      topk_method: "greedy", scoring_func: "softmax", aux_loss_alpha: 0.001, seq_aux: true, torch_dtype: "bfloat16",
    };
    const arch = parseHfConfig(cfg, "v2-lite");
    const ir = buildIR("deepseek-ai/DeepSeek-V2-Lite", arch, "test", arch.ignored);
    const H = 2048;
    const mla = 16 * 192 * H + 576 * H + 512 + 16 * 256 * 512 + H * 16 * 128; // q_proj (no LoRA), kv_a, norm, kv_b, o
    const moe = 64 * H + 64 * 3 * H * 1408 + 3 * H * (2 * 1408);
    expect(totalParams(ir)).toBe((mla + 3 * H * 10944 + 2 * H) + 26 * (mla + moe + 2 * H) + 2 * 102400 * H + H); // 15,706,484,224
    expect(ir.layers.find((l) => l.attention)!.tensors.map((t) => t.name)).toContain("model.layers.0.self_attn.q_proj.weight");
    expect(Math.abs(activeParams(ir) / 2.4e9 - 1)).toBeLessThan(0.05); // card: 2.4B activated (ours excludes the embedding lookup)
  });
});
