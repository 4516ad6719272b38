/**
 * How each aiconfigurator parquet file maps to a Mantile kernel table: which file, which rows are
 * kept (selection), how source columns become table columns (mapping), and what the measurement
 * does not represent (caveats). Read by scripts/build-kernel-tables.ts.
 */
import type { MeasuredRow } from "../lib/kernels/build";
import type { ModelShapes } from "../lib/kernels/model-shapes";
import type { Shape } from "../lib/kernels/work";
import { measuredRouting, routingLabel, TRTLLM_MIN_LATENCY_ROUTING, TRTLLM_MIN_LATENCY_SOURCE } from "../lib/kernels/moe-routing";
import type { KernelOp } from "../lib/kernels/types";

export type Raw = Record<string, unknown>;

export interface OpSource {
  op: KernelOp;
  opDir: string;
  file: string;
  mapping: Record<string, string>;
  /** Normalise a source row, or return undefined to leave it out (selection). */
  normalise: (r: Raw, shapes: ModelShapes, framework: string) => MeasuredRow | undefined;
  selection: (shapes: ModelShapes) => string;
  /** A known limit of what this row measured, stated once per dtype in the header. */
  caveat?: (r: Raw, framework: string, system: string) => string | undefined;
}

const N = (v: unknown): number => Number(v);
export const dt = (v: unknown): string => {
  const s = String(v);
  return s === "bfloat16" ? "bf16" : s === "half" ? "fp16" : s;
};
const meta = (r: Raw) => ({ kernelSource: String(r.kernel_source), version: String(r.version) });
const LATENCY = "latency (ms) × 1000";

function attentionSource(op: "context_attention" | "generation_attention"): OpSource {
  const axis = op === "context_attention" ? "isl" : "kv_len";
  const axisFrom = op === "context_attention" ? "isl" : "step";
  return {
    op,
    opDir: "attention",
    file: `${op}_perf.parquet`,
    mapping: {
      heads: "num_heads",
      kv_heads: "num_key_value_heads",
      head_dim: "head_dim",
      window: "window_size (0 = full attention)",
      attn_dtype: "attn_dtype (bfloat16 -> bf16)",
      kv_dtype: "kv_cache_dtype (bfloat16 -> bf16)",
      batch: "batch_size",
      [axis]: op === "context_attention" ? "isl (tokens per sequence)" : "step (KV length attended, incl. the new token)",
      latency_us: LATENCY,
    },
    selection: (s) =>
      `beam_width 1 and (num_heads, num_key_value_heads, head_dim, window_size) equal to a per-GPU head ` +
      `configuration (TP 1..8) of the models in data/models: ` +
      s.heads.map((h) => `${h.heads}/${h.kvHeads}/${h.headDim}/w${h.window}`).join(", "),
    normalise: (r, s) => {
      if (N(r.beam_width ?? 1) !== 1) return undefined;
      const h = N(r.num_heads), g = N(r.num_key_value_heads), d = N(r.head_dim), w = N(r.window_size ?? 0);
      if (!s.heads.some((x) => x.heads === h && x.kvHeads === g && x.headDim === d && x.window === w)) return undefined;
      return {
        shape: {
          heads: h,
          kv_heads: g,
          head_dim: d,
          window: w,
          attn_dtype: dt(r.attn_dtype),
          kv_dtype: dt(r.kv_cache_dtype),
          batch: N(r.batch_size),
          [axis]: N(r[axisFrom]),
        },
        latencyMs: N(r.latency),
        ...meta(r),
      };
    },
  };
}

const TRTLLM_MXFP4_UNTUNED =
  "TRT-LLM w4a16_mxfp4 rows ran the trtllm-gen kernel's default tactic: aiconfigurator's collector skips " +
  "TRT-LLM's AutoTuner for this dtype (collector/trtllm/collect_moe.py, `if moe_type != \"w4a16_mxfp4\"`), " +
  "while serving autotunes at warm-up. The tuned w4a8_mxfp4_mxfp8 rows of the same kernel family are " +
  "about 4× faster at the same shape.";
