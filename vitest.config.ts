import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The notebook tests execute every notebook in a Jupyter kernel and open each HTML report
    // in headless Chromium: give each test up to 300 s.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // A JSON summary beside the console output, so CI can print a plain "N passed, N failed" line.
    reporters: ["default", ["json", { outputFile: "test-output/vitest-results.json" }]],
  },
});
