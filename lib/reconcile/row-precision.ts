/** What a benchmark row's `precision` and `kv_cache_dtype` mean for a model's weights and its KV cache, each choice recorded. */
import type { Assumption } from "../core/explain";
import type { Dtype } from "../core/dtypes";
import { InputError } from "../core/validate";
import type { EngineProfile } from "../engine/profile";
import type { DtypeGroup, ModelIR } from "../model/ir";

/** Weight dtypes a benchmark `precision` means for a model (checkpoint dtypes where the precision matches them). */
export function weightsFor(precision: string, ir: ModelIR, a: Assumption[], vendor: string): Partial<Record<DtypeGroup, Dtype>> {
  const p = precision.toLowerCase();
  const ck = ir.defaultDtypes;
  if (p === "" ) {
    a.push({ what: "precision", value: "checkpoint dtypes", why: "the row gives no precision" });
    return {};
  }
  if (p === "fp4") {
    if (ck.experts === "mxfp4") {
      a.push({ what: "precision fp4", value: "MoE experts MXFP4 (checkpoint), attention/router/embedding BF16", why: "GPT-OSS is published with MXFP4 experts; the benchmark serves that checkpoint" });
      return {};
    }
    if (vendor === "AMD") {
      a.push({ what: "precision fp4", value: "MXFP4 for linear weights (attention, FFN, experts), BF16 embedding/head", why: "AMD FP4 checkpoints (amd/*-MXFP4) use OCP MXFP4" });
      return { attention: "mxfp4", ffn: "mxfp4", experts: "mxfp4" };
    }
    a.push({ what: "precision fp4", value: "NVFP4 for linear weights (attention, FFN, experts), BF16 embedding/head", why: "FP4 checkpoints of other models are NVFP4 (e.g. nvidia/*-FP4)" });
    return { attention: "nvfp4", ffn: "nvfp4", experts: "nvfp4" };
  }
  if (p === "fp8") {
    if (ck.experts === "fp8-block" || ck.attention === "fp8-block") {
      a.push({ what: "precision fp8", value: "checkpoint FP8 block-scaled weights", why: "the model is published in FP8" });
      return {};
    }
    a.push({ what: "precision fp8", value: "FP8 for linear weights, BF16 embedding/head", why: "per-tensor FP8 quantisation of the BF16 checkpoint" });
    return { attention: "fp8", ffn: "fp8", experts: "fp8" };
  }
  // Explicit formats name the linear weights' dtype directly.
  const explicit: Record<string, Dtype> = { nvfp4: "nvfp4", mxfp4: "mxfp4", int8: "int8", w8a8: "int8", int4: "int4", awq: "int4", gptq: "int4", w4a16: "int4", fp8_e4m3: "fp8", "fp8-block": "fp8-block" };
  if (explicit[p]) {
    a.push({ what: `precision ${precision}`, value: `${explicit[p]} for linear weights (attention, FFN, experts), BF16 embedding/head`, why: "the precision names the weight format" });
    return { attention: explicit[p], ffn: explicit[p], experts: explicit[p] };
  }
  if (p === "bf16" || p === "fp16") {
    return { attention: "bf16", ffn: "bf16", experts: "bf16", router: "bf16", embedding: "bf16", lm_head: "bf16" };
  }
  throw new InputError(`precision "${precision}" is not understood: use fp4, fp8, bf16, fp16, nvfp4, mxfp4, int8 or int4`);
}

const KV_NAMES: Record<string, Dtype> = { fp8: "fp8", fp8_e4m3: "fp8", "fp8-e4m3": "fp8", bf16: "bf16", bfloat16: "bf16", fp16: "fp16", float16: "fp16", nvfp4: "nvfp4" };

/**
 * The KV-cache dtype of a row: the column when it names one; else the checkpoint's (hf_quant_config
 * kv_cache_quant_algo); else TensorRT-LLM's rule that FP8 weights get an FP8 KV cache (trtllm-bench
 * build.py); else the engines' `auto` = the model dtype (bf16 for these checkpoints).
 */
export function kvDtypeFor(column: string, precision: string, model: ModelIR, engine: EngineProfile, a: Assumption[]): Dtype {
  const c = column.trim().toLowerCase();
  if (c && c !== "auto") {
    const d = KV_NAMES[c];
    if (!d) throw new InputError(`kv_cache_dtype "${column}" is not understood: use fp8, bf16, fp16 or auto`);
    a.push({ what: "KV-cache dtype", value: d, why: "kv_cache_dtype column" });
    return d;
  }
  if (model.defaultKvDtype) {
    a.push({ what: "KV-cache dtype", value: model.defaultKvDtype, why: "the checkpoint's quantisation config names its KV-cache dtype" });
    return model.defaultKvDtype;
  }
  if (engine.kernel_framework === "trtllm" && precision.trim().toLowerCase() === "fp8") {
    a.push({ what: "KV-cache dtype", value: "fp8", why: "TensorRT-LLM builds FP8 models with an FP8 KV cache (tensorrt_llm/bench/build/build.py)" });
    return "fp8";
  }
  const model16 = model.defaultDtypes.embedding === "fp16" ? "fp16" : "bf16";
  a.push({ what: "KV-cache dtype", value: model16, why: "engines' default kv_cache_dtype auto = the model dtype; the row does not state it" });
  return model16;
}
