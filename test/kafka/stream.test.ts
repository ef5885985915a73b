import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startPipeline } from "../harness/kafka/pipeline.js";
import { countByValue, type Received } from "../harness/kafka/sink.js";
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

/** Offsets of each partition in delivery order must increase. */
function assertOrderedPerPartition(received: readonly Received[]): void {
  const last = new Map<number, bigint>();
  for (const r of received) {
    const offset = BigInt(r.offset!);
    const before = last.get(r.partition!);
    if (before !== undefined)
      expect(offset, `partition ${r.partition} out of order`).toBeGreaterThan(before);
    last.set(r.partition!, offset);
  }
}

describe("a stream of 10,000 records", () => {
  it("delivers every record exactly once, in order per partition, and commits to the end", async () => {
    const topic = `stream-${Date.now()}`;
    await createTopic(kafka, topic, 4);
    await produce(producer, topic, numbered("r", 10_000));
    const started = Date.now();
    const p = await startPipeline({
      connector: {
        brokers: [broker.plaintext],
        topics: [topic],
        groupId: `g-${topic}`,
        startFrom: "earliest",
      },
      route: { format: "rich", batch: { maxRecords: 100, maxWaitMs: 5 } },
    });
    try {
      await waitFor("10,000 deliveries", () => p.fn.received.length >= 10_000, 60_000);
      const seconds = (Date.now() - started) / 1000;
      console.log(
        `10,000 records in ${seconds.toFixed(2)} s (${Math.round(10_000 / seconds)} records/s, ${p.fn.calls} invocations)`,
      );
      const counts = countByValue(p.fn.received);
      expect(counts.size).toBe(10_000);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      assertOrderedPerPartition(p.fn.received);
      expect(p.connector.health().connected).toBe(true);
      const ends = await endOffsets(kafka, topic);
      await waitFor(
        "commits at the end",
        async () =>
          JSON.stringify(await committedOffsets(kafka, `g-${topic}`, topic)) ===
          JSON.stringify(ends),
      );
      const lag = await new Promise((r) => setTimeout(r, 2_100)).then(() => p.connector.lag());
      expect(lag.total).toBe(0);
      expect(Object.keys(lag.detail ?? {}).sort()).toEqual(
        [0, 1, 2, 3].map((i) => `${topic}/${i}`),
      );
    } finally {
      await p.stop();
    }
    // Stopped cleanly: nothing redelivered, nothing more committed.
    expect(p.fn.received.length).toBe(10_000);
  });

  it("with per-key ordering, delivers a partition in parallel across keys and keeps each key's order", async () => {
    const topic = `keys-${Date.now()}`;
    await createTopic(kafka, topic, 1);
    await produce(producer, topic, numbered("k", 2_000, 8));
    const p = await startPipeline({
      connector: {
        brokers: [broker.plaintext],
        topics: [topic],
        groupId: `g-${topic}`,
        startFrom: "earliest",
        ordering: "key",
      },
      route: { format: "rich", batch: { maxRecords: 1 } },
    });
    try {
      await waitFor("2,000 deliveries", () => p.fn.received.length >= 2_000, 60_000);
      const perKey = new Map<string, bigint>();
      let interleaved = false;
      let previous: bigint | undefined;
      for (const r of p.fn.received) {
        const offset = BigInt(r.offset!);
        if (previous !== undefined && offset < previous) interleaved = true;
        previous = offset;
        const last = perKey.get(r.key!);
        if (last !== undefined) expect(offset).toBeGreaterThan(last);
        perKey.set(r.key!, offset);
      }
      // One partition, yet not delivered in strict offset order: keys ran in parallel.
      expect(interleaved).toBe(true);
      expect(countByValue(p.fn.received).size).toBe(2_000);
      const ends = await endOffsets(kafka, topic);
      await waitFor(
        "contiguous commit to the end",
        async () => (await committedOffsets(kafka, `g-${topic}`, topic))[0] === ends[0],
      );
    } finally {
      await p.stop();
    }
  });
});
