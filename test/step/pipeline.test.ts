/**
 * Pipeline parallelism: a pipelined step runs as micro-batches in flight on different stages (vLLM V1
 * EngineCore batch_queue of pipeline_parallel_size batches; TensorRT-LLM PyExecutor micro-batches).
 * Each sequence's token passes every stage once, so
 *   step(pp, B) = pp × [ stage ops at micro-batch B/m + one hand-off ],  m = min(pp, sequences),
 * and since the pp stages together hold every layer once (layers/pp each, embedding and head included),
 *   step(pp, B) = step(pp = 1, B/m) + pp × hand-off(B/m)   exactly (same ops, same sizes).
 */
import { describe, expect, it } from "vitest";
import { decodeBatch, prefillBatch } from "../../lib/cost/batch";
import { defaultEfficiency } from "../../lib/calibration/efficiency";
import { getEngine } from "../../lib/engine/profile";
import { getHardware } from "../../lib/hardware/registry";
import { attentionWindows } from "../../lib/model/build";
import { loadModel } from "../../lib/model/registry";
import { ParallelPlan, simplePlan } from "../../lib/parallel/plan";
import { buildStepModel } from "../../lib/step/build";

const ir = loadModel("meta-llama/Llama-3.1-70B");
const hw = getHardware("h100-sxm");
const engine = getEngine("vllm");
const eff = defaultEfficiency();
const win = attentionWindows(ir);
const model = (pp: number) => buildStepModel(ir, hw, ParallelPlan.parse(simplePlan({ tp: 4, pp })), "decode", engine, eff, false);

function handOff(pp: number, s: ReturnType<typeof decodeBatch>): number {
  const bd = model(pp).breakdown(s);
  const hop = bd.ops.find((o) => o.op.layerType === "pipeline");
  expect(hop, "the pipelined step has a hand-off op").toBeDefined();
  return hop!.time.seconds; // one hand-off of the step's micro-batch (layers = pp in the breakdown)
}

describe("pipeline parallelism (micro-batched stages)", () => {
  it("decode of 64 sequences on PP 2: both stages at micro-batch 32 = the whole model at 32, plus 2 hand-offs", () => {
    const s64 = decodeBatch(64, 2048, win);
    const s32 = decodeBatch(32, 2048, win);
    const hop = handOff(2, s64); // the breakdown of the 64-sequence step prices the 32-token micro-batch's hand-off
    expect(model(2).gpuTime(s64)).toBeCloseTo(model(1).gpuTime(s32) + 2 * hop, 9);
    // A token's latency is longer than one stage's share of the full batch (the old under-count) …
    expect(model(2).gpuTime(s64)).toBeGreaterThan(model(1).gpuTime(s64) / 2);
    // … and the breakdown sums to the fast path.
    expect(model(2).breakdown(s64).gpu).toBeCloseTo(model(2).gpuTime(s64), 9);
  });

  it("one prompt on PP 4: one micro-batch, so it passes the 4 stages in turn: the whole model's prefill plus 4 hand-offs", () => {
    const p = prefillBatch(1, 4096, win);
    const hop = handOff(4, p);
    expect(model(4).gpuTime(p)).toBeCloseTo(model(1).gpuTime(p) + 4 * hop, 9);
  });

  it("the hand-off carries the micro-batch's activations: tokens × hidden × 2 bytes", () => {
    const bd = model(2).breakdown(decodeBatch(64, 2048, win));
    const hop = bd.ops.find((o) => o.op.layerType === "pipeline")!;
    // 64 sequences in 2 micro-batches of 32 tokens; Llama-3.1-70B hidden 8192, bf16 activations.
    expect(hop.op.comm!.bytes).toBe(32 * 8192 * 2);
    expect(hop.op.layers).toBe(2); // once per stage
  });
});
