/**
 * The KafkaClient on @platformatic/kafka (Node >= 22.22): with kafkajs.ts, the only files that
 * use a client library. The library is imported on first use, so a daemon on kafkajs never loads it.
 */
import type { Logger } from "@fgconnect/core";
import type { KafkaConnection } from "../options.js";
import { platformaticConsumer } from "./platformatic-consumer.js";
import { baseOptions, producedMessage, withType } from "./platformatic-mapping.js";
import type { Admin, KafkaClient, PartitionOffsets, Producer } from "./types.js";

type Library = typeof import("@platformatic/kafka");
type BufferProducer = import("@platformatic/kafka").Producer<Buffer, Buffer, Buffer, Buffer>;
type BufferAdmin = import("@platformatic/kafka").Admin;

let loaded: Promise<Library> | undefined;
const load = (): Promise<Library> => {
  loaded ??= import("@platformatic/kafka");
  return loaded;
};

/** Admin requests and dead-letter sends fail within ~10 s: their callers retry. */
const CLIENT_RETRY = { retries: 6, retryDelay: 1_000 };

export function createPlatformaticClient(
  connection: KafkaConnection,
  _logger: Logger,
): KafkaClient {
  return {
    consumer: (settings, events) => platformaticConsumer(load, connection, settings, events),
    producer: () => producer(connection),
    admin: () => admin(connection),
  };
}

/** Rethrows the library's error with its Kafka code as `type`. */
async function typed<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw withType(error);
  }
}

function producer(connection: KafkaConnection): Producer {
  let made: Promise<BufferProducer> | undefined;
  const ready = (): Promise<BufferProducer> =>
    (made ??= load().then(async ({ Producer }) => {
      const p = new Producer<Buffer, Buffer, Buffer, Buffer>({
        ...baseOptions(connection),
        ...CLIENT_RETRY,
        idempotent: false,
      });
      // Connects now: the first send would otherwise find an unreachable broker late.
      await p.metadata({ topics: [] }).catch(async (error: unknown) => {
        made = undefined;
        await p.close().catch(() => {});
        throw withType(error);
      });
      return p;
    }));
  return {
    connect: async () => {
      await ready();
    },
    async send(topic, messages) {
      const p = await ready();
      await typed(p.send({ messages: messages.map((m) => producedMessage(topic, m)), acks: -1 }));
    },
    async stop() {
      if (made) await (await made.catch(() => undefined))?.close();
    },
  };
}

function admin(connection: KafkaConnection): Admin {
  let made: Promise<BufferAdmin> | undefined;
  const ready = (): Promise<BufferAdmin> =>
    (made ??= load().then(
      ({ Admin }) => new Admin({ ...baseOptions(connection), ...CLIENT_RETRY }),
    ));
  /** Offsets of every partition of `topic` at `timestamp` (-1: the end, -2: the start). */
  async function listOffsets(topic: string, timestamp: bigint) {
    const a = await ready();
    const metadata = await typed(a.metadata({ topics: [topic] }));
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    const partitions = Array.from({ length: count }, (_, partitionIndex) => ({
      partitionIndex,
      timestamp,
    }));
    const [listed] = await typed(a.listOffsets({ topics: [{ name: topic, partitions }] }));
    return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
  }
  return {
    async topicOffsets(topic) {
      const [high, low] = await Promise.all([listOffsets(topic, -1n), listOffsets(topic, -2n)]);
      const out: PartitionOffsets[] = [];
      for (const [partition, h] of high)
        out.push({ partition, high: h.toString(), low: (low.get(partition) ?? 0n).toString() });
      return out.sort((a, b) => a.partition - b.partition);
    },
    async offsetsAt(topic, timestamp) {
      const [at, high] = await Promise.all([
        listOffsets(topic, BigInt(timestamp)),
        listOffsets(topic, -1n),
      ]);
      // No record at or after the timestamp: Kafka answers -1; the connector wants the end.
      return [...at].map(([partition, offset]) => ({
        partition,
        offset: (offset < 0n ? (high.get(partition) ?? 0n) : offset).toString(),
      }));
    },
    async committed(groupId, topics) {
      const a = await ready();
      const [group] = await typed(a.listConsumerGroupOffsets({ groups: [groupId] }));
      const wanted = new Set(topics);
      return (group?.topics ?? [])
        .filter((t) => wanted.has(t.name))
        .flatMap((t) =>
          t.partitions.map((p) => ({
            topic: t.name,
            partition: p.partitionIndex,
            offset: p.committedOffset.toString(),
          })),
        );
    },
    async resetToEarliest(groupId, topic) {
      const low = await listOffsets(topic, -2n);
      const a = await ready();
      const partitionOffsets = [...low].map(([partition, offset]) => ({ partition, offset }));
      await typed(
        a.alterConsumerGroupOffsets({ groupId, topics: [{ name: topic, partitionOffsets }] }),
      );
    },
    async listTopics() {
      const a = await ready();
      return typed(a.listTopics());
    },
    async stop() {
      if (made) await (await made.catch(() => undefined))?.close();
    },
  };
}
