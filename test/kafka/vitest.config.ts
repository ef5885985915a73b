import { defineConfig } from "vitest/config";

// One real Kafka broker per run (global-setup.ts). KAFKA_VERSION selects the version (default:
// the main suite's, see harness/kafka.ts); `compat.test.ts` is the smaller check meant for the
// other version. Files run one after another: they share the broker, and one restarts it.
export default defineConfig({
  test: {
    name: "kafka",
    include: ["**/*.test.ts"],
    globalSetup: ["./global-setup.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
