import { describe, expect, it } from "vitest";
import { attentionWindows, canonicalModelId, loadModel, parseHfConfig } from "../../lib/model";

const attn = (id: string) => loadModel(id).layers.filter((l) => l.attention).map((l) => l.attention!);

describe("attention layouts read from the configs", () => {
  it("Llama 4 Scout: chunked local attention (8192) in RoPE blocks, every 4th block global without RoPE", () => {
    const a = attn("meta-llama/Llama-4-Scout-17B-16E-Instruct");
    // transformers' no_rope_layers default: block i uses RoPE unless (i + 1) % 4 == 0 → blocks 3, 7, …, 47 are global NoPE.
    expect(a.filter((x) => x.noRope)).toHaveLength(12);
    expect(a[3]).toMatchObject({ window: null, noRope: true });
    expect(a[0]).toMatchObject({ window: 8192, windowKind: "chunked", variant: "GQA", heads: 40, kvHeads: 8, headDim: 128 });
    const ir = loadModel("meta-llama/Llama-4-Scout-17B-16E-Instruct");
    expect(ir.layers.filter((l) => l.type === "attention.chunked8192")).toHaveLength(36);
    expect(ir.layers.find((l) => l.moe)!.moe).toMatchObject({ experts: 16, topk: 1, sharedExperts: 1, sharedIntermediate: 8192, scoring: "sigmoid" });
    expect(ir.assumptions!.join(" ")).toMatch(/text decoder only/);
  });

  it("Llama 4 Maverick interleaves MoE (odd blocks, interleave_moe_layer_step 2) with dense blocks of intermediate_size_mlp", () => {
    const ir = loadModel("meta-llama/Llama-4-Maverick-17B-128E-Instruct");
    const mlp = ir.layers.filter((l) => l.kind === "moe" || l.kind === "ffn");
    expect(mlp.filter((l) => l.kind === "moe")).toHaveLength(24);
    expect(mlp[0].kind).toBe("ffn");
    expect(mlp[1].kind).toBe("moe");
    expect(mlp[0].ffn!.intermediate).toBe(16384);
  });

  it("Gemma 2 alternates sliding (even blocks) and global attention, soft-caps logits, and has 4 norms per block", () => {
    const ir = loadModel("google/gemma-2-9b-it");
    const a = attn("google/gemma-2-9b-it");
    expect(a[0]).toMatchObject({ window: 4096, windowKind: "sliding", headDim: 256, softcap: 50 });
    expect(a[1].window).toBeNull();
    expect(ir.logitSoftcap).toBe(30);
    expect(ir.layers.filter((l) => l.block === 0 && l.kind === "norm").map((l) => l.name.split(".").pop())).toEqual([
      "input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm",
    ]);
    expect(ir.layers.find((l) => l.kind === "lm_head")!.params).toBe(0); // tied to the embedding
  });

  it("Gemma 3 (multimodal checkpoint): text_config decoder, 5 local (1024) : 1 global, q/k norms, head_dim 128 ≠ 5376/32", () => {
    const ir = loadModel("google/gemma-3-27b-it");
    const a = attn("google/gemma-3-27b-it");
    expect(a.filter((x) => x.window === null)).toHaveLength(10); // blocks 5, 11, …, 59
    expect(a[5].window).toBeNull();
    expect(a[0]).toMatchObject({ window: 1024, qkNorm: true, headDim: 128 });
    expect(ir.family).toBe("gemma3");
    expect(ir.provenance["text_config.hidden_size"].source).toMatch(/google_gemma-3-27b-it\.json/);
    expect(ir.assumptions!.join(" ")).toMatch(/vision tower \(siglip_vision_model\)/);
    expect(attentionWindows(ir).sort()).toEqual([1024, null].sort());
  });

  it("Mistral 7B v0.1 slides a 4096 window in every block; Phi-4's window equals its context, so it is full attention", () => {
    expect(attn("mistralai/Mistral-7B-v0.1").every((x) => x.window === 4096)).toBe(true);
    expect(attn("microsoft/phi-4").every((x) => x.window === null)).toBe(true);
    expect(attn("mistralai/Mistral-7B-Instruct-v0.3").every((x) => x.window === null)).toBe(true);
  });

  it("GLM-4.5: bias on q/k/v only, q/k norm, half-rotary heads, 3 dense blocks, one MTP module outside the decoder", () => {
    const ir = loadModel("zai-org/GLM-4.5");
    const a = attn("zai-org/GLM-4.5")[0];
    expect(a).toMatchObject({ qkvBias: true, oBias: false, qkNorm: true, ropeFraction: 0.5 });
    expect(ir.layers.filter((l) => l.kind === "ffn")).toHaveLength(3);
    expect(ir.extraModules[0].name).toMatch(/multi-token prediction/);
  });

  it("Qwen3 dense has per-head q/k RMSNorm; Kimi-K2 reads as DeepSeek-V3 MLA with 64 heads", () => {
    expect(attn("Qwen/Qwen3-8B")[0]).toMatchObject({ qkNorm: true, qkvBias: false, headDim: 128 });
    expect(attn("moonshotai/Kimi-K2-Instruct")[0]).toMatchObject({ variant: "MLA", heads: 64 });
  });
});

