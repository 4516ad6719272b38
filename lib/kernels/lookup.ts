/**
 * Typed lookups into the measured kernel tables of one system and framework.
 * Every method returns undefined when the table has no rows of the requested family (dtype, head
 * configuration, MoE shape, GPU count, ...), so the estimator falls back to its roofline.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { DATA_DIR } from "../core/paths";
import { parseOrThrow } from "../core/validate";
import { moeLookup, type MoeQuery } from "./lookup-moe";
import { OpTable } from "./table";
import { type CollectiveOp, type GemmDtype, type KernelFramework, type KernelLookup, type KernelOp } from "./types";
import type { Shape } from "./work";

export type { MoeQuery } from "./lookup-moe";

export const KERNELS_DIR = path.join(DATA_DIR, "kernels");

const KernelPolicy = z.object({
  _about: z.string(),
  /** System → the system whose collectives stand in for GPU counts its own tables lack (same fabric), with the reason. */
  collective_proxies: z.object({ value: z.record(z.string()), source: z.string() }).strict(),
}).strict();
let policy: z.infer<typeof KernelPolicy> | undefined;
/** data/policy/kernels.json: how the tables are read where a system's own measurements stop. */
function kernelPolicy(): z.infer<typeof KernelPolicy> {
  policy ??= parseOrThrow(KernelPolicy, JSON.parse(fs.readFileSync(path.join(DATA_DIR, "policy", "kernels.json"), "utf8")), "data/policy/kernels.json");
  return policy;
}

export interface AttentionShape {
  batch: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** Sliding window in tokens; 0 = full attention. */
  window: number;
  kvDtype: string;
  /** Compute dtype of the attention kernel; default bf16 (fp8 context attention exists for some). */
  attnDtype?: string;
}

/** MLA attention on one GPU (DeepSeek-V3 geometry; see lib/kernels/ops-mla.ts). */
export interface MlaShape {
  /** Sequences in the call. */
  batch: number;
  /** Query heads on this GPU: num_attention_heads / attention TP (128 with DP-attention). */
  heads: number;
  /** KV-cache dtype: bf16 or fp8. */
  kvDtype: string;
}

export interface MlaModuleShape extends MlaShape {
  /** Weight format of the module's projections: bf16, fp8_block or nvfp4 (as measured). */
  gemmDtype: string;
}

export interface CollectiveOptions {
  /** Element type of the NCCL measurement; default fp16 (bf16 traffic moves the same bytes). */
  dtype?: "fp16" | "int8";
  /** auto: the framework's custom all-reduce for all_reduce when measured, else NCCL. */
  backend?: "auto" | "nccl" | "custom";
}

export interface KernelTables {
  readonly system: string;
  readonly framework: KernelFramework;
  /** Whether this system/framework has a table for `op`. */
  has(op: KernelOp): boolean;
  /** The loaded table of `op` (header and families), if any. */
  table(op: KernelOp): OpTable | undefined;
  gemm(m: number, n: number, k: number, dtype: GemmDtype): KernelLookup | undefined;
  contextAttention(q: AttentionShape & { seqLen: number }): KernelLookup | undefined;
  generationAttention(q: AttentionShape & { kvLen: number }): KernelLookup | undefined;
  moe(q: MoeQuery): KernelLookup | undefined;
  /**
   * MLA prefill attention kernel (no projections) over `batch` prompts of `seqLen` tokens from an
   * empty cache, in the form the framework runs (decompressed K/V, or latent for SGLang on Hopper).
   * `attnDtype` is the prefill compute dtype (default bf16).
   */
  contextMla(q: MlaShape & { seqLen: number; attnDtype?: string }): KernelLookup | undefined;
  /** MLA decode attention kernel over the 576-value latent cache: one new token per sequence, `kvLen` attended. */
  generationMla(q: MlaShape & { kvLen: number }): KernelLookup | undefined;
  /**
   * The absorbed decode BMMs: `pre` = q_nope·W_UK (128 -> 512 per head), `post` = o·W_UV (512 -> 128),
   * over `tokens` tokens and `heads` heads on this GPU; dtype bf16 or fp8.
   */
  mlaBmm(q: { op: "pre" | "post"; tokens: number; heads: number; dtype: string }): KernelLookup | undefined;
  /** The whole MLA attention module (projections, norms, rope, attention, o_proj) in prefill. */
  contextMlaModule(q: MlaModuleShape & { seqLen: number; attnDtype?: string }): KernelLookup | undefined;
  /** The whole MLA attention module in decode. */
  generationMlaModule(q: MlaModuleShape & { kvLen: number }): KernelLookup | undefined;
  /**
   * One collective on `gpus` GPUs. `bytes` is the nccl-tests buffer size per GPU: the tensor for
   * all_reduce, the gathered output for all_gather, the input for reduce_scatter, the whole send
   * buffer for all_to_all.
   */
  collective(op: CollectiveOp, bytes: number, gpus: number, opts?: CollectiveOptions): KernelLookup | undefined;
}

