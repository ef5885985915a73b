import { defineConfig } from "vitest/config";

// The built daemon exporting traces to a real OTLP/HTTP receiver started by the test; the
// emulator over real HTTP, and a Mosquitto broker of its own (harness/mosquitto.ts). The Kafka
// file starts its own broker in its beforeAll, so the other files do not wait for one.
export default defineConfig({
  test: {
    name: "telemetry",
    include: ["**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
