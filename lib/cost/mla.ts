/**
 * MLA (multi-head latent attention, DeepSeek-V2/V3/R1, Kimi-K2) as serving engines run it, on one GPU
 * of the attention group — counting, the MLA kernel-table keys, and the roofline bound.
 *
 *  - Projections (depend on the step's tokens only): the fused down-projection q_a + kv_a
 *    (hidden → q_lora + kv_lora + rope, replicated on every TP rank: SGLang
 *    `fused_qkv_a_proj_with_mqa`, TensorRT-LLM `fused_a`, aiconfigurator `downscale_gemm`), q_b
 *    (q_lora → heads·(nope + rope), split by TP), o_proj (heads·v → hidden), and the TP all-reduce.
 *  - Prefill on decompressed K/V: kv_b up-projects the latent of every token attended (the chunk and
 *    its cached prefix) to per-head K_nope and V, then the context MLA kernel runs q·k over nope + rope
 *    and p·v over v (table `context_mla`).
 *  - Decode with absorbed weights: q_nope·W_UK (`pre` BMM, 128 → 512 per head), the generation MLA
 *    kernel over the 576-value latent cache (shared by all heads; table `generation_mla`), and
 *    o_latent·W_UV (`post` BMM, 512 → 128) — tables `mla_bmm`.
 *
 * The op-level tables are used, never the whole-module tables together with them: the module tables
 * (vLLM has only those and the BMMs) fold projections and attention into one call, which the step
 * model cannot split into its token-dependent and context-dependent parts. Where no op table covers
 * an op (vLLM's MLA kernels, a geometry other than DeepSeek-V3's) the op takes its roofline.
 */
import type { Dtype } from "../core/dtypes";
import type { ModelIR } from "../model/ir";
import type { ParallelPlan, PhasePlan } from "../parallel/plan";
import { attentionShape } from "./attention-shape";
import { collectiveOp } from "./communication";
import { gemmOp } from "./gemm";
import { LAUNCHES } from "./kernel-launches";
import { mlaBmmDtype, mlaTableGeometry } from "./mla-lookup";
import type { LayerGroup, Op, StepInput } from "./op";

/** An absorbed BMM over `tokens` decode tokens and `heads` local heads. */
function bmmOp(layerType: string, layers: number, which: "pre" | "post", tokens: number, heads: number, lora: number, nope: number, v: number, wd: Dtype, act: number): Op {
  const inDim = which === "pre" ? nope : lora;
  const outDim = which === "pre" ? lora : v;
  const d = mlaBmmDtype(wd);
  const w = which === "pre" ? nope * lora : lora * v;
  return {
    layerType, layers, name: which === "pre" ? "w_uk_bmm (absorb)" : "w_uv_bmm (absorb)", kind: "gemm",
    flops: 2 * tokens * heads * w,
    weightBytes: heads * w * (d === "fp8" ? 1 : 2),
    activationBytes: tokens * heads * (inDim + outDim) * act,
    kvBytes: 0, computeDtype: d === "fp8" ? "fp8" : "bf16", kernels: LAUNCHES.gemm,
    formula: which === "pre" ? "flops = 2·tokens·heads·nope·kv_lora; bytes = heads·nope·kv_lora·bytes(w) + tokens·heads·(nope + kv_lora)·bytes(act)" : "flops = 2·tokens·heads·kv_lora·v; bytes = heads·kv_lora·v·bytes(w) + tokens·heads·(kv_lora + v)·bytes(act)",
    bmm: { op: which, tokens, heads, dtype: d },
  };
}

