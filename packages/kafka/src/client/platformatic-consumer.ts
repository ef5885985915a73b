/**
 * The group consumer on @platformatic/kafka. The library streams messages one by one and keeps
 * the group itself (heartbeats on a timer, rejoins when the group asks); this turns the stream
 * back into batches per partition, each handled by its own loop, so one partition held for
 * backpressure does not hold the others.
 *
 * How the batch controls map (see README "Kafka clients"):
 * - holding a batch keeps the membership: heartbeats do not wait for the handler;
 * - heartbeat() fails with REBALANCE_IN_PROGRESS once the library saw the group rebalance during
 *   the batch; the library rejoins by itself meanwhile, so the connector's drain races the join
 *   (commits of the old generation are accepted until it completes);
 * - isStale() is true once the member joined again since the batch was read: after a join the
 *   stream fetches again from the group's commit, and older messages are dropped here;
 * - resolveOffset() has nothing to do: the stream owns the fetch position.
 */
import type { Consumer, Message, MessagesStream } from "@platformatic/kafka";
import type { KafkaConnection } from "../options.js";
import {
  assignmentOf,
  baseOptions,
  kafkaErrorType,
  rawMessage,
  withType,
} from "./platformatic-mapping.js";
import type {
  BatchControl,
  ConsumerEvents,
  ConsumerSettings,
  FetchedBatch,
  GroupConsumer,
} from "./types.js";
import { groupErrorAction } from "./types.js";

type Library = typeof import("@platformatic/kafka");

interface Queue {
  topic: string;
  partition: number;
  messages: Message[];
  running: boolean;
}

const RESTART_MS = 1_000;
const COORDINATOR_POLL_MS = 500;