/** Dtype names as stored in the tables (bfloat16 -> bf16, half -> fp16). */
export function normDtype(d: string): string {
  const x = d.trim().toLowerCase();
  if (x === "bfloat16") return "bf16";
  if (x === "half" || x === "float16") return "fp16";
  if (x === "fp8_e4m3" || x === "float8_e4m3fn" || x === "e4m3") return "fp8";
  return x;
}

/** Map a chip name or alias (b200, "H100 SXM", gb200, b200_sxm) to its table directory name. */
export function resolveKernelSystem(name: string, dir = KERNELS_DIR): string | undefined {
  const key = name.trim().toLowerCase().replace(/[\s-]+/g, "_");
  return [key, `${key}_sxm`].find((c) => fs.existsSync(path.join(dir, c)));
}

const FILES: Record<KernelOp, (fw: string) => string> = {
  gemm: (fw) => `${fw}/gemm.json`,
  context_attention: (fw) => `${fw}/context_attention.json`,
  generation_attention: (fw) => `${fw}/generation_attention.json`,
  moe: (fw) => `${fw}/moe.json`,
  context_mla: (fw) => `${fw}/context_mla.json`,
  generation_mla: (fw) => `${fw}/generation_mla.json`,
  mla_bmm: (fw) => `${fw}/mla_bmm.json`,
  mla_context_module: (fw) => `${fw}/mla_context_module.json`,
  mla_generation_module: (fw) => `${fw}/mla_generation_module.json`,
  custom_allreduce: (fw) => `${fw}/custom_allreduce.json`,
  nccl: () => `nccl/nccl.json`,
};

const MLA_CONTEXT_FORMS = ["mha", "mqa", "absorbed"];

const ZERO_COMM: KernelLookup = { latencyMs: 0, points: [], extrapolated: false, reach: 0, source: "no collective on one GPU" };

class Tables implements KernelTables {
  private readonly loaded = new Map<KernelOp, OpTable | undefined>();
  constructor(
    readonly system: string,
    readonly framework: KernelFramework,
    private readonly root: string,
  ) {}

  private file(op: KernelOp): string {
    return path.join(this.root, this.system, FILES[op](this.framework));
  }

  has(op: KernelOp): boolean {
    return this.loaded.has(op) ? this.loaded.get(op) !== undefined : fs.existsSync(this.file(op));
  }

  // Tables are parsed on first use: a serving simulation often needs only some ops.
  table(op: KernelOp): OpTable | undefined {
    if (op === "nccl") return ncclTable(this.root, this.system);
    if (!this.loaded.has(op)) {
      const f = this.file(op);
      this.loaded.set(op, fs.existsSync(f) ? OpTable.load(f) : undefined);
    }
    return this.loaded.get(op);
  }

  gemm(m: number, n: number, k: number, dtype: GemmDtype): KernelLookup | undefined {
    return this.table("gemm")?.lookup({ dtype: normDtype(dtype), m, n, k });
  }

  private attention(op: KernelOp, q: AttentionShape, extra: Shape): KernelLookup | undefined {
    return this.table(op)?.lookup({
      heads: q.heads,
      kv_heads: q.kvHeads,
      head_dim: q.headDim,
      window: q.window,
      attn_dtype: normDtype(q.attnDtype ?? "bf16"),
      kv_dtype: normDtype(q.kvDtype),
      batch: q.batch,
      ...extra,
    });
  }

  contextAttention(q: AttentionShape & { seqLen: number }): KernelLookup | undefined {
    return this.attention("context_attention", q, { isl: q.seqLen });
  }

  generationAttention(q: AttentionShape & { kvLen: number }): KernelLookup | undefined {
    return this.attention("generation_attention", q, { kv_len: q.kvLen });
  }

  moe(q: MoeQuery): KernelLookup | undefined {
    const t = this.table("moe");
    return t && moeLookup(t, q, normDtype(q.dtype));
  }

