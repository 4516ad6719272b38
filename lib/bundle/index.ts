/** Pinned runs, run bundles (mantile.bundle/v1) and run comparison: see README.md in this folder. */
export * from "./run";
export * from "./schema";
export * from "./bundle";
export * from "./compare";
