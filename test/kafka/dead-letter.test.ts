import { existsSync } from "node:fs";
import { join } from "node:path";
import { startEmulator } from "@fgconnect/emulator";
import { createKafkaDeadLetterSink, DEAD_LETTER_HEADERS } from "@fgconnect/kafka";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { kafkaDaemonConfig, startDaemon } from "../harness/kafka/daemon.js";
import { startPipeline } from "../harness/kafka/pipeline.js";
import { readTopic } from "../harness/kafka/read.js";
import { countByValue, recordingFunction } from "../harness/kafka/sink.js";
import {
  committedOffsets,
  createTopic,
  endOffsets,
  produce,
  testKafka,
  waitFor,
} from "../harness/kafka.js";

const { broker } = inject("kafka");
const kafka = testKafka(broker);
const producer = kafka.producer();

beforeAll(() => producer.connect());
afterAll(() => producer.disconnect());

const header = (m: { headers?: Record<string, unknown> }, name: string) =>
  String(m.headers?.[name] ?? "");

describe("dead letters to a Kafka topic", () => {
  it("through the daemon's `deadLetter` option: retries a failing function, dead-letters with the error headers, offsets advance, the daemon keeps going", async () => {
    const topic = `dlq-src-${Date.now()}`;
    const dlq = `${topic}-dlq`;
    await createTopic(kafka, topic, 2);
    await createTopic(kafka, dlq, 1);
    const messages = Array.from({ length: 300 }, (_, i) => ({
      key: `k${i % 5}`,
      value: `v-${i}`,
      headers: { trace: `t-${i}` },
    }));
    await produce(producer, topic, messages);
    const failing = (v: string) => Number(v.slice(2)) % 10 === 0;
    const fn = recordingFunction(failing);
    const emulator = await startEmulator({
      functions: { sink: fn.handler },
      port: 0,
      log: false,
      auth: false,
    });
    const daemon = await startDaemon(
      kafkaDaemonConfig({
        emulatorUrl: emulator.url,
        projectId: emulator.projectId,
        urn: emulator.urnFor("sink"),
        connector: {
          brokers: [broker.plaintext],
          topics: [topic],
          groupId: `g-${topic}`,
          startFrom: "earliest",
          deadLetter: { topic: dlq },
        },
        batch: { maxRecords: 1 },
        route: {
          format: "native",
          delivery: { maxAttempts: 3, firstDelayMs: 5, maxDelayMs: 20 },
        },
      }),
    );
    try {
      const dead = await readTopic(kafka, dlq, 30);
      await waitFor("270 deliveries", () => fn.received.length >= 270);
      const delivered = countByValue(fn.received);
      expect(delivered.size).toBe(270);
      expect([...delivered.keys()].some(failing)).toBe(false);
      // Each failing record was tried three times before it was dead-lettered.
      expect(fn.calls).toBe(270 + 30 * 3);
      expect(dead.map((m) => m.value!.toString()).sort()).toEqual(
        messages
          .map((m) => m.value)
          .filter(failing)
          .sort(),
      );
      for (const m of dead) {
        const i = Number(m.value!.toString().slice(2));
        expect(m.key!.toString()).toBe(`k${i % 5}`);
        expect(header(m, "trace")).toBe(`t-${i}`);
        expect(header(m, DEAD_LETTER_HEADERS.reason)).toBe("retries exhausted");
        expect(header(m, DEAD_LETTER_HEADERS.attempts)).toBe("3");
        expect(header(m, DEAD_LETTER_HEADERS.errorMessage)).toContain(`refusing v-${i}`);
        expect(header(m, DEAD_LETTER_HEADERS.source)).toBe("orders");
        expect(header(m, DEAD_LETTER_HEADERS.topic)).toBe(topic);
        expect(["0", "1"]).toContain(header(m, DEAD_LETTER_HEADERS.partition));
        expect(header(m, DEAD_LETTER_HEADERS.offset)).toMatch(/^\d+$/);
      }
      const ends = await endOffsets(kafka, topic);
      await waitFor(
        "commits past the dead letters",
        async () =>
          JSON.stringify(await committedOffsets(kafka, `g-${topic}`, topic)) ===
          JSON.stringify(ends),
      );
      // The daemon keeps going: ready, and a record produced now is delivered.
      expect((await fetch(`${daemon.adminUrl}/readyz`)).status).toBe(200);
      await produce(producer, topic, [{ key: "late", value: "v-301" }]);
      await waitFor("a later record", () => fn.received.some((r) => r.value === "v-301"));
      // Nothing went to the daemon's own dead-letter file.
      expect(existsSync(join(daemon.dir, ".fgconnect", "dead-letter.jsonl"))).toBe(false);
    } finally {
      expect(await daemon.stop()).toBe(0);
      await emulator.close();
    }
  });

  it("refuses to start when the dead-letter topic does not exist, naming the option", async () => {
    const topic = `dlq-missing-${Date.now()}`;
    await createTopic(kafka, topic, 1);
    await expect(
      startPipeline({
        connector: {
          brokers: [broker.plaintext],
          topics: [topic],
          groupId: `g-${topic}`,
          deadLetter: { topic: `${topic}-nowhere` },
        },
      }),
    ).rejects.toThrow(/deadLetter\.topic: topic "dlq-missing-\d+-nowhere" does not exist/);
  });

  it("dead-letters a poison record (not UTF-8, or over 6 MB) alone, with the reason, and moves on", async () => {
    const topic = `poison-${Date.now()}`;
    const dlq = `${topic}-dlq`;
    await createTopic(kafka, topic, 1);
    await createTopic(kafka, dlq, 1);
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0xc3]);
    const huge = Buffer.alloc(6.5 * 1024 * 1024, "x");
    await produce(producer, topic, [
      { key: "a", value: "before" },
      { key: "b", value: binary },
      { key: "c", value: "middle" },
      { key: "d", value: huge },
      { key: "e", value: "after" },
    ]);
    const p = await startPipeline({
      connector: {
        brokers: [broker.plaintext],
        topics: [topic],
        groupId: `g-${topic}`,
        startFrom: "earliest",
      },
      route: { format: "native", batch: { maxRecords: 10, maxBytes: 6 * 1024 * 1024 } },
      deadLetter: createKafkaDeadLetterSink({ brokers: [broker.plaintext], topic: dlq }),
    });
    try {
      const dead = await readTopic(kafka, dlq, 2);
      await waitFor("the three good records", () => p.fn.received.length >= 3);
      expect(p.fn.received.map((r) => r.value)).toEqual(["before", "middle", "after"]);
      const byKey = Object.fromEntries(dead.map((m) => [m.key!.toString(), m]));
      expect(byKey.b!.value).toEqual(binary);
      expect(header(byKey.b!, DEAD_LETTER_HEADERS.reason)).toBe("format failed");
      expect(header(byKey.b!, DEAD_LETTER_HEADERS.errorMessage)).toContain("not UTF-8");
      expect(byKey.d!.value!.length).toBe(huge.length);
      expect(header(byKey.d!, DEAD_LETTER_HEADERS.errorMessage)).toContain("over the");
      expect(header(byKey.d!, DEAD_LETTER_HEADERS.offset)).toBe("3");
      await waitFor(
        "commit to the end",
        async () => (await committedOffsets(kafka, `g-${topic}`, topic))[0] === "5",
      );
    } finally {
      await p.stop();
    }
  });
});
