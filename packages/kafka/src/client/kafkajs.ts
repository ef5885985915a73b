/** The KafkaClient on kafkajs: the only file that imports it. */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ConnectionOptions } from "node:tls";
import type { Logger } from "@fgconnect/core";
import type * as Kafkajs from "kafkajs";
import type { ConsumerRunConfig, Kafka, KafkaConfig, SASLOptions } from "kafkajs";
import type { KafkaConnection } from "../options.js";
import type {
  Admin,
  ConsumerEvents,
  ConsumerSettings,
  GroupConsumer,
  KafkaClient,
  Producer,
} from "./types.js";

function tlsConfig(tls: KafkaConnection["tls"]): KafkaConfig["ssl"] {
  if (tls === undefined || tls === false) return undefined;
  if (tls === true) return true;
  const read = (text: string | undefined, file: string | undefined) =>
    text ?? (file ? readFileSync(file, "utf8") : undefined);
  const out: ConnectionOptions = { rejectUnauthorized: tls.rejectUnauthorized };
  const ca = read(tls.ca, tls.caFile);
  const cert = read(tls.cert, tls.certFile);
  const key = read(tls.key, tls.keyFile);
  if (ca) out.ca = [ca];
  if (cert) out.cert = cert;
  if (key) out.key = key;
  if (tls.servername) out.servername = tls.servername;
  return out;
}

function saslConfig(sasl: KafkaConnection["sasl"]): SASLOptions | undefined {
  if (!sasl) return undefined;
  return {
    mechanism: sasl.mechanism,
    username: sasl.username,
    password: sasl.password,
  } as SASLOptions;
}

// Loaded on first use: a daemon without a Kafka connector never holds kafkajs in memory.
let loaded: typeof Kafkajs | undefined;
const kafkajs = (): typeof Kafkajs => {
  loaded ??= createRequire(import.meta.url)("kafkajs") as typeof Kafkajs;
  return loaded;
};

// kafkajs's logLevel values: ERROR 1, WARN 2, INFO 4, DEBUG 5.
const LEVELS: Record<number, "error" | "warn" | "info" | "debug"> = {
  1: "error",
  2: "warn",
  4: "info",
  5: "debug",
};

export function createKafkajsClient(connection: KafkaConnection, logger: Logger): KafkaClient {
  const { Kafka, logLevel } = kafkajs();
  const kafka = new Kafka({
    clientId: connection.clientId,
    brokers: connection.brokers,
    ssl: tlsConfig(connection.tls),
    sasl: saslConfig(connection.sasl),
    connectionTimeout: connection.connectionTimeoutMs,
    requestTimeout: connection.requestTimeoutMs,
    // Reconnect for as long as it takes: a dead broker must never stop the daemon for good.
    retry: {
      retries: 8,
      initialRetryTime: 300,
      maxRetryTime: 10_000,
      restartOnFailure: async () => true,
    },
    logLevel: logLevel.WARN,
    // kafkajs log entries carry no credentials; warnings and errors go to our logger.
    logCreator: () => (entry) => {
      const level = LEVELS[entry.level] ?? "debug";
      const { message, ...rest } = entry.log;
      logger[level]({ kafka: entry.namespace, ...rest }, message);
    },
  });

  return {
    consumer: (settings, events) => groupConsumer(kafka, settings, events),
    producer: () => producer(kafka),
    admin: () => admin(kafka),
  };
}

function groupConsumer(kafka: Kafka, s: ConsumerSettings, events: ConsumerEvents): GroupConsumer {
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
  consumer.on(e.FETCH, () => events.alive());
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
      await consumer.connect();
      await consumer.subscribe({ topics: s.topics, fromBeginning: s.fromBeginning });
      await consumer.run(runConfig);
    },
    commit: (offsets) => consumer.commitOffsets(offsets.map((o) => ({ ...o }))),
    stop: () => {
      stopping = true;
      return consumer.disconnect();
    },
  };
}

const RESTART_MIN_MS = 500;
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
        t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })),
      );
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
