import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startPipeline } from "../harness/kafka/pipeline.js";
import { createTopic, produce, testKafka, waitFor } from "../harness/kafka.js";

const { broker } = inject("kafka");
const kafka = testKafka(broker);
const producer = kafka.producer();

beforeAll(() => producer.connect());
afterAll(() => producer.disconnect());

/** The longest time a partition waited for its next delivery while it still had records. */
function longestWait(times: number[], from: number): number {
  let last = from;
  let longest = 0;
  for (const t of times) {
    longest = Math.max(longest, t - last);
    last = t;
  }
  return longest;
}

describe("a backlog on several partitions", () => {
  it("keeps every partition with lag moving while one partition's fetch alone could fill the buffer", async () => {
    const topic = `fairness-${Date.now()}`;
    await createTopic(kafka, topic, 3);
    // One fetch brings partition 0's 2,000 records at once: on its own at ~200 records/s it
    // would hold the buffer for 10 s while partitions 1 and 2 wait with their own backlog.
    const backlog = { 0: 2_000, 1: 200, 2: 200 } as const;
    for (const [partition, n] of Object.entries(backlog)) {
      await produce(
        producer,
        topic,
        Array.from({ length: n }, (_, i) => ({
          key: null,
          value: `p${partition}-${i}`,
          partition: Number(partition),
        })),
      );
    }
    const total = backlog[0] + backlog[1] + backlog[2];
    const p = await startPipeline({
      connector: {
        brokers: [broker.plaintext],
        topics: [topic],
        groupId: `g-${topic}`,
        startFrom: "earliest",
      },
      route: { format: "rich", batch: { maxRecords: 10 } },
      limits: { maxInFlight: 2, maxBufferedRecords: 60 },
    });
    p.emulator.setFault("sink", { latencyMs: 100 });
    try {
      await waitFor(`${total} deliveries`, () => p.fn.received.length >= total, 90_000);
      const perPartition = new Map<number, number[]>();
      for (const r of p.fn.received) {
        const times = perPartition.get(r.partition!) ?? [];
        times.push(r.at);
        perPartition.set(r.partition!, times);
      }
      // From the first delivery of any partition: the group join before it is not the point.
      const first = Math.min(...p.fn.received.map((r) => r.at));
      const waits = [0, 1, 2].map((n) => longestWait(perPartition.get(n) ?? [], first));
      console.log(`fairness: longest wait per partition ${waits.map((w) => `${w} ms`).join(", ")}`);
      expect([0, 1, 2].map((n) => perPartition.get(n)?.length)).toEqual([
        backlog[0],
        backlog[1],
        backlog[2],
      ]);
      // The smaller partitions are done long before partition 0: none of them waited for it.
      for (const wait of waits) expect(wait).toBeLessThan(4_000);
      const doneAt = (n: number) => Math.max(...perPartition.get(n)!);
      expect(Math.max(doneAt(1), doneAt(2))).toBeLessThan(doneAt(0));
    } finally {
      await p.stop();
    }
  });
});
