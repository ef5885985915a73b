import { defineConfig } from "vitest/config";

// The built daemon as a child process with an HTTP connector, delivering to the emulator.
export default defineConfig({
  test: {
    name: "http",
    include: ["**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
