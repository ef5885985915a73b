import { describe, expect, it, vi } from "vitest";

const loaded = vi.hoisted(() => ({ platformatic: 0 }));
vi.mock("@platformatic/kafka", async (original) => {
  loaded.platformatic++;
  return original();
});

describe("client libraries load on first use", () => {
  it("a connector on kafkajs never imports @platformatic/kafka; one on platformatic does when it connects", async () => {
    const { createKafkaConnector } = await import("../src/index.js");
    const { clientFor } = await import("../src/client/select.js");
    const options = { brokers: ["127.0.0.1:1"], topics: ["t"], groupId: "g" };
    createKafkaConnector("k", options);
    const { kafkaOptionsSchema } = await import("../src/options.js");
    const connection = kafkaOptionsSchema.parse(options);
    const logger = { debug() {}, info() {}, warn() {}, error() {} } as never;
    const admin = clientFor("platformatic")(connection, logger).admin();
    expect(loaded.platformatic).toBe(0);
    // The first request loads it (nothing listens on port 1: stopped while it retries).
    void admin.listTopics().catch(() => {});
    await vi.waitFor(() => expect(loaded.platformatic).toBe(1), { timeout: 30_000 });
    // On Node < 22.22 (refused by the option) the library loads but cannot run: stop may fail.
    await admin.stop().catch(() => {});
  }, 60_000);
});
