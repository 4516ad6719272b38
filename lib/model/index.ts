export * from "./ir";
export * from "./build";
export * from "./hf-config";
export * from "./registry";
export * from "./catalog";
export * from "./hub";
