import * as path from "path";

/** Project root, found from this file so the library works from any working directory. */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const DATA_DIR = path.join(PROJECT_ROOT, "data");
export const SHARED_DIR = path.resolve(PROJECT_ROOT, "..", "shared");
