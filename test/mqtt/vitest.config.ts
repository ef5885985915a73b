import { defineConfig } from "vitest/config";

// Real Mosquitto brokers (global-setup.ts, harness/mosquitto.ts) and the FunctionGraph emulator.
// Files that restart a broker or kill a daemon start their own broker through the same harness.
export default defineConfig({
  test: {
    name: "mqtt",
    include: ["**/*.test.ts"],
    globalSetup: ["./global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
