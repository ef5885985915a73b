import { defineConfig } from "vitest/config";

// The shared RabbitMQ on 127.0.0.1:5672 (guest/guest); every test uses its own queues and
// exchanges (deleted afterwards) and its own daemons with an embedded FunctionGraph emulator.
export default defineConfig({
  test: {
    name: "rabbitmq",
    include: ["**/*.test.ts"],
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
