/**
 * Reads a connector's dead-letter topic back for `fgconnect dlq`. A replay reads as the member
 * of one consumer group per topic (`fgconnect-dlq-replay.<topic>`) and marks what it replayed
 * in that group's commits (see dead-letter-marks.ts); listing reads with a throwaway group and
 * commits nothing. Either reads up to the end the topic had when the read began.
 */

import { isUtf8 } from "node:buffer";
import { randomUUID } from "node:crypto";
import {
  type DeadLetterEntry,
  type DeadLetterReader,
  type DeadLetterReaderContext,
  type DeadLetterReadOptions,
  parseDeadLetterEntry,
  reviveRecord,
  type StoredDeadLetter,
} from "@fgconnect/core";
import { createKafkajsClient } from "./client/kafkajs.js";
import type { BatchControl, FetchedBatch, KafkaClient } from "./client/types.js";
import { DEAD_LETTER_HEADERS, DeadLetterTopic, requireTopic } from "./dead-letter.js";
import { PartitionMarks } from "./dead-letter-marks.js";
import { deadLetterConnection, type ResolvedKafkaOptions } from "./options.js";
import type { KafkaRecord, RawMessage } from "./record.js";
import type { ClientFactory } from "./source.js";

/** The group whose commits mark what was replayed from `topic`. */
export function replayGroupOf(topic: string): string {
  return `fgconnect-dlq-replay.${topic}`;
}

/** Read-ahead bound: the reader waits (heartbeating) while this many are not yet taken. */
const READ_AHEAD = 500;

function header(message: RawMessage, name: string): string | undefined {
  const v = message.headers?.[name];
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  return last === undefined ? undefined : last.toString();
}

/** The entry a dead-letter message holds: its entry header and its value, or its value alone. */
export function entryOfMessage(message: RawMessage): DeadLetterEntry | undefined {
  const meta = header(message, DEAD_LETTER_HEADERS.entry);
  if (meta === undefined)
    return message.value ? parseDeadLetterEntry(message.value.toString()) : undefined;
  const entry = parseDeadLetterEntry(meta);
  if (!entry) return undefined;
  const value = message.value;
  const body =
    value === null
      ? { bodyEncoding: "json" as const, body: null }
      : isUtf8(value)
        ? { bodyEncoding: "utf8" as const, body: value.toString("utf8") }
        : { bodyEncoding: "base64" as const, body: value.toString("base64") };
  return { ...entry, record: { ...entry.record, ...body } };
}

/** A Kafka record back from its entry, for a replay through the Kafka payload formats. */
export function reviveKafkaRecord(entry: DeadLetterEntry): KafkaRecord {
  const plain = reviveRecord(entry);
  const body = Buffer.isBuffer(plain.body) ? plain.body : null;
  return {
    ...plain,
    attributes: plain.attributes as KafkaRecord["attributes"],
    body,
    bodyIsUtf8: body === null || isUtf8(body),
  };
}

/** Hands batches from the consumer to the reading loop, one message at a time. */
class Channel<T> {
  readonly items: T[] = [];
  ended = false;
  error: unknown;
  readonly #waiters: (() => void)[] = [];

  push(item: T): void {
    this.items.push(item);
    this.#notify();
  }

  take(): T | undefined {
    const item = this.items.shift();
    this.#notify();
    return item;
  }

  end(error?: unknown): void {
    this.ended = true;
    this.error ??= error;
    this.#notify();
  }

