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
 * - isStale() is true once a join moved the batch's partition to another member: what was read
 *   for it is dropped (the new owner reads from the group's commit, which covers only what was
 *   delivered); a partition kept goes on where it was (the stream rewinds it to the group's
 *   commit, and the connector skips what it already pushed);
 * - a batch handed back is put in front of its partition's queue again and handed over after
 *   the next join (a group error: the member joins again) or a moment (a failure);
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
  /** Joins so far. */
  let joins = 0;
  /** The join during which the library last saw the group rebalance. */
  let rebalancedAt = -1;
  /** This member's partitions since the last join ("topic/partition"); all before the first. */
  let assigned: Set<string> | undefined;
  const joinWaiters = new Set<() => void>();
  const queues = new Map<string, Queue>();
  /** Bytes read and not yet handed to the connector: the stream pauses above fetch.maxBytes. */
  let queuedBytes = 0;

  const size = (m: Message) => (m.value?.length ?? 0) + (m.key?.length ?? 0);
  const owned = (key: string) => assigned?.has(key) ?? true;

  function take(q: Queue): Message[] {
    const messages = q.messages.splice(0);
    for (const m of messages) queuedBytes -= size(m);
    if (queuedBytes <= s.maxBytes && stream?.isPaused() && !stopping) stream.resume();
    return messages;
  }

  /** Puts a handed-back batch in front again: what the connector already pushed, it skips. */
  function requeue(q: Queue, messages: Message[]): void {
    if (!owned(`${q.topic}/${q.partition}`)) return;
    q.messages.unshift(...messages);
    for (const m of messages) queuedBytes += size(m);
  }

  /** Resolves at the next join, at stop, or after `ms`. */
  function nextJoin(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        joinWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      joinWaiters.add(done);
    });
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
          await onBatch!(batch, control(generation, `${q.topic}/${q.partition}`));
        } catch (error) {
          requeue(q, messages);
          await handBack(error, generation);
        }
      }
    } finally {
      q.running = false;
    }
  }

  function control(generation: number, key: string): BatchControl {
    return {
      isRunning: () => !stopping,
      // Only a partition that moved away: one kept across a join goes on from where it was.
      isStale: () => !owned(key),
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
   * A batch handed back (requeued): for a group error, the member joins again (unless it did
   * since) and the batch is handed over again after the join; after a failure, a moment later.
   */
  async function handBack(error: unknown, generation: number): Promise<void> {
    if (stopping || joins !== generation) return;
    if (error !== undefined && !groupErrorAction(error)) {
      events.crashed(error as Error, true);
      await new Promise((r) => setTimeout(r, RESTART_MS));
      return;
    }
    consumer?.joinGroup().catch((e: unknown) => events.crashed(withType(e) as Error, true));
    await nextJoin(s.rebalanceTimeoutMs);
  }

  function onMessage(message: Message): void {
    const key = `${message.topic}/${message.partition}`;
    // A partition that moved: its new owner reads it from the group's commit.
    if (!owned(key)) return;
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
        const assignment = assignmentOf(payload.assignments ?? consumer!.assignments);
        assigned = new Set(
          Object.entries(assignment).flatMap(([t, ps]) => ps.map((p) => `${t}/${p}`)),
        );
        // Read for partitions that moved away: dropped (their new owner reads from the commit).
        for (const [key, q] of queues) if (!owned(key)) take(q);
        for (const wake of [...joinWaiters]) wake();
        events.joined(assignment);
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
      for (const wake of [...joinWaiters]) wake();
      await stream?.close().catch(() => {});
      await consumer?.close();
    },
  };
}
