#!/usr/bin/env bash
# Refit every committed calibration profile from the InferenceMAX rows (long: ~10–30 min per profile on
# 2 cores). Each profile is fitted on its hardware × engine rows; global.json on all single-node rows and
# is what predictions use for hardware × engine pairs without a profile of their own.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=reconcile/by_model/openai_GPT-OSS-120B/inferencemax.csv
# Profile files are named <hardware id>-<engine id>.json, the name calibrationFor looks up.
for p in b200/vllm b200/trtllm h100-sxm/vllm gb200/dynamo-trt mi355x/atom; do
  out="data/calibration/$(echo "$p" | tr / -).json"
  echo "== $p → $out" >&2
  node bin/mantile.js calibrate --data "$DATA" --profile "$p" --out "$out"
done
node bin/mantile.js calibrate --data "$DATA" --profile global --out data/calibration/global.json