/** Ops of an MLA layer type for this step, on one GPU of the attention group (see attentionOps for `part`). */
export function mlaOps(ir: ModelIR, plan: ParallelPlan, phase: PhasePlan, g: LayerGroup, s: StepInput, part: "all" | "core" | "projections"): Op[] {
  const { a, H, act, kvB, wd, tp, dp, T, L } = attentionShape(ir, plan, phase, g, s);
  const m = a.mla!;
  const hG = a.heads / tp;
  const qk = m.nopeHeadDim + m.ropeHeadDim;
  const latent = m.kvLoraRank + m.ropeHeadDim;
  const ops: Op[] = [];
  if (part !== "core") {
    if (m.qLoraRank) {
      ops.push({ ...gemmOp(g.type, L, "q_a+kv_a_proj (fused)", T, m.qLoraRank + latent, H, wd, act), formula: "fused down-projection, replicated on TP ranks: flops = 2·m·(q_lora + kv_lora + rope)·hidden" });
      ops.push(gemmOp(g.type, L, "q_b_proj", T, hG * qk, m.qLoraRank, wd, act));
    } else {
      ops.push(gemmOp(g.type, L, "q_proj", T, hG * qk, H, wd, act));
      ops.push(gemmOp(g.type, L, "kv_a_proj", T, latent, H, wd, act));
    }
    ops.push(gemmOp(g.type, L, "o_proj", T, H, hG * a.vHeadDim, wd, act));
    if (tp > 1) ops.push(collectiveOp(g.type, L, phase.sp ? "reduce_scatter" : "all_reduce", T * H * act, tp, "attention output all-reduce"));
    if (tp > 1 && phase.sp) ops.push(collectiveOp(g.type, L, "all_gather", T * H * act, tp, "sequence-parallel all-gather"));
  }
  if (part === "projections") return ops;
  const work = s.attention.full ?? { pairs: 0, kvRead: 0, prefillPairs: 0, prefillKvRead: 0 };
  const pSeqs = s.prefillSeqs / dp;
  const pTok = s.prefillTokens / dp;
  const dSeqs = (s.seqs - s.prefillSeqs) / dp;
  const dTok = T - pTok;
  const kvDtype = plan.kvCache;
  const base = { layerType: g.type, layers: L, kind: "attention" as const, weightBytes: 0, computeDtype: "bf16" as const, kernels: LAUNCHES.attention };
  const tables = mlaTableGeometry(a);
  if (pSeqs > 0) {
    const prefix = work.prefillKvRead / dp;
    const pairs = work.prefillPairs / dp;
    // Decompress the latent of every token attended (the chunk and its cached prefix) to K_nope and V.
    ops.push({ ...gemmOp(g.type, L, "kv_b_proj (decompress)", pTok + prefix, hG * (m.nopeHeadDim + a.vHeadDim), m.kvLoraRank, wd, act), formula: "m = prefill tokens + cached prefix: flops = 2·m·heads·(nope + v)·kv_lora" });
    ops.push({
      ...base, name: "attention_prefill (MLA, decompressed)",
      flops: 2 * hG * (qk + a.vHeadDim) * pairs,
      activationBytes: pTok * hG * (qk + a.vHeadDim) * act + (pTok + prefix) * hG * (qk + a.vHeadDim) * act,
      kvBytes: pTok * latent * kvB,
      formula: "flops = 2·heads·(nope + rope + v)·pairs; bytes = Q, O and decompressed K, V of the attended tokens + the new latent written",
      attention: { phase: "prefill", seqs: pSeqs, tokens: pTok, kvRead: prefix, heads: hG, kvHeads: hG, headDim: qk, window: null, kvDtype },
      mla: { latent, tables },
    });
  }
  if (dSeqs > 0) {
    const kv = (work.kvRead - work.prefillKvRead) / dp;
    const pairs = (work.pairs - work.prefillPairs) / dp;
    ops.push(bmmOp(g.type, L, "pre", dTok, hG, m.kvLoraRank, m.nopeHeadDim, a.vHeadDim, wd, act));
    ops.push({
      ...base, name: "attention_decode (MLA, absorbed)",
      flops: 2 * hG * (latent + m.kvLoraRank) * pairs,
      activationBytes: dTok * hG * (latent + m.kvLoraRank) * act,
      kvBytes: (kv + dTok) * latent * kvB,
      formula: "flops = 2·heads·(latent + kv_lora)·pairs; kv bytes = (kv read + new tokens)·latent·bytes(kv), read once for all heads",
      attention: { phase: "decode", seqs: dSeqs, tokens: dTok, kvRead: kv, heads: hG, kvHeads: 1, headDim: latent, window: null, kvDtype },
      mla: { latent, tables },
    });
    ops.push(bmmOp(g.type, L, "post", dTok, hG, m.kvLoraRank, m.nopeHeadDim, a.vHeadDim, wd, act));
  }
  return ops;
}
