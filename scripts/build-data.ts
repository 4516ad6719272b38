/**
 * `npm run data`: regenerate the derived, committed data files from their sources.
 * Each step is deterministic so a re-run without source changes leaves git clean.
 */
import { buildKernelTables } from "./build-kernel-tables";
import { writeMoeRoutingReport } from "./moe-routing-report";

async function main(): Promise<void> {
  // Measured kernel tables: ../shared/datasets/kernels (aiconfigurator) -> data/kernels.
  const built = await buildKernelTables();
  // Evidence for the MoE routing reading, from the tables just written (data/kernels/moe-routing.md).
  if (built) {
    writeMoeRoutingReport();
    console.log("kernel tables: data/kernels/moe-routing.md written");
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
