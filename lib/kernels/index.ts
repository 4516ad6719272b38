/** Measured kernel tables (NVIDIA aiconfigurator data, Apache-2.0) as an efficiency source. */
export * from "./types";
export { loadKernelTables, resolveKernelSystem, normDtype, KERNELS_DIR } from "./lookup";
export type { KernelTables, AttentionShape, MoeQuery, CollectiveOptions, MlaShape, MlaModuleShape } from "./lookup";
export { MOE_DEFAULT_DISTRIBUTION } from "./lookup-moe";
export { balancedRank0, uniformRank, measuredRouting, parseRouting, routingLabel, type Routing, type RankLoad } from "./moe-routing";
export { MLA, LATENT_DIM, mlaModuleParams } from "./ops-mla";
export { OpTable } from "./table";
export { Family } from "./grid";
export { OP_SPECS, rooflineSeconds, rooflineParts, type OpSpec, type Shape, type Work } from "./ops";
export { buildTable, dataError, serialiseTable, roundUs, LICENSE_CREDIT, type MeasuredRow, type TableMeta } from "./build";
export { leaveOneOut, leaveOneOutTable, looMarkdown, type LooRow } from "./loo";
export { resolvePeaks, FALLBACK_PEAKS } from "./peaks";
export { loadModelShapes, shapesOfConfig, type ModelShapes } from "./model-shapes";
export { powerLawImbalance, type RankImbalance } from "./moe-imbalance";