  #notify(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

export function kafkaDeadLetterReader(
  name: string,
  options: ResolvedKafkaOptions,
  context: DeadLetterReaderContext,
  clientFactory: ClientFactory = createKafkajsClient,
): DeadLetterReader | undefined {
  const dlq = options.deadLetter;
  if (!dlq) return undefined;
  const connection = deadLetterConnection(options, dlq);
  const topic = dlq.topic;
  let client: KafkaClient | undefined;
  const clientOf = () => {
    client ??= clientFactory(connection, context.logger);
    return client;
  };
  const topicSink = new DeadLetterTopic(topic);
  let opened: Promise<void> | undefined;
  const closers: (() => Promise<void>)[] = [];

  async function* read(o: DeadLetterReadOptions): AsyncGenerator<StoredDeadLetter> {
    const c = clientOf();
    await requireTopic(c, topic);
    const admin = c.admin();
    const group = replayGroupOf(topic);
    let ends: Map<number, { low: number; high: number }>;
    /** What was replayed before the read (shown as replayed). */
    let marks: Map<number, PartitionMarks>;
    /** What this replay records; starts afresh with --all. */
    let commits: Map<number, PartitionMarks>;
    try {
      ends = new Map(
        (await admin.topicOffsets(topic)).map((p) => [
          p.partition,
          { low: Number(p.low), high: Number(p.high) },
        ]),
      );
      const committed = await admin.committed(group, [topic]);
      const marksOf = () =>
        new Map(
          [...ends.keys()].map((p) => {
            const at = committed.find((x) => x.partition === p);
            return [p, new PartitionMarks(p, Number(at?.offset ?? -1), at?.metadata)];
          }),
        );
      marks = marksOf();
      if (o.replay && o.all) {
        await admin.resetToEarliest(group, topic);
        committed.length = 0;
      }
      commits = o.all ? marksOf() : marks;
    } finally {
      await admin.stop().catch(() => {});
    }
    const start = (p: number) =>
      o.replay && !o.all ? Math.max(commits.get(p)!.committed, ends.get(p)!.low) : ends.get(p)!.low;
    const pending = new Set([...ends.keys()].filter((p) => start(p) < ends.get(p)!.high));
    if (pending.size === 0) return;

    const channel = new Channel<StoredDeadLetter>();
    const consumer = c.consumer(
      {
        groupId: o.replay ? group : `fgconnect-dlq-read-${randomUUID()}`,
        topics: [topic],
        fromBeginning: true,
        sessionTimeoutMs: 30_000,
        heartbeatIntervalMs: 3_000,
        rebalanceTimeoutMs: 60_000,
        maxBytesPerPartition: 1024 * 1024,
        maxBytes: 8 * 1024 * 1024,
        maxWaitMs: 200,
      },
      {
        joined: () => {},
        rebalancing: () => {},
        alive: () => {},
        unreachable: (reason) => context.logger.warn({ topic, reason }, "Kafka unreachable"),
        crashed: (error) =>
          context.logger.warn({ topic, err: error.message }, "dead-letter reader failed"),
      },
    );
    closers.push(() => consumer.stop());

    let committing: Promise<void> | undefined;
    let dirty = false;
    /** One commit at a time, covering every mark made before it started. */
    async function commitMarks(): Promise<void> {
      dirty = true;
      while (committing) await committing;
      if (!dirty) return;
      dirty = false;
      const offsets = [...commits.values()].map((m) => ({
        topic,
        partition: m.partition,
        ...m.commit(),
      }));
      committing = consumer.commit(offsets).finally(() => {
        committing = undefined;
      });
      await committing;
    }

    const onBatch = async (batch: FetchedBatch, control: BatchControl) => {
      const p = batch.partition;
      const end = ends.get(p)!.high;
      for (const message of batch.messages) {
        if (!control.isRunning() || control.isStale()) return;
        const offset = Number(message.offset);
        control.resolveOffset(message.offset);
        if (offset >= end) continue;
        commits.get(p)!.read(offset);
        const entry = entryOfMessage(message);
        if (entry) {
          channel.push({
            entry,
            replayed: marks.get(p)!.isReplayed(offset),
            markReplayed: async () => {
              if (!o.replay) throw new Error("dead letters are marked only during a replay");
              commits.get(p)!.mark(offset);
              await commitMarks();
            },
          });
        }
        while (channel.items.length >= READ_AHEAD && control.isRunning()) {
          await Promise.race([channel.changed(), new Promise((r) => setTimeout(r, 1_000))]);
          await control.heartbeat().catch(() => {});
        }
      }
      if (Number(batch.lastOffset) >= end - 1 && pending.delete(p) && pending.size === 0)
        channel.end();
    };
    consumer.start(onBatch).catch((error: unknown) => channel.end(error));

    while (true) {
      if (channel.items.length > 0) {
        yield channel.take()!;
        continue;
      }
      if (channel.ended) break;
      await channel.changed();
    }
    if (channel.error) throw channel.error;
  }

  return {
    location: `Kafka topic ${topic} (${connection.brokers.join(",")}) of connector ${name}`,
    sink: {
      async write(entry, record) {
        opened ??= topicSink.open(clientOf()).catch((error: unknown) => {
          opened = undefined;
          throw error;
        });
        await opened;
        await topicSink.write(entry, record);
      },
    },
    read,
    async close() {
      for (const close of closers.splice(0)) await close().catch(() => {});
      await topicSink.close();
    },
  };
}
