import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startPipeline } from "../harness/kafka/pipeline.js";
import {
  committedOffsets,
  createTopic,
  endOffsets,
  numbered,
  produce,
  testKafka,
  waitFor,
} from "../harness/kafka.js";

const { broker } = inject("kafka");
const kafka = testKafka(broker);
const producer = kafka.producer();

beforeAll(() => producer.connect());
afterAll(() => producer.disconnect());

describe("backpressure from a slow function", () => {
  it("keeps the engine's buffer at its limit, stays in the group longer than a session, and delivers each record once", async () => {
    const topic = `backpressure-${Date.now()}`;
    await createTopic(kafka, topic, 2);
    await produce(producer, topic, numbered("s", 800));
    const joins: string[] = [];
    const note = (_: object, msg?: string) => {
      if (msg === "joined the consumer group") joins.push(msg);
    };
    const p = await startPipeline({
      connector: {
        brokers: [broker.plaintext],
        topics: [topic],
        groupId: `g-${topic}`,
        startFrom: "earliest",
        heartbeatIntervalMs: 500,
        sessionTimeoutMs: 6_000,
      },
      route: { format: "rich", batch: { maxRecords: 10 } },
      limits: { maxInFlight: 2, maxBufferedRecords: 20 },
      logger: { debug() {}, info: note, warn() {}, error() {} },
    });
    // About 130 records a second: the drain outlasts the 6 s session several times over, all of
    // it inside kafkajs batch handlers that the connector holds while the engine is full.
    p.emulator.setFault("sink", { latencyMs: 150 });
    let maxBuffered = 0;
    const sampler = setInterval(() => {
      maxBuffered = Math.max(maxBuffered, p.engine.health().buffered.records);
    }, 5);
    const started = Date.now();
    try {
      await waitFor("800 deliveries", () => p.fn.received.length >= 800, 60_000);
      const seconds = (Date.now() - started) / 1000;
      clearInterval(sampler);
      console.log(
        `backpressure: 800 records in ${seconds.toFixed(1)} s, at most ${maxBuffered} buffered`,
      );
      expect(seconds).toBeGreaterThan(6);
      expect(maxBuffered).toBeGreaterThan(0);
      expect(maxBuffered).toBeLessThanOrEqual(20);
      const offsets = new Set(p.fn.received.map((r) => `${r.partition}/${r.offset}`));
      expect(offsets.size).toBe(800);
      expect(p.fn.received.length).toBe(800);
      expect(joins).toHaveLength(1);
      expect(p.connector.health().connected).toBe(true);
      const ends = await endOffsets(kafka, topic);
      await waitFor(
        "commits at the end",
        async () =>
          JSON.stringify(await committedOffsets(kafka, `g-${topic}`, topic)) ===
          JSON.stringify(ends),
      );
    } finally {
      clearInterval(sampler);
      await p.stop();
    }
  });
});
