import { describe, expect, it } from "vitest";
import { loadModel, parseHfConfig } from "../../lib/model";
import { checkpointQuant, patternMatches } from "../../lib/model/quant";

const dense = [{ dense: true, experts: false, sharedExperts: false }, { dense: true, experts: false, sharedExperts: false }];
const llama = {
  model_type: "llama", hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  vocab_size: 100, max_position_embeddings: 512, hidden_act: "silu", torch_dtype: "bfloat16",
};

describe("exclusion patterns", () => {
  it("match ModelOpt globs, compressed-tensors regexes and dotted module names", () => {
    expect(patternMatches("model.layers.21.self_attn*", "model.layers.21.self_attn.o_proj")).toBe(true);
    expect(patternMatches("model.layers.21.self_attn*", "model.layers.2.self_attn.o_proj")).toBe(false);
    expect(patternMatches("model.layers.*.self_attn", "model.layers.7.self_attn.o_proj")).toBe(true);
    expect(patternMatches("re:.*self_attn.*", "model.layers.0.self_attn.o_proj")).toBe(true);
    expect(patternMatches("model.layers.0.mlp.gate", "model.layers.0.mlp.gate_proj")).toBe(false);
    expect(patternMatches("lm_head", "lm_head")).toBe(true);
  });
});

describe("checkpoint quantisation → weight dtypes per group and the KV dtype", () => {
  it("ModelOpt NVFP4 (hf_quant_config.json) that excludes attention in every block keeps attention at the base dtype", () => {
    const ir = loadModel("nvidia/DeepSeek-V3-0324-NVFP4");
    expect(ir.defaultDtypes).toMatchObject({ attention: "bf16", ffn: "nvfp4", experts: "nvfp4", router: "bf16", lm_head: "bf16" });
    expect(ir.defaultKvDtype).toBeUndefined(); // kv_cache_quant_algo null
    expect(ir.assumptions!.join(" ")).toMatch(/attention: excluded .* in 61 of 61 blocks/);
  });

  it("ModelOpt FP8 with an FP8 KV cache (nvidia/Llama-3.1-70B-Instruct-FP8)", () => {
    const ir = loadModel("nvidia/Llama-3.1-70B-Instruct-FP8");
    expect(ir.defaultDtypes).toMatchObject({ attention: "fp8", ffn: "fp8", lm_head: "bf16", embedding: "bf16" });
    expect(ir.defaultKvDtype).toBe("fp8");
    expect(ir.provenance["default dtypes"].source).toMatch(/ModelOpt FP8.*KV cache fp8/);
  });

  it("fp8 block-scaled quantization_config with modules_to_not_convert listing norms, routers and the head (Qwen3-235B-A22B-FP8)", () => {
    const ir = loadModel("Qwen/Qwen3-235B-A22B-FP8");
    expect(ir.defaultDtypes).toMatchObject({ attention: "fp8-block", experts: "fp8-block", router: "bf16" });
    expect(ir.assumptions).toBeUndefined();
  });

  it("quant_method modelopt inside config.json", () => {
    const q = { quant_method: "modelopt", quant_algo: "NVFP4", kv_cache_quant_algo: "FP8", exclude_modules: ["lm_head"] };
    expect(checkpointQuant(q, undefined, "bf16", dense, "cfg")).toMatchObject({ dtypes: { attention: "nvfp4", ffn: "nvfp4" }, kvDtype: "fp8" });
  });

  it("compressed-tensors FP8 with an FP8 KV scheme; ignore: lm_head", () => {
    const q = {
      quant_method: "compressed-tensors", format: "float-quantized", ignore: ["lm_head"],
      config_groups: { group_0: { targets: ["Linear"], weights: { num_bits: 8, type: "float", strategy: "channel" }, input_activations: { num_bits: 8, type: "float", dynamic: true } } },
      kv_cache_scheme: { num_bits: 8, type: "float", strategy: "tensor" },
    };
    const r = parseHfConfig({ ...llama, quantization_config: q }, "cfg");
    expect(r.defaultDtypes).toMatchObject({ attention: "fp8", ffn: "fp8", lm_head: "bf16" });
    expect(r.defaultKvDtype).toBe("fp8");
  });

  it("compressed-tensors W4A16 (int 4-bit groups) and AWQ / GPTQ 4-bit read as int4", () => {
    const ct = { quant_method: "compressed-tensors", config_groups: { g: { targets: ["Linear"], weights: { num_bits: 4, type: "int", strategy: "group", group_size: 128 } } }, ignore: ["lm_head"] };
    expect(checkpointQuant(ct, undefined, "bf16", dense, "cfg").dtypes.ffn).toBe("int4");
    expect(checkpointQuant({ quant_method: "awq", bits: 4, group_size: 128, zero_point: true, version: "gemm" }, undefined, "fp16", dense, "cfg").dtypes.attention).toBe("int4");
    expect(checkpointQuant({ quant_method: "gptq", bits: 8, group_size: 128 }, undefined, "fp16", dense, "cfg").dtypes.ffn).toBe("int8");
  });

  it("an exclusion that covers only some blocks gives the group the majority's dtype and says so", () => {
    const three = [...dense, dense[0]];
    const q = (excluded: string[]) => ({ quant_method: "fp8", weight_block_size: [128, 128], modules_to_not_convert: excluded });
    const one = checkpointQuant(q(["model.layers.0.self_attn"]), undefined, "bf16", three, "cfg");
    expect(one.dtypes.attention).toBe("fp8-block"); // 1 of 3 blocks kept in bf16: the group stays FP8
    expect(one.notes.join(" ")).toMatch(/attention: 1 of 3 blocks excluded/);
    const two = checkpointQuant(q(["model.layers.0.self_attn", "model.layers.2.self_attn"]), undefined, "bf16", three, "cfg");
    expect(two.dtypes.attention).toBe("bf16"); // 2 of 3 excluded: the group is bf16
    expect(two.dtypes.ffn).toBe("fp8-block");
  });

  it("methods the library cannot represent are errors naming the method and the fix", () => {
    expect(() => parseHfConfig({ ...llama, quantization_config: { quant_method: "bitsandbytes", load_in_4bit: true } }, "cfg")).toThrow(/quant_method "bitsandbytes" is not understood.*choose weight dtypes in the plan/);
    expect(() => checkpointQuant({ quant_method: "modelopt", quant_algo: "MIXED_PRECISION" }, undefined, "bf16", dense, "cfg")).toThrow(/quant_algo "MIXED_PRECISION"/);
    expect(() => checkpointQuant(undefined, { producer: {} }, "bf16", dense, "cfg")).toThrow(/hf_quant_config\.json has no "quantization"/);
  });
});
