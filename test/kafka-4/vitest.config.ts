import { defineConfig } from "vitest/config";

// kafkajs against the current Kafka 4.x: a smaller check beside the main suite on 3.9.
export default defineConfig({
  test: {
    name: "kafka-4",
    include: ["**/*.test.ts"],
    globalSetup: ["./global-setup.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
