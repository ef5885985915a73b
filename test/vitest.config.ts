import { defineConfig } from "vitest/config";

// One project per area, each with its own servers (globalSetup) and timeouts.
export default defineConfig({
  test: {
    projects: [
      "./client",
      "./daemon",
      "./deploy",
      "./docs",
      "./engine",
      "./packaging",
      "./kafka",
      "./kafka-4",
      "./mqtt",
      "./rabbitmq",
      "./s3",
      "./chaos",
      "./coordination",
      "./http",
      "./status",
      "./telemetry",
    ],
  },
});
