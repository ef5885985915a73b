import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TEST_KAFKA_CLIENT } from "../harness/kafka/client-choice.js";
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

// The smaller check against the current Kafka 4.x (the main suite in ../kafka runs on 3.9), on
// the client FGCONNECT_TEST_KAFKA_CLIENT names: group join, fetch, the native event, contiguous
// commits and lag.
const { broker } = inject("kafka");
const kafka = testKafka(broker);
const producer = kafka.producer();
beforeAll(() => producer.connect());
afterAll(() => producer.disconnect());

describe(`${TEST_KAFKA_CLIENT} against Kafka ${broker.version}`, () => {
  it("consumes as a group, delivers the native event, commits, and reports lag", async () => {
    const topic = `compat-${Date.now()}`;
    await createTopic(kafka, topic, 3);
    await produce(producer, topic, numbered("c", 1_000));
    const p = await startPipeline({
      connector: {
        brokers: [broker.plaintext],
        topics: [`/^${topic}$/`],
        groupId: `g-${topic}`,
        startFrom: "earliest",
      },
      route: { batch: { maxRecords: 50 } },
    });
    try {
      await waitFor("1,000 deliveries", () => p.fn.received.length >= 1_000);
      expect(new Set(p.fn.received.map((r) => r.value)).size).toBe(1_000);
      const event = p.emulator.invocations.at(-1)!.payload as {
        trigger_type: string;
        records: { topic_id: string }[];
      };
      expect(event.trigger_type).toBe("KAFKA");
      expect(event.records[0]!.topic_id).toBe(topic);
      const ends = await endOffsets(kafka, topic);
      await waitFor(
        "commits at the end",
        async () =>
          JSON.stringify(await committedOffsets(kafka, `g-${topic}`, topic)) ===
          JSON.stringify(ends),
      );
      await new Promise((r) => setTimeout(r, 2_100));
      expect((await p.connector.lag()).total).toBe(0);
    } finally {
      await p.stop();
    }
  });
});
