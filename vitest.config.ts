import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The notebook tests execute every notebook in a Jupyter kernel and open each HTML report
    // in headless Chromium: give each test up to 300 s.
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
