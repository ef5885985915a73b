/** The KafkaClient on kafkajs: the only file that imports it. */
import { createRequire } from "node:module";
import type { Logger } from "@fgconnect/core";
import type * as Kafkajs from "kafkajs";
import type { ConsumerRunConfig, Kafka, KafkaConfig, SASLOptions } from "kafkajs";
import type { KafkaConnection } from "../options.js";
import { kafkajsLog } from "./log.js";
import { tlsOptions } from "./tls.js";
import type {
  Admin,
  ConsumerEvents,
  ConsumerSettings,
  GroupConsumer,
  KafkaClient,
  Producer,
} from "./types.js";

function tlsConfig(tls: KafkaConnection["tls"]): KafkaConfig["ssl"] {
  return tls === true ? true : tlsOptions(tls);
}

function saslConfig(sasl: KafkaConnection["sasl"]): SASLOptions | undefined {
  if (!sasl) return undefined;
  return {
    mechanism: sasl.mechanism,
    username: sasl.username,
    password: sasl.password,
  } as SASLOptions;
}

/** Workers kafkajs runs batch handlers on; more than any member is likely to be assigned. */
const PARTITIONS_HANDLED_AT_ONCE = 64;

// Loaded on first use: a daemon without a Kafka connector never holds kafkajs in memory.
let loaded: typeof Kafkajs | undefined;
const kafkajs = (): typeof Kafkajs => {
  loaded ??= createRequire(import.meta.url)("kafkajs") as typeof Kafkajs;
  return loaded;
};

/**
 * The consumer reconnects every 2 s at most, for about two minutes, before kafkajs gives up and
 * restarts it. Found again within 2 s of its return, a restarted broker still knows this member
 * (the coordinator restarts each member's session when it loads the group), so the member keeps
 * its partitions with no rebalance. A restarted consumer is a new member instead: the group then
 * waits for the old one's session to expire before it assigns anything.
 */
const CONSUMER_RETRY = {
  initialRetryTime: 300,
  maxRetryTime: 2_000,
  retries: 60,
  // A dead broker must never stop the consumer for good.
  restartOnFailure: async () => true,
};
/** Admin requests (lag, start offsets) and dead-letter sends fail within ~10 s: their callers retry. */
const CLIENT_RETRY = { initialRetryTime: 300, maxRetryTime: 2_000, retries: 6 };

export function createKafkajsClient(connection: KafkaConnection, logger: Logger): KafkaClient {
  const { Kafka, logLevel } = kafkajs();
  const kafka = (retry: KafkaConfig["retry"], onConnectionFailure?: (reason: string) => void) =>
    new Kafka({
      clientId: connection.clientId,
      brokers: connection.brokers,
      ssl: tlsConfig(connection.tls),
      sasl: saslConfig(connection.sasl),
      connectionTimeout: connection.connectionTimeoutMs,
      requestTimeout: connection.requestTimeoutMs,
      retry,
      logLevel: logLevel.WARN,
      // kafkajs log entries carry no credentials.
      logCreator: kafkajsLog(logger, onConnectionFailure),
    });
  let shared: Kafka | undefined;
  const client = () => {
    shared ??= kafka(CLIENT_RETRY);
    return shared;
  };

  return {
    consumer: (settings, events) =>
      groupConsumer(
        kafka(CONSUMER_RETRY, (reason) => events.unreachable(reason)),
        client(),
        settings,
        events,
      ),
    producer: () => producer(client()),
    admin: () => admin(client()),
  };
}