const VLLM_FLASHINFER_UNTUNED =
  "vLLM FlashInfer MoE kernels (kernel_source containing 'flashinfer') were measured without FlashInfer autotuning (collector/vllm/collect_moe.py " +
  "never enters flashinfer's autotune()); vLLM serving autotunes them at start-up " +
  "(vllm/model_executor/warmup/kernel_warmup.py, 'without autotuning, FlashInfer will rely on heuristics, " +
  "which may be significantly slower').";

/** Systems whose TRT-LLM MXFP4 MoE is the trtllm-gen kernel (collector/trtllm/collect_moe.py, 100 <= sm < 120). */
const BLACKWELL = new Set(["b200_sxm", "gb200"]);

const MOE_SOURCE: OpSource = {
  op: "moe",
  opDir: "moe",
  file: "moe_perf.parquet",
  mapping: {
    dtype: "moe_dtype (bfloat16 -> bf16)",
    hidden: "hidden_size",
    inter: "inter_size",
    topk: "topk",
    experts: "num_experts",
    tp: "moe_tp_size",
    ep: "moe_ep_size",
    distribution: "distribution (router logits aiconfigurator generated: balanced, power_law_<alpha>)",
    routing:
      "router the framework applied to those logits (lib/kernels/moe-routing.ts measuredRouting): topk, or " +
      "grouped_<n_group>_<topk_group> (TRT-LLM kernel_source moe_torch_flow_min_latency: DeepseekV3Gate 8/4; " +
      "vLLM/SGLang: the model's n_group/topk_group)",
    tokens: "num_tokens (every token entering the layer on the measured GPU; with EP the whole EP group's batch)",
    latency_us: LATENCY,
  },
  selection: (s) =>
    "(hidden_size, inter_size, topk, num_experts) of a model in data/models, every dtype, TP/EP and distribution: " +
    s.moe.map((m) => `${m.hidden}/${m.inter}/top${m.topk}/${m.experts}e${m.groups ? ` (groups ${m.groups}/${m.groupsKept})` : ""}`).join(", ") +
    `. TRT-LLM ${TRTLLM_MIN_LATENCY_SOURCE} rows only for models that route ${routingLabel(TRTLLM_MIN_LATENCY_ROUTING)} ` +
    "themselves: the collector builds that kernel with DeepSeek-V3's router for every shape, which the other models do not use.",
  normalise: (r, s, framework) => {
    const H = N(r.hidden_size), I = N(r.inter_size), k = N(r.topk), E = N(r.num_experts);
    const model = s.moe.find((m) => m.hidden === H && m.inter === I && m.topk === k && m.experts === E);
    if (!model) return undefined;
    const routing = measuredRouting(framework, String(r.kernel_source), model);
    // The model's own router (what vLLM and SGLang measure).
    const own = routingLabel(measuredRouting("vllm", "", model));
    const minLatency = framework === "trtllm" && String(r.kernel_source) === TRTLLM_MIN_LATENCY_SOURCE;
    if (minLatency && routingLabel(routing) !== own) return undefined;
    return {
      shape: {
        dtype: dt(r.moe_dtype),
        hidden: H,
        inter: I,
        topk: k,
        experts: E,
        tp: N(r.moe_tp_size),
        ep: N(r.moe_ep_size),
        distribution: String(r.distribution),
        routing: routingLabel(routing),
        tokens: N(r.num_tokens),
      },
      latencyMs: N(r.latency),
      ...meta(r),
    };
  },
  caveat: (r, framework, system) => {
    const src = String(r.kernel_source);
    // On Hopper TRT-LLM runs MXFP4 MoE with its Triton backend, which the AutoTuner does not drive.
    if (framework === "trtllm" && dt(r.moe_dtype) === "w4a16_mxfp4" && BLACKWELL.has(system)) return TRTLLM_MXFP4_UNTUNED;
    if (framework === "vllm" && /flashinfer/.test(src)) return VLLM_FLASHINFER_UNTUNED;
    return undefined;
  },
};

/** Context MLA kernel form by the collector's kernel_source (lib/kernels/ops-mla.ts MlaContextForm). */
const CONTEXT_MLA_FORM: Record<string, string> = {
  default: "mha", // TRT-LLM: decompressed q/k/v per head (collector/trtllm/collect_mla.py)
  trtllm_mla: "mqa", // SGLang on Blackwell: decompressed widths, one shared K/V head
  flash_attention: "absorbed", // SGLang fa3 on Hopper: latent q (512 + 64), latent K/V
  triton: "absorbed",
};

