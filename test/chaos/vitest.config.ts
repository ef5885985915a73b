import { defineConfig } from "vitest/config";

// The built daemon SIGKILLed and restarted against real servers that each file starts for
// itself (one JVM at a time on a small machine): files run one after another.
export default defineConfig({
  test: {
    name: "chaos",
    include: ["**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 180_000,
  },
});