function groupConsumer(
  kafka: Kafka,
  probe: Kafka,
  s: ConsumerSettings,
  events: ConsumerEvents,
): GroupConsumer {
  const consumer = kafka.consumer({
    groupId: s.groupId,
    sessionTimeout: s.sessionTimeoutMs,
    heartbeatInterval: s.heartbeatIntervalMs,
    rebalanceTimeout: s.rebalanceTimeoutMs,
    maxBytesPerPartition: s.maxBytesPerPartition,
    maxBytes: s.maxBytes,
    maxWaitTimeInMs: s.maxWaitMs,
    allowAutoTopicCreation: false,
  });
  const e = consumer.events;
  let stopping = false;
  let runConfig: ConsumerRunConfig | undefined;
  consumer.on(e.GROUP_JOIN, ({ payload }) => events.joined(payload.memberAssignment));
  consumer.on(e.REBALANCING, () => events.rebalancing());
  // Not FETCH: kafkajs emits it after a fetch that failed and was recovered from, too.
  consumer.on(e.HEARTBEAT, () => events.alive());
  consumer.on(e.CRASH, ({ payload }) => {
    // kafkajs restarts itself only after retriable errors; after others ("Failed to find group
    // coordinator" while a broker is down) it stays disconnected for good. Never give up.
    const selfRestart = !payload.restart && !stopping;
    events.crashed(payload.error, payload.restart || selfRestart);
    if (selfRestart) void restart();
  });

  async function restart(): Promise<void> {
    for (let delay = RESTART_MIN_MS; !stopping; delay = Math.min(delay * 2, RESTART_MAX_MS)) {
      await new Promise((r) => setTimeout(r, delay));
      if (stopping || !runConfig) return;
      try {
        await consumer.connect();
        await consumer.run(runConfig);
        return;
      } catch (error) {
        events.crashed(error as Error, true);
      }
    }
  }

  return {
    async start(onBatch) {
      runConfig = {
        // Batches of different partitions are handled side by side: one partition held for
        // backpressure (the source's pauseKey) must not hold up the others of the fetch.
        partitionsConsumedConcurrently: PARTITIONS_HANDLED_AT_ONCE,
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: ({ batch, resolveOffset, heartbeat, isRunning, isStale }) =>
          onBatch(
            {
              topic: batch.topic,
              partition: batch.partition,
              messages: batch.messages,
              lastOffset: batch.lastOffset(),
            },
            { resolveOffset, heartbeat, isRunning, isStale },
          ),
      };
      // The consumer would keep reconnecting for minutes: fail a start soon instead.
      const a = probe.admin();
      await a.connect();
      await a.disconnect();
      await consumer.connect();
      await consumer.subscribe({ topics: s.topics, fromBeginning: s.fromBeginning });
      await consumer.run(runConfig);
    },
    commit: (offsets) =>
      consumer.commitOffsets(offsets.map((o) => ({ ...o }))).catch((error: unknown) => {
        throw kafkaError(error);
      }),
    async coordinatorAnswers(cancelled) {
      const a = probe.admin();
      try {
        while (!cancelled() && !stopping) {
          try {
            await a.connect();
            await a.describeGroups([s.groupId]);
            return;
          } catch {
            await new Promise((r) => setTimeout(r, COORDINATOR_POLL_MS));
          }
        }
      } finally {
        await a.disconnect().catch(() => {});
      }
    },
    stop: () => {
      stopping = true;
      return consumer.disconnect();
    },
  };
}

/**
 * The Kafka error under kafkajs's retry wrappers, which carry no error code: thrown back from a
 * batch, it tells kafkajs to rejoin, where the wrapper would crash the consumer.
 */
function kafkaError(error: unknown): unknown {
  let e = error as { type?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++, e = e.cause as typeof e)
    if (typeof e.type === "string") return e;
  return error;
}

const RESTART_MIN_MS = 500;
const COORDINATOR_POLL_MS = 500;
const RESTART_MAX_MS = 10_000;

function producer(kafka: Kafka): Producer {
  const p = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
  let connected: Promise<void> | undefined;
  const ready = () => {
    connected ??= p.connect().catch((error: unknown) => {
      connected = undefined;
      throw error;
    });
    return connected;
  };
  return {
    connect: ready,
    async send(topic, messages) {
      await ready();
      await p.send({ topic, acks: -1, messages: messages.map((m) => ({ ...m })) });
    },
    async stop() {
      if (connected) await p.disconnect();
    },
  };
}

function admin(kafka: Kafka): Admin {
  const a = kafka.admin();
  let connected: Promise<void> | undefined;
  const ready = () => {
    connected ??= a.connect().catch((error: unknown) => {
      connected = undefined;
      throw error;
    });
    return connected;
  };
  return {
    async topicOffsets(topic) {
      await ready();
      return (await a.fetchTopicOffsets(topic)).map(({ partition, high, low }) => ({
        partition,
        high,
        low,
      }));
    },
    async offsetsAt(topic, timestamp) {
      await ready();
      return a.fetchTopicOffsetsByTimestamp(topic, timestamp);
    },
    async committed(groupId, topics) {
      await ready();
      const list = await a.fetchOffsets({ groupId, topics: [...topics] });
      return list.flatMap((t) =>
        t.partitions.map((p) => ({
          topic: t.topic,
          partition: p.partition,
          offset: p.offset,
          metadata: p.metadata,
        })),
      );
    },
    async resetToEarliest(groupId, topic) {
      await ready();
      await a.resetOffsets({ groupId, topic, earliest: true });
    },
    async listTopics() {
      await ready();
      return a.listTopics();
    },
    async stop() {
      if (connected) await a.disconnect();
    },
  };
}