export function platformaticConsumer(
  load: () => Promise<Library>,
  connection: KafkaConnection,
  s: ConsumerSettings,
  events: ConsumerEvents,
): GroupConsumer {
  let consumer: Consumer | undefined;
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  let onBatch: ((batch: FetchedBatch, control: BatchControl) => Promise<void>) | undefined;
  let stopping = false;
  /** Joins so far: a batch read before the last join is stale. */
  let joins = 0;
  /** The join during which the library last saw the group rebalance. */
  let rebalancedAt = -1;
  const queues = new Map<string, Queue>();
  /** Bytes read and not yet handed to the connector: the stream pauses above fetch.maxBytes. */
  let queuedBytes = 0;

  const size = (m: Message) => (m.value?.length ?? 0) + (m.key?.length ?? 0);

  function take(q: Queue): Message[] {
    const messages = q.messages.splice(0);
    for (const m of messages) queuedBytes -= size(m);
    if (queuedBytes <= s.maxBytes && stream?.isPaused() && !stopping) stream.resume();
    return messages;
  }

  /** Drops what was read and not handed over (the stream fetches it again after a join). */
  function dropQueued(): void {
    for (const q of queues.values()) take(q);
  }

  async function drain(q: Queue): Promise<void> {
    try {
      while (q.messages.length > 0 && !stopping) {
        const generation = joins;
        const messages = take(q);
        const batch: FetchedBatch = {
          topic: q.topic,
          partition: q.partition,
          messages: messages.map(rawMessage),
          lastOffset: messages[messages.length - 1]!.offset.toString(),
        };
        try {
          await onBatch!(batch, control(generation));
        } catch (error) {
          handBack(error, generation);
        }
      }
    } finally {
      q.running = false;
    }
  }

  function control(generation: number): BatchControl {
    return {
      isRunning: () => !stopping,
      isStale: () => joins !== generation,
      resolveOffset: () => {},
      heartbeat: async () => {
        if (rebalancedAt === generation && joins === generation)
          throw Object.assign(new Error("The group is rebalancing."), {
            type: "REBALANCE_IN_PROGRESS",
          });
      },
    };
  }

  /**
   * A batch handed back: the connector asks to rejoin (a group error), or failed. Either way the
   * member joins again, which makes the stream fetch again from the group's commit, so nothing
   * that was not pushed is skipped.
   */
  function handBack(error: unknown, generation: number): void {
    if (stopping || joins !== generation) return;
    if (error !== undefined && !groupErrorAction(error)) events.crashed(error as Error, true);
    dropQueued();
    consumer?.joinGroup().catch((e: unknown) => events.crashed(withType(e) as Error, true));
  }

  function onMessage(message: Message): void {
    // Read before the last join: the stream fetches it again from the group's commit.
    if (
      message.metadata.consumer &&
      (message.metadata.consumer as { generationId?: number }).generationId !==
        consumer!.generationId
    )
      return;
    const key = `${message.topic}/${message.partition}`;
    let q = queues.get(key);
    if (!q) {
      q = { topic: message.topic, partition: message.partition, messages: [], running: false };
      queues.set(key, q);
    }
    q.messages.push(message);
    queuedBytes += size(message);
    if (queuedBytes > s.maxBytes) stream!.pause();
    if (!q.running) {
      q.running = true;
      // The stream emits a fetch's messages one after another: the batch takes them all.
      setImmediate(() => void drain(q));
    }
  }

  async function openStream(): Promise<void> {
    const topics = await resolveTopics();
    stream = await consumer!.consume({
      topics,
      mode: "committed",
      fallbackMode: s.fromBeginning ? "earliest" : "latest",
      autocommit: false,
      sessionTimeout: s.sessionTimeoutMs,
      heartbeatInterval: s.heartbeatIntervalMs,
      rebalanceTimeout: s.rebalanceTimeoutMs,
      maxBytes: s.maxBytes,
      maxBytesPerPartition: s.maxBytesPerPartition,
      maxWaitTime: s.maxWaitMs,
    });
    stream.on("data", onMessage);
    stream.on("error", (error: Error) => {
      if (stopping) return;
      events.crashed(withType(error) as Error, true);
      void restart();
    });
  }

  async function restart(): Promise<void> {
    dropQueued();
    while (!stopping) {
      await new Promise((r) => setTimeout(r, RESTART_MS));
      try {
        await stream?.close().catch(() => {});
        if (!stopping) await openStream();
        return;
      } catch (error) {
        events.crashed(withType(error) as Error, true);
      }
    }
  }

  /** Regular expressions match the topics that exist at start (the library takes names only). */
  async function resolveTopics(): Promise<string[]> {
    const names = s.topics.filter((t): t is string => typeof t === "string");
    const patterns = s.topics.filter((t): t is RegExp => t instanceof RegExp);
    if (patterns.length === 0) return names;
    const { Admin } = await load();
    const admin = new Admin(baseOptions(connection));
    const existing = await admin.listTopics().finally(() => admin.close().catch(() => {}));
    return [...new Set([...names, ...existing.filter((t) => patterns.some((p) => p.test(t)))])];
  }

  return {
    async start(handler) {
      onBatch = handler;
      const { Consumer } = await load();
      consumer = new Consumer({
        ...baseOptions(connection),
        groupId: s.groupId,
        sessionTimeout: s.sessionTimeoutMs,
        heartbeatInterval: s.heartbeatIntervalMs,
        rebalanceTimeout: s.rebalanceTimeoutMs,
        autocommit: false,
        // A broker away for a while must not stop the consumer for good.
        retries: 120,
        retryDelay: 1_000,
      });
      consumer.on("consumer:group:join", (payload) => {
        joins++;
        // Read before the join: the stream fetches again from the group's commit.
        dropQueued();
        events.joined(assignmentOf(payload.assignments ?? consumer!.assignments));
      });
      consumer.on("consumer:group:rebalance", () => {
        rebalancedAt = joins;
        events.rebalancing();
      });
      consumer.on("consumer:heartbeat:end", () => events.alive());
      consumer.on("consumer:heartbeat:error", ({ error }) => {
        if (kafkaErrorType(error) === "REBALANCE_IN_PROGRESS") rebalancedAt = joins;
      });
      consumer.on("client:broker:failed", ({ broker }) =>
        events.unreachable(`${broker.host}:${broker.port} unreachable`),
      );
      // Fails the start soon when no broker answers (the consumer itself retries for minutes).
      await consumer.metadata({ topics: [], retries: 2 }).catch((error: unknown) => {
        void consumer!.close(true).catch(() => {});
        throw withType(error);
      });
      await openStream();
    },
    commit: (offsets) =>
      consumer!
        .commit({
          offsets: offsets.map((o) => ({
            topic: o.topic,
            partition: o.partition,
            offset: BigInt(o.offset),
            leaderEpoch: -1,
          })),
        })
        .catch((error: unknown) => {
          throw withType(error);
        }),
    async coordinatorAnswers(cancelled) {
      while (!cancelled() && !stopping) {
        try {
          await consumer!.findGroupCoordinator();
          return;
        } catch {
          await new Promise((r) => setTimeout(r, COORDINATOR_POLL_MS));
        }
      }
    },
    async stop() {
      stopping = true;
      await stream?.close().catch(() => {});
      await consumer?.close();
    },
  };
}