  contextMla(q: MlaShape & { seqLen: number; attnDtype?: string }): KernelLookup | undefined {
    const t = this.table("context_mla");
    const shape = { attn_dtype: normDtype(q.attnDtype ?? "bf16"), kv_dtype: normDtype(q.kvDtype), heads: q.heads, batch: q.batch, isl: q.seqLen };
    // One form per framework and chip (the kernel it runs); try each.
    for (const form of MLA_CONTEXT_FORMS) {
      const r = t?.lookup({ ...shape, form });
      if (r) return r;
    }
    return undefined;
  }

  generationMla(q: MlaShape & { kvLen: number }): KernelLookup | undefined {
    return this.table("generation_mla")?.lookup({ kv_dtype: normDtype(q.kvDtype), heads: q.heads, batch: q.batch, kv_len: q.kvLen });
  }

  mlaBmm(q: { op: "pre" | "post"; tokens: number; heads: number; dtype: string }): KernelLookup | undefined {
    return this.table("mla_bmm")?.lookup({ op: q.op, dtype: normDtype(q.dtype), heads: q.heads, tokens: q.tokens });
  }

  contextMlaModule(q: MlaModuleShape & { seqLen: number; attnDtype?: string }): KernelLookup | undefined {
    return this.table("mla_context_module")?.lookup({
      gemm_dtype: normDtype(q.gemmDtype),
      attn_dtype: normDtype(q.attnDtype ?? "bf16"),
      kv_dtype: normDtype(q.kvDtype),
      heads: q.heads,
      batch: q.batch,
      isl: q.seqLen,
    });
  }

  generationMlaModule(q: MlaModuleShape & { kvLen: number }): KernelLookup | undefined {
    return this.table("mla_generation_module")?.lookup({
      gemm_dtype: normDtype(q.gemmDtype),
      kv_dtype: normDtype(q.kvDtype),
      heads: q.heads,
      batch: q.batch,
      kv_len: q.kvLen,
    });
  }

  collective(op: CollectiveOp, bytes: number, gpus: number, opts: CollectiveOptions = {}): KernelLookup | undefined {
    if (gpus <= 1) return ZERO_COMM;
    const backend = opts.backend ?? "auto";
    const own = this.ownCollective(op, bytes, gpus, backend, opts);
    if (own) return own;
    // An all-reduce of a GPU count this system's tables lack: the measurement of a system with the same fabric
    // (data/policy/kernels.json). All-to-all kernels differ by fabric (MNNVL vs. NVSwitch in one node): not proxied.
    const proxy = op === "all_reduce" && this.root === KERNELS_DIR ? kernelPolicy().collective_proxies.value[this.system] : undefined;
    const p = proxy ? loadKernelTables(proxy, this.framework)?.collective(op, bytes, gpus, opts) : undefined;
    return p && { ...p, source: `${p.source}, standing in for ${this.system} at ${gpus} GPUs (same NVLink switch fabric; data/policy/kernels.json collective_proxies)` };
  }

  private ownCollective(op: CollectiveOp, bytes: number, gpus: number, backend: string, opts: CollectiveOptions): KernelLookup | undefined {
    if (op === "all_reduce" && backend !== "nccl") {
      const r = this.table("custom_allreduce")?.lookup({ dtype: "bf16", gpus, mode: "graph", bytes });
      if (r || backend === "custom") return r;
    }
    return ncclTable(this.root, this.system)?.lookup({ op, dtype: opts.dtype ?? "fp16", gpus, bytes });
  }
}

/** The NCCL table is per system, shared by every framework's KernelTables. */
const ncclTables = new Map<string, OpTable | undefined>();
function ncclTable(root: string, system: string): OpTable | undefined {
  const k = `${root}|${system}`;
  if (!ncclTables.has(k)) {
    const f = path.join(root, system, FILES.nccl(""));
    ncclTables.set(k, fs.existsSync(f) ? OpTable.load(f) : undefined);
  }
  return ncclTables.get(k);
}

const cache = new Map<string, KernelTables>();

/**
 * The measured tables of `system` (b200_sxm, gb200, h100_sxm, h200_sxm, or an alias such as
 * "b200") for `framework`; undefined when no table exists for that pair. Memoised.
 */
export function loadKernelTables(
  system: string,
  framework: KernelFramework,
  opts: { dir?: string } = {},
): KernelTables | undefined {
  const root = opts.dir ?? KERNELS_DIR;
  const sys = resolveKernelSystem(system, root);
  if (!sys || !fs.existsSync(path.join(root, sys, framework))) return undefined;
  // Keyed by the resolved directory, so aliases share one memoised instance.
  const key = `${root}|${sys}|${framework}`;
  let t = cache.get(key);
  if (!t) cache.set(key, (t = new Tables(sys, framework, root)));
  return t;
}
