import { defineConfig } from "vitest/config";

// Real Redis and PostgreSQL (the machine's, each test with its own key prefix or schema), and
// daemons as separate processes sharing one emulator.
export default defineConfig({
  test: {
    name: "coordination",
    include: ["**/*.test.ts"],
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});
