/** What every launch config derives from a searched point: its worker layout, weights, memory settings and the header that explains them. */
import { formatNumber } from "../../core/explain";
import { speculativeFor } from "../../engine/speculative";
import type { HardwareProfile } from "../../hardware/schema";
import type { ModelIR } from "../../model/ir";
import { weightsFor } from "../../reconcile/row-precision";
import { tokensPerRequest } from "../fit";
import type { WorkloadShape } from "../request";
import { SPECULATIVE_METHOD } from "../settings";
import { workerText } from "../space";
import type { Evaluated, WorkerLayout, WorkerSettings } from "../types";
import type { EmitEngine } from "./flags";

export interface EmitContext {
  /** The model as the engines load it (the id the search was given). */
  modelId: string;
  ir: ModelIR;
  hw: HardwareProfile;
  shape: WorkloadShape;
}

export interface LaunchConfig {
  engine: EmitEngine;
  point: string;
  files: { name: string; content: string }[];
  /** Every command line the files hold, as argv (for checks). */
  commands: string[][];
  /** Every engine YAML the files hold, as parsed objects, with the table that defines their fields. */
  documents: { name: string; table: EmitEngine; doc: unknown }[];
  notes: string[];
}

/** Server ports the scripts use (each engine's documented default). */
export const PORTS = { vllm: 8000, sglang: 30000, trtllm: 8000, dynamo: 8000 } as const;
export const HOST = "0.0.0.0";

/** Tensor, expert and data-parallel degrees of a worker as engines name them. */
export function degrees(w: WorkerLayout): { tp: number; ep: number; dp: number; pp: number; attentionDp: boolean } {
  return { tp: w.width, ep: w.variant === "tp" ? 1 : w.width, dp: w.variant === "dp-ep" ? w.width : 1, pp: w.pp, attentionDp: w.variant === "dp-ep" };
}

/** The longest request searched: what max_model_len / context length / max_seq_len are set to. */
export function maxModelLen(shape: WorkloadShape): number {
  return tokensPerRequest(shape);
}

/** How the weights of a precision are obtained: the checkpoint as published, online FP8 quantisation, or a checkpoint in that format. */
export function weightsSource(ctx: EmitContext, precision: string): { kind: "checkpoint" | "online-fp8" | "needs-checkpoint"; text: string } {
  const w = weightsFor(precision, ctx.ir, [], ctx.hw.vendor);
  if (Object.keys(w).length === 0) return { kind: "checkpoint", text: `the ${precision} weights of ${ctx.modelId} as published` };
  const linear = w.ffn ?? w.experts ?? w.attention;
  const bf16Checkpoint = (ctx.ir.defaultDtypes.ffn ?? ctx.ir.defaultDtypes.experts) === "bf16";
  if (linear === "fp8" && bf16Checkpoint) return { kind: "online-fp8", text: `FP8 weights quantised online from the BF16 checkpoint ${ctx.modelId}` };
  return { kind: "needs-checkpoint", text: `${linear} weights: point the model at a ${linear} checkpoint of ${ctx.modelId} (the one given holds ${ctx.ir.defaultDtypes.experts ?? ctx.ir.defaultDtypes.ffn})` };
}

/** Draft tokens of the speculative method the search models (data/speculative.json). */
export function draftTokens(): number {
  return speculativeFor(SPECULATIVE_METHOD).draftTokens;
}

export const isFp8Kv = (s: WorkerSettings) => s.kvCacheDtype === "fp8";

/** The header of a launch config: the point, its predictions, its deployment and the memory check behind its settings. */
export function header(e: Evaluated, ctx: EmitContext, engine: string): string[] {
  const d = e.deployment;
  const l = e.candidate.layout;
  const per = l.mode === "aggregated" ? `${d.units} replicas of ${d.gpusPerUnit} GPUs (${workerText(l.worker!)})` : `${d.units} units of ${l.ratio!.prefill} prefill [${workerText(l.prefill!)}] + ${l.ratio!.decode} decode [${workerText(l.decode!)}] workers`;
  const need = e.candidate.concurrency * maxModelLen(ctx.shape);
  const lines = [
    `Mantile search point: ${e.id} (${engine})`,
    `${ctx.modelId} on ${d.gpusUsed} × ${ctx.hw.name}: ${per}, ${d.concurrency} clients in all`,
    `predicted: ${formatNumber(e.throughputPerGpu)} tok/s/GPU, ${formatNumber(e.tokPerUser)} tok/s/user, TTFT p90 ${formatNumber(e.ttftP90)} s, TPOT ${formatNumber(e.tpot * 1e3)} ms, $${formatNumber(e.costPerMillionTokens)} per million tokens`,
    `KV cache: ${formatNumber(e.memory.kvCapacityTokens)} tokens per ${l.mode === "aggregated" ? "replica" : "decode worker"} at these memory settings (Mantile's memory model) for ${l.mode === "aggregated" ? e.candidate.concurrency : Math.ceil(e.candidate.concurrency / l.ratio!.decode)} clients × ${maxModelLen(ctx.shape)} tokens`,
    `weights: ${weightsSource(ctx, l.precision).text}`,
  ];
  if (l.mode === "aggregated" && need > e.memory.kvCapacityTokens) lines.push(`warning: the clients' longest requests need ${need} tokens of KV: the engine will queue or preempt`);
  return lines;
}

export const comment = (lines: string[]) => lines.map((l) => `# ${l}`).join("\n");