const MLA_MODEL = "deepseek-ai/DeepSeek-V3";
const mlaGeometry = "DeepSeek-V3 geometry only (q_lora 1536, kv_lora 512, nope 128, rope 64, v 128); num_heads is per GPU";

const CONTEXT_MLA_SOURCE: OpSource = {
  op: "context_mla",
  opDir: "mla",
  file: "context_mla_perf.parquet",
  mapping: {
    form: `kernel_source -> ${Object.entries(CONTEXT_MLA_FORM).map(([k, v]) => `${k}: ${v}`).join(", ")}`,
    attn_dtype: "mla_dtype (bfloat16 -> bf16)",
    kv_dtype: "kv_cache_dtype (bfloat16 -> bf16)",
    heads: "num_heads (already per GPU; tp_size only records which total/TP pair was run)",
    batch: "batch_size",
    isl: "isl (prompt tokens per sequence, empty cache)",
    latency_us: LATENCY,
  },
  selection: () => `all rows; ${mlaGeometry}`,
  normalise: (r) => {
    const form = CONTEXT_MLA_FORM[String(r.kernel_source)];
    if (!form) throw new Error(`context_mla: unknown kernel_source "${String(r.kernel_source)}": add its form to CONTEXT_MLA_FORM`);
    return {
      shape: { form, attn_dtype: dt(r.mla_dtype), kv_dtype: dt(r.kv_cache_dtype), heads: N(r.num_heads), batch: N(r.batch_size), isl: N(r.isl) },
      latencyMs: N(r.latency),
      ...meta(r),
    };
  },
};

const GENERATION_MLA_SOURCE: OpSource = {
  op: "generation_mla",
  opDir: "mla",
  file: "generation_mla_perf.parquet",
  mapping: {
    kv_dtype: "kv_cache_dtype (bfloat16 -> bf16)",
    heads: "num_heads (per GPU)",
    batch: "batch_size",
    kv_len: "isl + step (step cached tokens plus the new one: the KV length attended)",
    latency_us: LATENCY,
  },
  selection: () => `all rows (mla_dtype is always bfloat16 here); ${mlaGeometry}`,
  normalise: (r) => ({
    shape: { kv_dtype: dt(r.kv_cache_dtype), heads: N(r.num_heads), batch: N(r.batch_size), kv_len: N(r.isl) + N(r.step) },
    latencyMs: N(r.latency),
    ...meta(r),
  }),
};

const MLA_BMM_SOURCE: OpSource = {
  op: "mla_bmm",
  opDir: "mla_bmm",
  file: "mla_bmm_perf.parquet",
  mapping: {
    op: "op_name (mla_gen_pre -> pre: q_nope·W_UK; mla_gen_post -> post: o·W_UV)",
    dtype: "bmm_dtype (bfloat16 -> bf16; fp8 includes the per-tensor activation quantisation kernel)",
    heads: "num_heads (per GPU)",
    tokens: "num_tokens",
    latency_us: LATENCY,
  },
  selection: () => "all rows",
  normalise: (r) => ({
    shape: { op: String(r.op_name).replace(/^mla_gen_/, ""), dtype: dt(r.bmm_dtype), heads: N(r.num_heads), tokens: N(r.num_tokens) },
    latencyMs: N(r.latency),
    ...meta(r),
  }),
};

/**
 * KV length attended by a generation-module row: TRT-LLM caches `step` tokens and adds the new one
 * (collector/trtllm/collect_mla_module.py: max_seq = seq_len + 1); vLLM's cache holds step − 1
 * (collector/vllm/collect_mla_module.py: seq_lens = [seq_len], query_lens = [1]).
 */
const moduleKvLen = (r: Raw, framework: string): number => N(r.step) + (framework === "trtllm" ? 1 : 0);

