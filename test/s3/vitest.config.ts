import { defineConfig } from "vitest/config";

// Real S3-compatible servers (global-setup.ts, harness/s3-server.ts: S3Proxy, plus S3Mock for
// object tagging) and the FunctionGraph emulator, started by each test file in-process.
export default defineConfig({
  test: {
    name: "s3",
    include: ["**/*.test.ts"],
    globalSetup: ["./global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
