/** Assumptions & audit log of a prediction: see README.md in this folder. */
export * from "./audit";
export * from "./sidecar";