function mlaModuleSource(op: "mla_context_module" | "mla_generation_module"): OpSource {
  const context = op === "mla_context_module";
  return {
    op,
    opDir: "mla",
    file: `${op}_perf.parquet`,
    mapping: {
      gemm_dtype: "gemm_type (bfloat16 -> bf16): the projections' weight format",
      ...(context ? { attn_dtype: "mla_dtype (bfloat16 -> bf16): prefill attention compute dtype" } : {}),
      kv_dtype: "kv_cache_dtype (bfloat16 -> bf16)",
      heads: "num_heads (per GPU)",
      batch: "batch_size",
      ...(context
        ? { isl: "isl (prompt tokens per sequence; step = prefix = 0 in these rows)" }
        : { kv_len: "KV length attended incl. the new token: TRT-LLM step + 1, vLLM step" }),
      latency_us: LATENCY,
    },
    selection: () =>
      `rows of model ${MLA_MODEL}; the whole attention module (fused q_a/kv_a, norms, q_b, rope, ` +
      `${context ? "kv_b decompression, prefill attention" : "W_UK, latent decode attention, W_UV"}, o_proj); ${mlaGeometry}`,
    normalise: (r, _s, framework) => {
      if (String(r.model) !== MLA_MODEL) return undefined;
      const common = { gemm_dtype: dt(r.gemm_type), kv_dtype: dt(r.kv_cache_dtype), heads: N(r.num_heads), batch: N(r.batch_size) };
      const shape: Shape = context
        ? { gemm_dtype: common.gemm_dtype, attn_dtype: dt(r.mla_dtype), kv_dtype: common.kv_dtype, heads: common.heads, batch: common.batch, isl: N(r.isl) }
        : { ...common, kv_len: moduleKvLen(r, framework) };
      return { shape, latencyMs: N(r.latency), ...meta(r) };
    },
  };
}

export const OP_SOURCES: OpSource[] = [
  {
    op: "gemm",
    opDir: "gemm",
    file: "gemm_perf.parquet",
    mapping: { dtype: "gemm_dtype (bfloat16 -> bf16)", m: "m", n: "n", k: "k", latency_us: LATENCY },
    selection: () => "all rows (every gemm_dtype, m, n, k present)",
    normalise: (r) => ({
      shape: { dtype: dt(r.gemm_dtype), n: N(r.n), k: N(r.k), m: N(r.m) },
      latencyMs: N(r.latency),
      ...meta(r),
    }),
  },
  attentionSource("context_attention"),
  attentionSource("generation_attention"),
  MOE_SOURCE,
  CONTEXT_MLA_SOURCE,
  GENERATION_MLA_SOURCE,
  MLA_BMM_SOURCE,
  mlaModuleSource("mla_context_module"),
  mlaModuleSource("mla_generation_module"),
  {
    op: "custom_allreduce",
    opDir: "comm",
    file: "custom_allreduce_perf.parquet",
    mapping: {
      dtype: "allreduce_dtype (bfloat16 -> bf16)",
      gpus: "num_gpus",
      mode: "backend *_graph -> graph, *_eager -> eager (TRT-LLM rows are CUDA-graph captured: graph)",
      bytes: "message_size (elements) × 2 bytes",
      latency_us: LATENCY,
    },
    selection: () => "all rows",
    normalise: (r) => ({
      shape: {
        dtype: dt(r.allreduce_dtype),
        gpus: N(r.num_gpus),
        mode: /eager/.test(String(r.backend ?? "")) ? "eager" : "graph",
        bytes: N(r.message_size) * 2,
      },
      latencyMs: N(r.latency),
      ...meta(r),
    }),
  },
];

export const NCCL_SOURCE: OpSource = {
  op: "nccl",
  opDir: "comm",
  file: "nccl_perf.parquet",
  mapping: {
    op: "op_name (alltoall -> all_to_all)",
    dtype: "nccl_dtype (half -> fp16)",
    gpus: "num_gpus",
    bytes: "message_size (elements) × bytes per element (fp16 2, int8 1) = nccl-tests size",
    latency_us: LATENCY,
  },
  selection: () => "all rows",
  normalise: (r) => ({
    shape: {
      op: String(r.op_name) === "alltoall" ? "all_to_all" : String(r.op_name),
      dtype: dt(r.nccl_dtype),
      gpus: N(r.num_gpus),
      bytes: N(r.message_size) * (String(r.nccl_dtype) === "int8" ? 1 : 2),
    },
    latencyMs: N(r.latency),
    ...meta(r),
  }),
};
