import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // lib/ imports npm packages as "npm:name@version" (for Deno); Vite resolves
    // the bare name from node_modules, as the compiled package does.
    alias: [{ find: /^npm:((?:@[^/@]+\/)?[^/@]+)(?:@[^/]*)?(\/.*)?$/, replacement: "$1$2" }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: run test files one after another so timings and native memory stay predictable.
    fileParallelism: false,
  },
});
