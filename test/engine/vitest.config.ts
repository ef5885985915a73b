import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { name: "engine", include: ["**/*.test.ts"], testTimeout: 60_000, hookTimeout: 30_000 },
});
