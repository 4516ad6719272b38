export * from "./ir";
export * from "./build";
export * from "./hf-config";
export * from "./registry";
