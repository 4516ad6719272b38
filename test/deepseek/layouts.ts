/**
 * DeepSeek-R1 layouts of the kinds public benchmarks run (SGLang, TensorRT-LLM, Dynamo; TP 8; DP-attention + EP;
 * disaggregated wide-EP on GB200 NVL72, B200, H100 and MI355X; MTP), as standard-CSV rows. The layouts follow
 * the public InferenceMAX benchmark configurations (.github/configs/nvidia-master.yaml, amd-master.yaml: the
 * parallelism each run launches with), not their results. Two waves of requests per row (num_requests = 2 ×
 * concurrency) keep the test fast; the layouts, not the load, are under test.
 */
export const COLUMNS = [
  "model", "gpu_model", "framework", "precision", "input_seq_len", "output_seq_len", "tensor_parallel", "expert_parallel", "dp_attention",
  "concurrency", "disagg", "spec_decoding", "prefill_tp", "prefill_ep", "prefill_dp_attention", "prefill_num_workers", "decode_tp", "decode_ep",
  "decode_dp_attention", "decode_num_workers", "num_prefill_gpu", "num_decode_gpu", "num_requests",
] as const;

type Row = Record<(typeof COLUMNS)[number], string>;

const FP8 = "deepseek-ai/DeepSeek-R1-0528";
const NVFP4 = "nvidia/DeepSeek-R1-0528-FP4-v2";
const MXFP4 = "amd/DeepSeek-R1-0528-MXFP4-Preview";

/** One aggregated replica: gpu, framework, precision, isl/osl, tp, ep, dp-attention, concurrency, spec decoding. */
function agg(model: string, gpu: string, framework: string, precision: string, isl: number, osl: number, tp: number, ep: number, dp: boolean, conc: number, spec = "none"): Row {
  return {
    model, gpu_model: gpu, framework, precision, input_seq_len: String(isl), output_seq_len: String(osl), tensor_parallel: String(tp), expert_parallel: String(ep),
    dp_attention: String(dp), concurrency: String(conc), disagg: "false", spec_decoding: spec, prefill_tp: "", prefill_ep: "", prefill_dp_attention: "",
    prefill_num_workers: "", decode_tp: "", decode_ep: "", decode_dp_attention: "", decode_num_workers: "", num_prefill_gpu: "", num_decode_gpu: "",
    num_requests: String(2 * conc),
  };
}

interface Pool { workers: number; tp: number; ep: number; dp: boolean; gpus: number }

/** A disaggregated deployment: prefill and decode pools as the benchmark configuration lists them. */
function disagg(model: string, gpu: string, framework: string, precision: string, isl: number, osl: number, conc: number, p: Pool, d: Pool, spec = "none"): Row {
  return {
    model, gpu_model: gpu, framework, precision, input_seq_len: String(isl), output_seq_len: String(osl), tensor_parallel: "", expert_parallel: "",
    dp_attention: "", concurrency: String(conc), disagg: "true", spec_decoding: spec,
    prefill_tp: String(p.tp), prefill_ep: String(p.ep), prefill_dp_attention: String(p.dp), prefill_num_workers: String(p.workers),
    decode_tp: String(d.tp), decode_ep: String(d.ep), decode_dp_attention: String(d.dp), decode_num_workers: String(d.workers),
    num_prefill_gpu: String(p.gpus), num_decode_gpu: String(d.gpus), num_requests: String(2 * conc),
  };
}

