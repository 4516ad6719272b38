/** The step model of one replica for a phase: its plan, the engine's CUDA-graph and host-overhead settings, and the kernel tables in use. */
import type { Efficiency } from "../calibration/efficiency";
import type { EngineProfile } from "../engine/profile";
import type { HardwareProfile } from "../hardware/schema";
import type { ModelIR } from "../model/ir";
import type { ParallelPlan } from "../parallel/plan";
import { kernelSourceFor, type KernelTableChoice } from "./kernel-source";
import { StepModel } from "./step-model";

export function buildStepModel(
  ir: ModelIR,
  hw: HardwareProfile,
  plan: ParallelPlan,
  phase: "prefill" | "decode",
  engine: EngineProfile,
  eff: Efficiency,
  useKernelTables: KernelTableChoice = true,
): StepModel {
  const tables = useKernelTables === false ? undefined : kernelSourceFor(hw, engine, useKernelTables === true ? undefined : useKernelTables);
  return new StepModel(ir, hw, plan, plan[phase], eff, {
    cudaGraphs: phase === "decode" && engine.cuda_graphs_decode,
    tables,
    stepOverhead: engine.step_overhead_ms.value / 1e3,
    perSeqOverhead: engine.per_seq_overhead_us.value / 1e6,
    hostOverlap: engine.host_overlap.value,
  });
}
