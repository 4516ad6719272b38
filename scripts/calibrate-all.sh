#!/usr/bin/env bash
# Refit every committed calibration profile from the InferenceMAX rows, with the flags each was fitted
# with (long: ~10–30 min per profile on 2 cores). Profile files are named <hardware id>-<engine id>.json,
# the name calibrationFor looks up; hardware × engine pairs without a profile get a transfer (see
# lib/calibration/transfer.ts calibrationFor).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=reconcile/by_model/openai_GPT-OSS-120B/inferencemax.csv
# NVIDIA profiles were fitted with "gemm_compute", which there only timed MoE expert GEMMs (dense GEMMs come
# from the measured tables); it has since been renamed moe_compute in those files — the same fit.
ATTN=memory_bandwidth,moe_compute,attention_compute,step_overhead_ms,per_seq_overhead_us,request_overhead_ms
GAP=memory_bandwidth,moe_compute,kernel_gap_graph_us,step_overhead_ms,per_seq_overhead_us,request_overhead_ms
AMD_GEMMS=memory_bandwidth,gemm_compute,moe_compute,attention_compute,step_overhead_ms,request_overhead_ms
# B200 vLLM: the MoE shape parameters (moe_overlap: how much of the shorter of an expert GEMM's compute and weight
# streaming shows; moe_routing_skew: Zipf exponent of expert popularity) replace attention_compute and
# per_seq_overhead_us, which its rows did not identify (no curvature / sd larger than the value in the 2026-11-30 fit).
MOE_SHAPE=memory_bandwidth,moe_compute,moe_overlap,moe_routing_skew,step_overhead_ms,request_overhead_ms
cal() { echo "== $1 → $2" >&2; shift 0; node bin/mantile.js calibrate --data "$DATA" --profile "$1" --out "$2" "${@:3}"; }
cal b200/vllm data/calibration/b200-vllm.json --params "$MOE_SHAPE" --max-evals 150 --cv kfold --folds 5 --cv-evals 60
cal h100-sxm/vllm data/calibration/h100-sxm-vllm.json --params "$ATTN" --max-evals 120 --cv kfold --folds 5 --cv-evals 40
# AMD has no measured tables: dense (gemm_compute) and expert (moe_compute) GEMMs fitted separately; per_seq_overhead_us
# (0.4-2.9 us in earlier fits) left out. With the launch scripts' FP8 KV cache (2026-12-01) this beat the single
# GEMM factor on every held-out split but 5-fold throughput (mean MAPE over all splits 8.8% vs 9.5%; before: 10.3%).
cal mi355x/atom data/calibration/mi355x-atom.json --params "$AMD_GEMMS" --max-evals 120 --cv-evals 60
# B200 TensorRT-LLM: moe_routing_skew replaces per_seq_overhead_us, which its rows did not identify (no curvature in the 2026-11-30 fit).
cal b200/trtllm data/calibration/b200-trtllm.json --params memory_bandwidth,moe_compute,moe_routing_skew,kernel_gap_graph_us,step_overhead_ms,request_overhead_ms --max-evals 110 --cv kfold --folds 5 --cv-evals 40
# GB200 (Dynamo, disaggregated) uses the B200 TensorRT-LLM profile by transfer, which predicts its rows better
# than its own short fit (kept in reconcile/.../calibration-variants for comparison):
# cal gb200/dynamo-trt reconcile/by_model/openai_GPT-OSS-120B/calibration-variants/gb200-dynamo-trt.json --params "$GAP" --max-evals 60 --cv kfold --folds 3 --cv-evals 30
