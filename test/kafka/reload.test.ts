/**
 * Reloading a running daemon's config while a Kafka stream flows (4 partitions, 16 keys): a
 * route's filter, then the connector's commit interval (the connector is drained, stopped and
 * started anew in the same group), then the filter again, each by SIGHUP. Every record must
 * reach exactly the functions that a config in force between its publication and its delivery
 * sends it to, once each, in order per key — none lost, nothing left uncommitted.
 */
import { join } from "node:path";
import type { Emulator } from "@fgconnect/emulator";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";
import { TEST_KAFKA_CLIENT } from "../harness/kafka/client-choice.js";
import { committedOffsets, createTopic, endOffsets, testKafka } from "../harness/kafka.js";
import { colorOf, type Deliveries } from "../harness/reload.js";
import {
  OPTIONS_CHANGED,
  recordingEmulator,
  runScenario,
  scenarioRoutes,
} from "../harness/reload-scenario.js";

const { broker } = inject("kafka");
const kafka = testKafka(broker);
const producer = kafka.producer();
/** Keys `k0`…`k15`: kafkajs's partitioner spreads them over all 4 partitions. */
const KEYS = 16;
let emulator: Emulator;
let deliveries: Deliveries;
let daemon: DaemonProcess | undefined;

beforeAll(async () => {
  await producer.connect();
  // The rich event: one entry per record, its value the JSON published.
  ({ emulator, deliveries } = await recordingEmulator((event) =>
    (event as { records: { value: string }[] }).records.map((r) => JSON.parse(r.value).i),
  ));
});
afterAll(async () => {
  if (daemon && daemon.child.exitCode === null) daemon.child.kill("SIGKILL");
  await producer.disconnect();
  await emulator.close();
});

function config(topic: string, phase: number): string {
  return JSON.stringify({
    functiongraph: {
      endpoint: emulator.url,
      projectId: emulator.projectId,
      auth: { type: "none" },
    },
    connectors: {
      orders: {
        type: "kafka",
        client: TEST_KAFKA_CLIENT,
        brokers: [broker.plaintext],
        topics: [topic],
        groupId: `g-${topic}`,
        startFrom: "earliest",
        heartbeatIntervalMs: 500,
        sessionTimeoutMs: 6_000,
        commitIntervalMs: phase >= OPTIONS_CHANGED ? 300 : 500,
      },
    },
    routes: scenarioRoutes(emulator, "orders", phase, { format: "rich" }),
    deadLetter: { type: "file", path: "./dead-letter.jsonl", fsync: false },
    admin: { port: 0 },
    shutdown: { deadlineMs: 10_000 },
  });
}

describe("reloading the config of a daemon consuming Kafka", () => {
  it("applies a filter and the connector's options by SIGHUP with no record lost, sent twice or out of order per key", async () => {
    const topic = `reload-${Date.now()}`;
    await createTopic(kafka, topic, 4);
    const dir = workDir("fgc-kafka-reload-");
    daemon = await startRunningDaemon(dir, config(topic, 0), { FGCONNECT_LOG_LEVEL: "info" });
    const { expectKept } = await runScenario({
      daemon,
      file: join(dir, "fgconnect.yaml"),
      config: (phase) => config(topic, phase),
      connector: "orders",
      deliveries,
      send: async (ids) => {
        await producer.send({
          topic,
          acks: -1,
          messages: ids.map((i) => ({
            key: `k${i % KEYS}`,
            value: JSON.stringify({ i, color: colorOf(i) }),
          })),
        });
      },
    });
    // Everything delivered is committed, by the connector that replaced the first.
    const ends = await endOffsets(kafka, topic);
    expect(Object.values(ends).filter((end) => Number(end) > 0)).toHaveLength(4);
    await vi.waitFor(
      async () => expect(await committedOffsets(kafka, `g-${topic}`, topic)).toEqual(ends),
      { timeout: 30_000, interval: 200 },
    );
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    console.log(expectKept(KEYS));
  });
});
