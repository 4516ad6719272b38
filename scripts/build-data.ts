/**
 * `npm run data`: regenerate the derived, committed data files from their sources.
 * Each step is deterministic so a re-run without source changes leaves git clean.
 */
import { buildKernelTables } from "./build-kernel-tables";

async function main(): Promise<void> {
  // Measured kernel tables: ../shared/datasets/kernels (aiconfigurator) -> data/kernels.
  await buildKernelTables();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
