import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { name: "deploy", include: ["**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 },
});
