import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startPipeline } from "../harness/kafka/pipeline.js";
import { countByValue } from "../harness/kafka/sink.js";
import {
  committedOffsets,
  controlBroker,
  createTopic,
  endOffsets,
  numbered,
  produce,
  testKafka,
  waitFor,
} from "../harness/kafka.js";

const { broker, controlUrl } = inject("kafka");
const kafka = testKafka(broker);

describe("the broker stops and restarts during a stream", () => {
  let producer = kafka.producer();
  beforeAll(() => producer.connect());
  afterAll(() => producer.disconnect());

  it("loses nothing and reconnects on its own", async () => {
    const topic = `restart-${Date.now()}`;
    await createTopic(kafka, topic, 2);
    const all = numbered("b", 4_000);
    await produce(producer, topic, all.slice(0, 2_000));
    const p = await startPipeline({
      connector: {
        brokers: [broker.plaintext],
        topics: [topic],
        groupId: `g-${topic}`,
        startFrom: "earliest",
        heartbeatIntervalMs: 1_000,
        sessionTimeoutMs: 10_000,
      },
      route: { format: "rich", batch: { maxRecords: 20 } },
      // A small buffer: the first fetch holds all 2,000 records, and with the default buffer
      // (2,000) the engine could deliver every one of them while the broker shuts down, however
      // long that takes. With 100, delivery stalls soon after the broker is gone.
      limits: { maxBufferedRecords: 100 },
    });
    // Slow the function down so that the stop lands mid-stream, with batches in flight.
    p.emulator.setFault("sink", { latencyMs: 30 });
    try {
      await waitFor("some deliveries", () => p.fn.received.length >= 200);
      await controlBroker(controlUrl, "stop");
      const atStop = p.fn.received.length;
      expect(atStop).toBeLessThan(2_000);
      await waitFor(
        "the connector to report the broker down",
        () => !p.connector.health().connected,
        30_000,
      );
      await controlBroker(controlUrl, "start");
      await producer.disconnect();
      producer = kafka.producer();
      await producer.connect();
      await produce(producer, topic, all.slice(2_000));
      // Duplicates are counted by partition and offset, so that the count holds even if a
      // produce around the restart stored a record twice.
      const ends = await endOffsets(kafka, topic);
      const stored = Object.values(ends).reduce((n, end) => n + Number(end), 0);
      const byOffset = new Map<string, number>();
      const tally = () => {
        byOffset.clear();
        for (const r of p.fn.received) {
          const at = `${r.partition}/${r.offset}`;
          byOffset.set(at, (byOffset.get(at) ?? 0) + 1);
        }
        return byOffset.size;
      };
      await waitFor("every stored record", () => tally() >= stored, 90_000);
      const duplicates = [...byOffset.values()].reduce((n, c) => n + c - 1, 0);
      console.log(
        `broker restart: ${atStop} delivered before the stop; ${duplicates} duplicate(s) of ${stored} stored records`,
      );
      expect(countByValue(p.fn.received).size).toBe(4_000);
      expect(byOffset.size).toBe(stored);
      // The same daemon stayed up and delivered everything it fetched before the outage: once
      // it is back in the group it skips what it already pushed (it does not resume from the
      // older commit), so nothing is delivered twice beyond a batch in flight per partition.
      expect(duplicates).toBeLessThanOrEqual(2 * 20);
      await waitFor("reconnected", () => p.connector.health().connected);
      await waitFor(
        "commits at the end",
        async () =>
          JSON.stringify(await committedOffsets(kafka, `g-${topic}`, topic)) ===
          JSON.stringify(ends),
        30_000,
      );
    } finally {
      await p.stop();
    }
  });
});
