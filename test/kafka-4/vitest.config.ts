import { defineConfig } from "vitest/config";

// The connector (on kafkajs, or the client FGCONNECT_TEST_KAFKA_CLIENT names) against the
// current Kafka 4.x: a smaller check beside the main suite on 3.9.
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