export const LAYOUTS: { name: string; row: Row }[] = [
  // Aggregated, one 8-GPU node.
  { name: "H200 SGLang FP8 TP 8", row: agg(FP8, "h200", "sglang", "fp8", 1024, 1024, 8, 1, false, 64) },
  { name: "H200 SGLang FP8 DP-attention 8 + EP 8", row: agg(FP8, "h200", "sglang", "fp8", 1024, 1024, 8, 8, true, 256) },
  { name: "H200 TensorRT-LLM FP8 TP 8 + EP 8, MTP", row: agg(FP8, "h200", "trt", "fp8", 1024, 1024, 8, 8, false, 32, "mtp") },
  { name: "H200 TensorRT-LLM FP8 DP-attention 8 + EP 8", row: agg(FP8, "h200", "trt", "fp8", 8192, 1024, 8, 8, true, 128) },
  { name: "B200 SGLang FP4 DP-attention 8 + EP 8", row: agg(NVFP4, "b200", "sglang", "fp4", 8192, 1024, 8, 8, true, 128) },
  { name: "B200 SGLang FP8 TP 8, MTP", row: agg(FP8, "b200", "sglang", "fp8", 1024, 1024, 8, 1, false, 16, "mtp") },
  { name: "B200 TensorRT-LLM FP4 TP 4 + EP 4", row: agg(NVFP4, "b200", "trt", "fp4", 1024, 1024, 4, 4, false, 64) },
  { name: "B300 SGLang FP4 TP 8", row: agg(NVFP4, "b300", "sglang", "fp4", 1024, 1024, 8, 1, false, 32) },
  { name: "MI355X SGLang FP8 TP 8", row: agg(FP8, "mi355x", "sglang", "fp8", 1024, 1024, 8, 1, false, 64) },
  { name: "MI355X SGLang FP4 TP 8, MTP", row: agg(MXFP4, "mi355x", "sglang", "fp4", 1024, 1024, 8, 1, false, 32, "mtp") },
  { name: "MI355X ATOM FP4 TP 8", row: agg(MXFP4, "mi355x", "atom", "fp4", 8192, 1024, 8, 1, false, 64) },
  { name: "MI325X SGLang FP8 TP 8", row: agg(FP8, "mi325x", "sglang", "fp8", 1024, 1024, 8, 1, false, 32) },
  { name: "MI300X SGLang FP8 TP 8", row: agg(FP8, "mi300x", "sglang", "fp8", 1024, 1024, 8, 1, false, 32) },
  // Disaggregated, Dynamo + TensorRT-LLM / SGLang.
  { name: "B200 Dynamo-TRT FP4: prefill 1 × DEP 4, decode 2 × DEP 8", row: disagg(NVFP4, "b200", "dynamo-trt", "fp4", 1024, 1024, 512, { workers: 1, tp: 4, ep: 4, dp: true, gpus: 4 }, { workers: 2, tp: 8, ep: 8, dp: true, gpus: 16 }) },
  { name: "B200 Dynamo-TRT FP8: prefill 1 × DEP 8, decode 8 × TP 8, MTP", row: disagg(FP8, "b200", "dynamo-trt", "fp8", 1024, 1024, 64, { workers: 1, tp: 8, ep: 8, dp: true, gpus: 8 }, { workers: 8, tp: 8, ep: 1, dp: false, gpus: 64 }, "mtp") },
  { name: "GB200 NVL72 Dynamo-TRT FP4 wide-EP: prefill 2 × DEP 8, decode 1 × DEP 32", row: disagg(NVFP4, "gb200", "dynamo-trt", "fp4", 1024, 1024, 1024, { workers: 2, tp: 8, ep: 8, dp: true, gpus: 16 }, { workers: 1, tp: 32, ep: 32, dp: true, gpus: 32 }) },
  { name: "GB200 NVL72 Dynamo-TRT FP8 wide-EP, MTP: prefill 4 × DEP 4, decode 1 × DEP 16", row: disagg(FP8, "gb200", "dynamo-trt", "fp8", 8192, 1024, 256, { workers: 4, tp: 4, ep: 4, dp: true, gpus: 16 }, { workers: 1, tp: 16, ep: 16, dp: true, gpus: 16 }, "mtp") },
  { name: "GB200 NVL72 Dynamo-SGLang FP8 wide-EP: prefill 2 × DEP 8, decode 1 × DEP 64", row: disagg(FP8, "gb200", "dynamo-sglang", "fp8", 1024, 1024, 2048, { workers: 2, tp: 8, ep: 8, dp: true, gpus: 16 }, { workers: 1, tp: 64, ep: 64, dp: true, gpus: 64 }) },
  { name: "GB300 NVL72 Dynamo-SGLang FP4: prefill 1 × DEP 4, decode 1 × DEP 8", row: disagg(NVFP4, "gb300", "dynamo-sglang", "fp4", 8192, 1024, 256, { workers: 1, tp: 4, ep: 4, dp: true, gpus: 4 }, { workers: 1, tp: 8, ep: 8, dp: true, gpus: 8 }) },
  { name: "H100 Dynamo-SGLang FP8 across nodes: prefill 1 × DEP 16, decode 1 × DEP 16", row: disagg(FP8, "h100", "dynamo-sglang", "fp8", 1024, 1024, 256, { workers: 1, tp: 16, ep: 16, dp: true, gpus: 16 }, { workers: 1, tp: 16, ep: 16, dp: true, gpus: 16 }) },
  { name: "H200 Dynamo-TRT FP8: prefill 1 × TEP 8, decode 1 × DEP 8", row: disagg(FP8, "h200", "dynamo-trt", "fp8", 8192, 1024, 64, { workers: 1, tp: 8, ep: 8, dp: false, gpus: 8 }, { workers: 1, tp: 8, ep: 8, dp: true, gpus: 8 }) },
  { name: "MI355X SGLang-disagg FP8: prefill 1 × DEP 8, decode 2 × DEP 8, MTP", row: disagg(FP8, "mi355x", "sglang-disagg", "fp8", 1024, 1024, 256, { workers: 1, tp: 8, ep: 8, dp: true, gpus: 8 }, { workers: 2, tp: 8, ep: 8, dp: true, gpus: 16 }, "mtp") },
  { name: "MI355X SGLang-disagg FP4 wide-EP across nodes: prefill 1 × DEP 8, decode 1 × DEP 16", row: disagg(MXFP4, "mi355x", "sglang-disagg", "fp4", 8192, 1024, 512, { workers: 1, tp: 8, ep: 8, dp: true, gpus: 8 }, { workers: 1, tp: 16, ep: 16, dp: true, gpus: 16 }) },
];