describe("layer kinds the IR cannot cost, multimodal wrappers and field discipline", () => {
  const llama = { model_type: "llama", hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 100, max_position_embeddings: 512, hidden_act: "silu" };

  it.each([
    ["jamba", /Mamba \(state-space\) layers/],
    ["mamba", /Mamba \(selective state-space\)/],
    ["qwen3_next", /Gated DeltaNet linear-attention/],
    ["falcon_h1", /Mamba-2 state-space heads/],
  ])("model_type %s is an error naming the layer kind", (t, kind) => {
    expect(() => parseHfConfig({ ...llama, model_type: t }, "cfg")).toThrow(kind);
    expect(() => parseHfConfig({ ...llama, model_type: t }, "cfg")).toThrow(/cannot cost.*supported model types: .*llama/s);
  });

  it("a layer_types entry the IR cannot cost names the kind", () => {
    const cfg = { ...llama, model_type: "qwen3", num_key_value_heads: 2, head_dim: 16, tie_word_embeddings: false, layer_types: ["full_attention", "linear_attention"] };
    expect(() => parseHfConfig(cfg, "cfg")).toThrow(/layer kind "linear_attention" cannot be costed/);
  });

  it("a multimodal wrapper needs text_config, and unknown nested fields are named with their path", () => {
    expect(() => parseHfConfig({ model_type: "gemma3", vision_config: {} }, "cfg")).toThrow(/needs a text_config object/);
    const text = { hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16, vocab_size: 100, max_position_embeddings: 512, hidden_activation: "gelu_pytorch_tanh", sliding_window: 32, sliding_window_pattern: 2 };
    expect(() => parseHfConfig({ model_type: "gemma3", text_config: { ...text, mystery: 1 } }, "cfg")).toThrow(/"text_config\.mystery" not understood/);
    const ok = parseHfConfig({ model_type: "gemma3", text_config: text }, "cfg");
    expect(ok.attention.map((x) => x.window)).toEqual([32, null]); // pattern 2: block 1 global
    expect(ok.assumptions.join(" ")).toMatch(/read as gemma3_text/);
  });

  it("Qwen2 with use_sliding_window slides from max_window_layers on", () => {
    const cfg = { ...llama, model_type: "qwen2", num_key_value_heads: 2, num_hidden_layers: 4, use_sliding_window: true, sliding_window: 64, max_window_layers: 2 };
    expect(parseHfConfig(cfg, "cfg").attention.map((x) => x.window)).toEqual([null, null, 64, 64]);
  });
});

describe("model ids as people write them", () => {
  it("benchmark spellings keep their canonical ids", () => {
    expect(canonicalModelId("openai/gpt-oss-120b")).toBe("openai/gpt-oss-120b");
    expect(canonicalModelId("/mnt/lustre01/models/gpt-oss-120b")).toBe("openai/gpt-oss-120b");
    expect(canonicalModelId("deepseek-ai/DeepSeek-R1-0528")).toBe("deepseek-ai/deepseek-r1-0528");
    expect(canonicalModelId("nvidia/DeepSeek-R1-0528-FP4")).toBe("deepseek-ai/deepseek-r1");
    expect(canonicalModelId("meta-llama/Llama-3.1-8B")).toBe("meta-llama/llama-3.1-8b");
    expect(canonicalModelId("mistralai/Mixtral-8x22B-v0.1")).toBe("mistralai/mixtral-8x22b-v0.1");
    expect(canonicalModelId("mistralai/Mistral-7B-v0.1")).toBe("mistralai/mistral-7b-v0.1");
  });

  it("instruct, dated and -2507 variants load the right config", () => {
    expect(loadModel("meta-llama/Llama-3.1-8B-Instruct").provenance.hidden_size.source).toMatch(/Llama-3\.1-8B\.json/);
    expect(loadModel("Qwen/Qwen3-235B-A22B-Instruct-2507").provenance.hidden_size.source).toMatch(/Qwen3-235B-A22B\.json/);
    expect(loadModel("Qwen/Qwen3-235B-A22B-Instruct-2507-FP8").defaultDtypes.experts).toBe("fp8-block");
    expect(loadModel("meta-llama/Llama-3.3-70B-Instruct").provenance.hidden_size.source).toMatch(/Llama-3\.3-70B-Instruct\.json/);
    expect(loadModel("mistralai/Mistral-7B").provenance.hidden_size.source).toMatch(/Mistral-7B-v0\.1\.json/);
  });
});
