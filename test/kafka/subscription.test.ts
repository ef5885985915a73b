import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startPipeline } from "../harness/kafka/pipeline.js";
import { createTopic, numbered, produce, testKafka, waitFor } from "../harness/kafka.js";

const { broker } = inject("kafka");
const kafka = testKafka(broker);
const producer = kafka.producer();
beforeAll(() => producer.connect());
afterAll(() => producer.disconnect());

describe("what a new group consumes", () => {
  it("startFrom a timestamp: only records at or after it, on every partition", async () => {
    const topic = `since-${Date.now()}`;
    await createTopic(kafka, topic, 2);
    await produce(producer, topic, numbered("old", 200));
    // Kafka timestamps are in ms: leave a clear gap on both sides of the start time.
    await new Promise((r) => setTimeout(r, 20));
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await produce(producer, topic, numbered("new", 200));
    const p = await startPipeline({
      connector: {
        brokers: [broker.plaintext],
        topics: [topic],
        groupId: `g-${topic}`,
        startFrom: since,
      },
      route: { format: "rich", batch: { maxRecords: 50 } },
    });
    try {
      await waitFor("200 deliveries", () => p.fn.received.length >= 200);
      const values = p.fn.received.map((r) => r.value);
      expect(values.filter((v) => v.startsWith("old-"))).toEqual([]);
      expect(new Set(values).size).toBe(200);
      expect(new Set(p.fn.received.map((r) => r.partition))).toEqual(new Set([0, 1]));
    } finally {
      await p.stop();
    }
  });

  it("topics given as a regular expression: every matching topic, and only those", async () => {
    const stamp = Date.now();
    const [a, b, other] = [`re-${stamp}-a`, `re-${stamp}-b`, `re-${stamp}-other`];
    for (const t of [a, b, other]) await createTopic(kafka, t, 1);
    await produce(producer, a, numbered("a", 30));
    await produce(producer, b, numbered("b", 30));
    await produce(producer, other, numbered("x", 30));
    const p = await startPipeline({
      connector: {
        brokers: [broker.plaintext],
        topics: [`/^re-${stamp}-(a|b)$/`],
        groupId: `g-re-${stamp}`,
        startFrom: "earliest",
      },
      route: { format: "rich", batch: { maxRecords: 10 } },
    });
    try {
      await waitFor("60 deliveries", () => p.fn.received.length >= 60);
      expect(new Set(p.fn.received.map((r) => r.topic))).toEqual(new Set([a, b]));
      // The subscription is exactly the matching topics (lag lists what it covers).
      const lag = await p.connector.lag();
      expect(Object.keys(lag.detail ?? {}).sort()).toEqual([`${a}/0`, `${b}/0`]);
      expect(p.fn.received.length).toBe(60);
    } finally {
      await p.stop();
    }
  });
});
