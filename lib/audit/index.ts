/** Assumptions & audit log of a prediction: see README.md in this folder. */
export * from "./types";
export { knobs, tablesUsed } from "./knobs";
export * from "./evaluate";
export * from "./interval";
export * from "./render";
export * from "./sidecar";
