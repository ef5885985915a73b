/**
 * A dead-letter sink that writes to a Kafka topic: the original key, value and headers, plus
 * headers saying why (reason, error, attempts) and where it came from (topic, partition,
 * offset), and the entry itself without its body (`fgconnect-dlq-entry`, JSON) so that
 * `fgconnect dlq` reads it back whole. Records from other sources (no Kafka attributes) are
 * written as the JSON entry.
 */
import type { DeadLetterEntry, DeadLetterSink, Logger, SourceRecord } from "@fgconnect/core";
import { FgconnectError, silentLogger } from "@fgconnect/core";
import { z } from "zod";
import { createKafkajsClient } from "./client/kafkajs.js";
import type { KafkaClient, ProducedMessage, Producer } from "./client/types.js";
import { connectionSchema } from "./options.js";
import type { KafkaAttributes } from "./record.js";

export const kafkaDeadLetterOptionsSchema = connectionSchema
  .extend({
    topic: z.string().min(1).describe("Topic the dead letters are produced to (it must exist)."),
  })
  .strict();

export type KafkaDeadLetterOptions = z.input<typeof kafkaDeadLetterOptionsSchema>;

/** Header names added to every dead letter. */
export const DEAD_LETTER_HEADERS = {
  /** The entry as JSON without its body (the message's value is the body). */
  entry: "fgconnect-dlq-entry",
  id: "fgconnect-dlq-id",
  replayOf: "fgconnect-dlq-replay-of",
  reason: "fgconnect-dlq-reason",
  errorCode: "fgconnect-dlq-error-code",
  errorMessage: "fgconnect-dlq-error-message",
  attempts: "fgconnect-dlq-attempts",
  route: "fgconnect-dlq-route",
  function: "fgconnect-dlq-function",
  deadLetteredAt: "fgconnect-dlq-dead-lettered-at",
  topic: "fgconnect-dlq-original-topic",
  partition: "fgconnect-dlq-original-partition",
  offset: "fgconnect-dlq-original-offset",
  source: "fgconnect-dlq-source",
} as const;

function bytes(text: string, encoding: string | undefined): Buffer {
  return Buffer.from(text, encoding === "base64" ? "base64" : "utf8");
}

/** A record read from Kafka: its value is the message's bytes (or null), never JSON. */
function fromKafka(record: SourceRecord): record is SourceRecord & {
  attributes: KafkaAttributes;
  body: Buffer | null;
} {
  const a = record.attributes;
  return (
    typeof a.topic === "string" &&
    typeof a.offset === "string" &&
    (record.body === null || Buffer.isBuffer(record.body))
  );
}

/** The Kafka message a dead letter becomes (pure): the record's own bytes when it came from Kafka. */
export function deadLetterMessage(entry: DeadLetterEntry, record: SourceRecord): ProducedMessage {
  const headers: Record<string, Buffer> = {};
  let key: Buffer | null = null;
  let value: Buffer | null;
  if (fromKafka(record)) {
    const a = record.attributes;
    for (const [name, text] of Object.entries(a.headers))
      headers[name] = bytes(text, a.headerEncodings[name]);
    key = a.key === null ? null : bytes(a.key, a.keyEncoding);
    value = record.body;
    const { body: _body, bodyEncoding: _encoding, ...withoutBody } = entry.record;
    headers[DEAD_LETTER_HEADERS.entry] = Buffer.from(
      JSON.stringify({ ...entry, record: withoutBody }),
    );
    headers[DEAD_LETTER_HEADERS.topic] = Buffer.from(a.topic);
    headers[DEAD_LETTER_HEADERS.partition] = Buffer.from(String(a.partition));
    headers[DEAD_LETTER_HEADERS.offset] = Buffer.from(a.offset);
  } else {
    value = Buffer.from(JSON.stringify(entry));
  }
  const set = (name: string, v: string | number | undefined) => {
    if (v !== undefined) headers[name] = Buffer.from(String(v));
  };
  set(DEAD_LETTER_HEADERS.id, entry.id);
  set(DEAD_LETTER_HEADERS.replayOf, entry.replayOf);
  set(DEAD_LETTER_HEADERS.reason, entry.reason);
  set(DEAD_LETTER_HEADERS.errorCode, entry.error?.code);
  set(DEAD_LETTER_HEADERS.errorMessage, entry.error?.message);
  set(DEAD_LETTER_HEADERS.attempts, entry.attempts);
  set(DEAD_LETTER_HEADERS.route, entry.route);
  set(DEAD_LETTER_HEADERS.function, entry.target);
  set(DEAD_LETTER_HEADERS.deadLetteredAt, entry.deadLetteredAt);
  set(DEAD_LETTER_HEADERS.source, entry.record.source);
  return { key, value, headers };
}

/**
 * A connector's own dead-letter topic (the `deadLetter` option): the engine writes that
 * connector's dead letters here. The connector opens it in start() and closes it in stop().
 */
export class DeadLetterTopic implements DeadLetterSink {
  #producer?: Producer;

  constructor(readonly topic: string) {}

  /** Connects the producer and checks that the topic exists. */
  async open(client: KafkaClient): Promise<void> {
    await requireTopic(client, this.topic);
    const producer = client.producer();
    await producer.connect();
    this.#producer = producer;
  }

  async write(entry: DeadLetterEntry, record: SourceRecord): Promise<void> {
    if (!this.#producer) {
      throw new DeadLetterTopicError(
        `dead-letter topic "${this.topic}" is not open: the connector is not running`,
        "Start the Kafka connector before writing dead letters to its topic.",
      );
    }
    await this.#producer.send(this.topic, [deadLetterMessage(entry, record)]);
  }

  async close(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    await producer?.stop();
  }
}

/** Refuses a topic that does not exist: dead letters never go to an auto-created topic. */
export async function requireTopic(client: KafkaClient, topic: string): Promise<void> {
  const admin = client.admin();
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) {
      throw new DeadLetterTopicError(
        `deadLetter.topic: topic "${topic}" does not exist`,
        "Create the topic: dead letters are never produced to an auto-created topic.",
      );
    }
  } finally {
    await admin.stop().catch(() => {});
  }
}

export class DeadLetterTopicError extends FgconnectError {
  readonly code = "KAFKA_DEAD_LETTER_TOPIC";
  readonly retryable = true;
}

/**
 * A DeadLetterSink producing to a topic (acks from all in-sync replicas before it resolves).
 * Pass it as the engine's `deadLetter`.
 */
export function createKafkaDeadLetterSink(
  options: KafkaDeadLetterOptions,
  logger: Logger = silentLogger,
): Required<DeadLetterSink> {
  const o = kafkaDeadLetterOptionsSchema.parse(options);
  const producer: Producer = createKafkajsClient(o, logger).producer();
  return {
    write: (entry, record) => producer.send(o.topic, [deadLetterMessage(entry, record)]),
    close: () => producer.stop(),
  };
}
