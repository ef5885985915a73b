/**
 * Traces of Kafka records, end to end: a producer puts W3C `traceparent` headers on its records,
 * the built daemon consumes them from a real broker (a broker of this file's own, so the other
 * telemetry tests do not wait for one) and invokes the emulator, and its spans reach a real
 * OTLP/HTTP receiver.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";
import { functiongraphOf } from "../harness/emulator-section.js";
import { TEST_KAFKA_CLIENT } from "../harness/kafka/client-choice.js";
import {
  createTopic,
  KafkaBroker,
  MAIN_KAFKA_VERSION,
  produce,
  type TestMessage,
  testKafka,
} from "../harness/kafka.js";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "./otlp-receiver.js";
import { type ProducerSpan, producer, traceparent } from "./producer-context.js";

const KIND_CLIENT = 3;
const KIND_CONSUMER = 5;
const STATUS_UNSET = 0;

let broker: KafkaBroker;
let emulator: Emulator;
let receiver: OtlpReceiver;
const daemons: DaemonProcess[] = [];

beforeAll(async () => {
  [broker, emulator, receiver] = await Promise.all([
    KafkaBroker.create(process.env.KAFKA_VERSION ?? MAIN_KAFKA_VERSION),
    startEmulator({
      functions: {
        ok: async () => ({ statusCode: 200, isBase64Encoded: false, headers: {}, body: "ok" }),
      },
      auth: false,
      log: false,
    }),
    startOtlpReceiver(),
  ]);
}, 180_000);

afterAll(async () => {
  for (const d of daemons) if (d.child.exitCode === null) d.child.kill("SIGKILL");
  await receiver?.close();
  await emulator?.close();
  await broker?.destroy();
}, 60_000);

const traced = (p: ProducerSpan, value: string): TestMessage => ({
  key: "order",
  value,
  headers: { traceparent: traceparent(p) },
});

describe("traces of Kafka records", () => {
  it("continue the producers' traces from their headers: the first as the batch's parent, the others as links", async () => {
    const kafka = testKafka(broker.info);
    const topic = `traces-${randomBytes(4).toString("hex")}`;
    await createTopic(kafka, topic, 1);
    const [a, b, c] = [producer(), producer(), producer()];
    // One batch of four (one partition, all there before the daemon starts): a record without
    // headers first, then a, b, and c twice (its context is linked once).
    const batched: TestMessage[] = [
      { key: "order", value: "untraced" },
      traced(a, "a"),
      traced(b, "b"),
      traced(c, "c1"),
      traced(c, "c2"),
    ];
    const urn = emulator.urnFor("ok");
    const kafkaProducer = kafka.producer();
    await kafkaProducer.connect();
    let daemon: DaemonProcess;
    try {
      await produce(kafkaProducer, topic, batched);

      const dir = workDir("fgc-traces-kafka-");
      daemon = await startRunningDaemon(
        dir,
        JSON.stringify({
          functiongraph: functiongraphOf(emulator),
          connectors: {
            orders: {
              type: "kafka",
              client: TEST_KAFKA_CLIENT,
              brokers: [broker.info.plaintext],
              topics: [topic],
              groupId: `g-${topic}`,
              startFrom: "earliest",
            },
          },
          routes: [
            {
              name: "kafka",
              from: "orders",
              to: [urn],
              mode: "sync",
              batch: { maxRecords: batched.length, maxWaitMs: 1_000 },
            },
          ],
          deadLetter: { type: "file", path: join(dir, "dead-letter.jsonl"), fsync: false },
          telemetry: { otlp: { endpoint: receiver.url } },
          admin: { port: 0 },
          log: { level: "info", pretty: false },
        }),
        { FGCONNECT_LOG_LEVEL: "info", OTEL_BSP_SCHEDULE_DELAY: "100" },
      );
      daemons.push(daemon);

      const batch = await receiver.waitForSpan(
        (s) => s.name === "deliver kafka" && s.traceId === a.traceId,
        60_000,
      );
      const attempt = await receiver.waitForSpan((s) => s.parentSpanId === batch.spanId);

      // The batch span is the first traced record's producer's child; b and c are links, once each.
      expect(batch.parentSpanId).toBe(a.spanId);
      expect(batch.kind).toBe(KIND_CONSUMER);
      expect(batch.statusCode).toBe(STATUS_UNSET);
      expect(batch.links).toHaveLength(2);
      expect(batch.links).toEqual(
        expect.arrayContaining([
          { traceId: b.traceId, spanId: b.spanId },
          { traceId: c.traceId, spanId: c.spanId },
        ]),
      );
      expect(batch.attributes).toMatchObject({
        "fgconnect.route": "kafka",
        "fgconnect.function": urn,
        "fgconnect.mode": "sync",
        "fgconnect.source": "orders",
        "fgconnect.records": batched.length,
        "fgconnect.delivered": batched.length,
        "fgconnect.dead_lettered": 0,
      });

      // The invocation attempt: in a's trace, under the batch span, sent on to the function.
      expect(attempt.traceId).toBe(a.traceId);
      expect(attempt.name).toBe(`invoke ${urn}`);
      expect(attempt.kind).toBe(KIND_CLIENT);
      const invocation = emulator.invocations.find(
        (i) => i.traceparent === `00-${a.traceId}-${attempt.spanId}-01`,
      );
      expect(invocation?.urn).toBe(urn);
      expect(attempt.attributes).toMatchObject({
        "fgconnect.route": "kafka",
        "fgconnect.function": urn,
        "fgconnect.mode": "sync",
        "fgconnect.attempt": 1,
        "fgconnect.records": batched.length,
        "fgconnect.outcome": "success",
        "functiongraph.request_id": invocation!.requestId,
      });
      expect(attempt.attributes["fgconnect.error_code"]).toBeUndefined();

      // A record with no traceparent, batched alone, starts a trace of its own.
      const producerTraces = new Set([a, b, c].map((p) => p.traceId));
      await produce(kafkaProducer, topic, [{ key: "order", value: "alone" }]);
      const root = await receiver.waitForSpan(
        (s) => s.name === "deliver kafka" && s.parentSpanId === "",
        30_000,
      );
      const rootAttempt = await receiver.waitForSpan((s) => s.parentSpanId === root.spanId);
      expect(producerTraces.has(root.traceId)).toBe(false);
      expect(root.links).toEqual([]);
      expect(root.attributes).toMatchObject({ "fgconnect.records": 1, "fgconnect.delivered": 1 });
      expect(rootAttempt.traceId).toBe(root.traceId);
      expect(
        emulator.invocations.filter(
          (i) => i.traceparent === `00-${root.traceId}-${rootAttempt.spanId}-01`,
        ),
      ).toHaveLength(1);
    } finally {
      await kafkaProducer.disconnect();
    }

    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    // Two batches of one attempt each: nothing was delivered twice or traced apart.
    expect(receiver.spans.map((s: ReceivedSpan) => s.name).sort()).toEqual([
      "deliver kafka",
      "deliver kafka",
      `invoke ${urn}`,
      `invoke ${urn}`,
    ]);
  }, 120_000);
});
