/**
 * The Kafka test harness: a real broker per test run (see kafka/broker.ts), what tests need to
 * reach it, and small helpers to produce, read and manage topics with kafkajs.
 */
import { Kafka, logLevel, type Producer, type ProducerConfig } from "kafkajs";
import type { BrokerInfo } from "./kafka/broker.js";

export { type BrokerInfo, KafkaBroker, type SaslUser } from "./kafka/broker.js";
export { controlBroker, serveControl } from "./kafka/control.js";

/** The Kafka version the main suite runs against; KAFKA_VERSION picks another. */
export const MAIN_KAFKA_VERSION = "3.9.2";
/** The current 4.x resolvable from Maven Central (4.4.0 is listed but its kafka-tools-api jar is missing). */
export const COMPAT_KAFKA_VERSION = "4.3.1";

export interface KafkaTestEnv {
  broker: BrokerInfo;
  /** POST /stop or /start here to stop or restart the broker. */
  controlUrl: string;
}

/**
 * A kafkajs client on the PLAINTEXT listener, quiet unless something breaks. Its producers are
 * idempotent (one request in flight, as kafkajs requires for that): a produce retry after a lost
 * acknowledgement must not store a record twice, or the tests' exact counts would break.
 */
export function testKafka(broker: BrokerInfo, clientId = "fgconnect-test"): Kafka {
  const kafka = new Kafka({
    clientId,
    brokers: [broker.plaintext],
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 100 },
  });
  const producer = kafka.producer.bind(kafka);
  kafka.producer = (config?: ProducerConfig) =>
    producer({ idempotent: true, maxInFlightRequests: 1, ...config });
  return kafka;
}

export async function createTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

export interface TestMessage {
  key: string | null;
  value: string | Buffer | null;
  headers?: Record<string, string>;
  partition?: number;
}

/** Produces `messages` in chunks (acks all), preserving their order per partition. */
export async function produce(
  producer: Producer,
  topic: string,
  messages: TestMessage[],
  chunk = 1000,
): Promise<void> {
  for (let i = 0; i < messages.length; i += chunk) {
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + chunk) });
  }
}

/** `n` messages `<prefix>-<i>` keyed `k<i % keys>`, spread over partitions by key. */
export function numbered(prefix: string, n: number, keys = 16): TestMessage[] {
  return Array.from({ length: n }, (_, i) => ({ key: `k${i % keys}`, value: `${prefix}-${i}` }));
}

/** Committed offsets of a group per partition ("-1" when none). */
export async function committedOffsets(
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<Record<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((entry?.partitions ?? []).map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

/** High watermarks of a topic per partition. */
export async function endOffsets(kafka: Kafka, topic: string): Promise<Record<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return Object.fromEntries(offsets.map((p) => [p.partition, p.high]));
  } finally {
    await admin.disconnect();
  }
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
