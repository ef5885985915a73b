/**
 * The Kafka connector: consumes a group's partitions, pushes each record to the engine, and
 * commits per partition only what was delivered or dead-lettered, contiguously.
 *
 * What it guarantees (see README "Delivery guarantees"):
 * - A committed offset C on a partition means every record below C was delivered or
 *   dead-lettered by this member, so a crash or restart loses nothing (at-least-once).
 * - Rebalances: when this member learns of a rebalance while handling a batch (its heartbeat
 *   fails with REBALANCE_IN_PROGRESS), it waits up to `revokeDrainMs` for in-flight records to
 *   finish and commits them before rejoining (commits are accepted while the group prepares to
 *   rebalance). When kafkajs learns of it elsewhere (an idle fetch), delivered offsets are
 *   committed at once, racing the rejoin. Either way, records still in flight on a partition
 *   that moved keep going and their offsets are committed when they settle; the new owner
 *   starts from the last commit, so duplicates are at most what was in flight or uncommitted.
 * - Membership lost (the coordinator moved, or forgot this member while a broker restarted):
 *   no commit can succeed, so the member rejoins at once, without draining, and commits what
 *   was delivered as soon as it is back. A commit refused that way makes it rejoin too.
 * - A partition kept across a rejoin is re-fetched from its last commit; records already
 *   pushed are skipped, so they are not delivered twice.
 */
import type {
  Connector,
  ConnectorContext,
  ConnectorHealth,
  ConnectorLag,
  RecordOutcome,
} from "@fgconnect/core";
import { createKafkajsClient } from "./client/kafkajs.js";
import {
  type BatchControl,
  coordinatorGone,
  type FetchedBatch,
  type GroupConsumer,
  groupErrorAction,
  type KafkaClient,
  type TopicPartitionOffset,
} from "./client/types.js";
import { PartitionCommits } from "./commits.js";
import { DeadLetterTopic } from "./dead-letter.js";
import { kafkaFormats } from "./formats.js";
import {
  deadLetterConnection,
  isRegexEntry,
  type KafkaConnection,
  type ResolvedKafkaOptions,
  subscriptions,
} from "./options.js";
import { type KafkaRecord, toRecord } from "./record.js";

export type ClientFactory = (
  connection: KafkaConnection,
  logger: ConnectorContext["logger"],
) => KafkaClient;

interface Tracked {
  topic: string;
  partition: number;
  commits: PartitionCommits;
}

const LAG_CACHE_MS = 2_000;
const MIN_COMMIT_RETRY_MS = 200;

export class KafkaConnector implements Connector<KafkaRecord> {
  readonly type = "kafka";
  readonly formats;
  readonly defaultFormat = "native";
  /** The `deadLetter` topic, when configured: the engine sends this connector's dead letters there. */
  readonly deadLetter?: DeadLetterTopic;
  private ctx?: ConnectorContext<KafkaRecord>;
  private client?: KafkaClient;
  private consumer?: GroupConsumer;
  /** Partitions assigned now, by "topic/partition". */
  private readonly active = new Map<string, Tracked>();
  /** Partitions given up whose records may still be in flight: committed as they settle. */
  private readonly retiring = new Set<Tracked>();
  private readonly topics = new Set<string>();
  /** For a timestamp start: the first offset to deliver on partitions the group never committed. */
  private startOffsets = new Map<string, number>();
  private paused = false;
  private stopped = false;
  private joined = false;
  private lastAlive = 0;
  private lastError?: string;
  /** Since when and why the brokers cannot be reached, while they cannot. */
  private outage?: { since: number; reason: string };
  /** A commit failed other than by a group error: later failures of the streak log at debug. */
  private commitFailing = false;
  /** The group error that asks this member to rejoin: batches are handed back until it has. */
  private rejoining?: unknown;
  /** Group joins so far: a commit refused for an older generation asks for no rejoin. */
  private generation = 0;
  private commitTimer?: NodeJS.Timeout;
  private committing?: Promise<void>;
  private readonly drainWaiters: (() => void)[] = [];
  private readonly resumeWaiters: (() => void)[] = [];
  private lagCache?: { at: number; value: Promise<ConnectorLag> };

  constructor(
    readonly name: string,
    private readonly options: ResolvedKafkaOptions,
    private readonly clientFactory: ClientFactory = createKafkajsClient,
  ) {
    this.formats = kafkaFormats(options.event);
    if (options.deadLetter) this.deadLetter = new DeadLetterTopic(options.deadLetter.topic);
    for (const t of options.topics) if (!isRegexEntry(t)) this.topics.add(t);
  }

  async start(ctx: ConnectorContext<KafkaRecord>): Promise<void> {
    this.ctx = ctx;
    const o = this.options;
    this.client = this.clientFactory(o, ctx.logger);
    // Open before the first fetch: a record may be dead-lettered as soon as it is pushed.
    if (this.deadLetter && o.deadLetter) {
      await this.deadLetter.open(
        this.clientFactory(deadLetterConnection(o, o.deadLetter), ctx.logger),
      );
    }
    try {
      await this.startConsumer(ctx);
    } catch (error) {
      await this.deadLetter?.close().catch(() => {});
      throw error;
    }
    ctx.logger.info(
      {
        connector: this.name,
        brokers: o.brokers,
        groupId: o.groupId,
        topics: o.topics,
        deadLetterTopic: o.deadLetter?.topic,
      },
      "Kafka connector started",
    );
  }

  private async startConsumer(ctx: ConnectorContext<KafkaRecord>): Promise<void> {
    const o = this.options;
    const client = this.client!;
    if (typeof o.startFrom !== "string" || !["earliest", "latest"].includes(o.startFrom)) {
      await this.resolveStartOffsets(
        typeof o.startFrom === "number" ? o.startFrom : Date.parse(o.startFrom),
      );
    }
    this.consumer = client.consumer(
      {
        groupId: o.groupId,
        topics: subscriptions(o.topics),
        fromBeginning: o.startFrom !== "latest",
        sessionTimeoutMs: o.sessionTimeoutMs,
        heartbeatIntervalMs: o.heartbeatIntervalMs,
        rebalanceTimeoutMs: o.rebalanceTimeoutMs,
        maxBytesPerPartition: o.fetch.maxBytesPerPartition,
        maxBytes: o.fetch.maxBytes,
        maxWaitMs: o.fetch.maxWaitMs,
      },
      {
        joined: (assignment) => this.onJoined(assignment),
        rebalancing: () => {
          ctx.logger.info(
            { connector: this.name },
            "consumer group rebalancing; committing delivered offsets",
          );
          void this.flushCommits();
        },
        alive: () => {
          this.lastAlive = Date.now();
          this.brokerBack();
        },
        unreachable: (reason) => this.brokerLost(reason),
        crashed: (error, restarting) => {
          this.lastError = error.message;
          // During an outage a crash is kafkajs giving up on a connection: already reported.
          ctx.logger[this.outage ? "debug" : "warn"](
            { connector: this.name, reason: error.message, restarting },
            `Kafka consumer failed (${error.message}): ${restarting ? "restarting it" : "stopped"}`,
          );
          // Its partitions may move while it reconnects: what is in flight is committed as it settles.
          this.retireAll();
        },
      },
    );
    await this.consumer.start((batch, control) => this.onBatch(batch, control));
  }

  /**
   * Backpressure holds the batch handler (heartbeating) instead of pausing kafkajs: a paused
   * kafkajs consumer sleeps a whole fetch wait before it looks again, so each resume came late
   * and a drained buffer sat idle. Held here, the next fetched batch is pushed as soon as the
   * engine resumes, and nothing more is fetched meanwhile.
   */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const wake of this.resumeWaiters.splice(0)) wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.resumeWaiters.splice(0)) wake();
    clearTimeout(this.commitTimer);
    // Every outcome is in: commit them while the consumer is still a group member.
    await this.flushCommits();
    await this.consumer
      ?.stop()
      .catch((err: unknown) =>
        this.ctx?.logger.warn(
          { connector: this.name, err: String(err) },
          "Kafka consumer stop failed",
        ),
      );
    this.joined = false;
    // Every dead letter is written by now (outcomes come after the write).
    await this.deadLetter
      ?.close()
      .catch((err: unknown) =>
        this.ctx?.logger.warn(
          { connector: this.name, err: String(err) },
          "dead-letter producer stop failed",
        ),
      );
  }

  health(): ConnectorHealth {
    const window = 3 * this.options.heartbeatIntervalMs + this.options.fetch.maxWaitMs + 5_000;
    const brokers = this.options.brokers.join(",");
    if (!this.joined)
      return { connected: false, detail: `not in group ${this.options.groupId} (${brokers})` };
    if (Date.now() - this.lastAlive > window) {
      return {
        connected: false,
        detail: `no answer from ${brokers} for ${Date.now() - this.lastAlive} ms${this.lastError ? `: ${this.lastError}` : ""}`,
      };
    }
    return {
      connected: true,
      detail: `${this.active.size} partition(s) of group ${this.options.groupId} on ${brokers}`,
    };
  }

  /** Records waiting per partition of the subscribed topics: high watermark − the group's commit. */
  lag(): Promise<ConnectorLag> {
    const now = Date.now();
    if (!this.lagCache || now - this.lagCache.at > LAG_CACHE_MS) {
      const value = this.computeLag();
      this.lagCache = { at: now, value };
      value.catch(() => {
        if (this.lagCache?.value === value) this.lagCache = undefined;
      });
    }
    return this.lagCache.value;
  }

  private async computeLag(): Promise<ConnectorLag> {
    const admin = this.client!.admin();
    try {
      const topics = [...this.topics];
      const committed = new Map(
        (await admin.committed(this.options.groupId, topics)).map((c) => [
          `${c.topic}/${c.partition}`,
          Number(c.offset),
        ]),
      );
      const detail: Record<string, number> = {};
      let total = 0;
      for (const topic of topics) {
        for (const p of await admin.topicOffsets(topic)) {
          const key = `${topic}/${p.partition}`;
          const from = committed.get(key);
          const lag = Math.max(
            0,
            Number(p.high) - (from !== undefined && from >= 0 ? from : Number(p.low)),
          );
          detail[key] = lag;
          total += lag;
        }
      }
      return { total, detail };
    } finally {
      await admin.stop().catch(() => {});
    }
  }

  private async resolveStartOffsets(timestamp: number): Promise<void> {
    const admin = this.client!.admin();
    try {
      const patterns = subscriptions(this.options.topics);
      const existing = await admin.listTopics();
      const topics = existing.filter((t) =>
        patterns.some((p) => (typeof p === "string" ? p === t : p.test(t))),
      );
      const committed = new Set(
        (await admin.committed(this.options.groupId, topics))
          .filter((c) => Number(c.offset) >= 0)
          .map((c) => `${c.topic}/${c.partition}`),
      );
      for (const topic of topics) {
        for (const p of await admin.offsetsAt(topic, timestamp)) {
          const key = `${topic}/${p.partition}`;
          if (!committed.has(key)) this.startOffsets.set(key, Number(p.offset));
        }
      }
    } finally {
      await admin.stop().catch(() => {});
    }
  }

  /** One warn line per outage, with the reason; kafkajs reconnects by itself. */
  private brokerLost(reason: string): void {
    this.lastError = reason;
    if (this.outage || this.stopped) return;
    this.outage = { since: Date.now(), reason };
    this.ctx?.logger.warn(
      { connector: this.name, brokers: this.options.brokers, reason },
      `Kafka broker unreachable (${reason}): reconnecting`,
    );
  }

  private brokerBack(): void {
    if (!this.outage) return;
    const downMs = Date.now() - this.outage.since;
    this.outage = undefined;
    this.ctx?.logger.info(
      { connector: this.name, brokers: this.options.brokers, downMs },
      "Kafka broker reachable again: consuming",
    );
  }

  private onJoined(assignment: Record<string, number[]>): void {
    const now = new Set<string>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      this.topics.add(topic);
      for (const p of partitions) now.add(`${topic}/${p}`);
    }
    for (const [key, tracked] of this.active) {
      if (now.has(key)) continue;
      this.active.delete(key);
      this.retiring.add(tracked);
    }
    // Partitions given up (a consumer restart) and assigned again: reclaim their trackers now,
    // before a commit flush could forget them.
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const p of partitions) {
        const key = `${topic}/${p}`;
        if (this.active.has(key)) continue;
        const tracked = this.reclaim(topic, p);
        if (tracked) this.active.set(key, tracked);
      }
    }
    // The others moved to another member: forget them once settled and committed.
    for (const tracked of this.retiring)
      if (tracked.commits.inFlight === 0 && tracked.commits.committable() === undefined)
        this.retiring.delete(tracked);
    this.joined = true;
    this.generation++;
    this.rejoining = undefined;
    this.lastAlive = Date.now();
    this.brokerBack();
    this.ctx?.logger.info(
      { connector: this.name, partitions: [...now] },
      "joined the consumer group",
    );
    // What was delivered while the member was out goes now, not at the next interval.
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    void this.flushCommits();
  }

  private retireAll(): void {
    for (const tracked of this.active.values()) this.retiring.add(tracked);
    this.active.clear();
    this.joined = false;
  }

  private async onBatch(batch: FetchedBatch, control: BatchControl): Promise<void> {
    // Rejoining: hand the batch back unread (the other batches of the same fetch too, or each
    // would wait on its own); it is fetched again after the join.
    if (this.rejoining) return this.handBack(control);
    try {
      await this.consume(batch, control);
    } catch (error) {
      const action = groupErrorAction(error);
      if (!action) throw error;
      if (!this.rejoining) {
        this.rejoining = error;
        if (action === "drain") await this.beforeRejoin();
      }
      return this.handBack(control);
    }
  }

  /**
   * Throws the group error, which makes kafkajs rejoin. When the coordinator is gone (a broker
   * shutting down), first waits until it answers again: kafkajs would fail to find it, crash
   * and come back as a new member, which the group holds until the old member's session
   * expires. Rejoining as the same member after the broker's return takes a moment.
   */
  private async handBack(control: BatchControl): Promise<never> {
    const error = this.rejoining;
    if (coordinatorGone(error))
      await this.consumer!.coordinatorAnswers(
        () => this.stopped || !control.isRunning() || this.rejoining !== error,
      );
    throw error;
  }

  private async consume(batch: FetchedBatch, control: BatchControl): Promise<void> {
    const key = `${batch.topic}/${batch.partition}`;
    let tracked = this.active.get(key);
    if (!tracked) {
      tracked = this.reclaim(batch.topic, batch.partition) ?? {
        topic: batch.topic,
        partition: batch.partition,
        commits: new PartitionCommits(),
      };
      this.active.set(key, tracked);
    }
    const { commits } = tracked;
    const startAt = this.startOffsets.get(key);
    for (const message of batch.messages) {
      // A fetch may hold thousands of records: the engine's pause takes effect mid-batch.
      if (this.paused) await this.hold(control);
      if (this.rejoining) return this.handBack(control);
      if (!control.isRunning() || control.isStale() || this.stopped) return;
      const offset = Number(message.offset);
      // Re-fetched after a rejoin (the partition stayed ours): already pushed.
      if (commits.seen(offset)) continue;
      // Before the start timestamp of a new group: read past it, deliver nothing.
      if (startAt !== undefined && offset < startAt) {
        commits.readUpTo(offset);
        continue;
      }
      const record = toRecord(
        this.name,
        batch.topic,
        batch.partition,
        message,
        this.options.ordering,
        this.options.poison,
      );
      commits.add(offset);
      void this.ctx!.push(record).then((outcome) => this.settled(tracked, offset, outcome));
    }
    this.startOffsets.delete(key);
    commits.readUpTo(Number(batch.lastOffset));
    control.resolveOffset(batch.lastOffset);
    await control.heartbeat();
    await this.hold(control);
  }

  /**
   * Backpressure: waits, heartbeating, while the engine has sources paused (see pause()). A
   * rebalance ends the wait with the heartbeat's error; a stop or a stale batch ends it quietly.
   */
  private async hold(control: BatchControl): Promise<void> {
    while (this.paused && !this.stopped && control.isRunning() && !control.isStale()) {
      await wakeOrTimeout(this.resumeWaiters, this.options.heartbeatIntervalMs);
      if (this.rejoining) return this.handBack(control);
      await control.heartbeat();
    }
  }

  /**
   * A partition this member gave up (consumer restart after a broker outage, rebalance) came
   * back: keep its tracker, so that records it already pushed are skipped rather than delivered
   * again from the older commit kafkajs resumes at, and its commits stay contiguous.
   */
  private reclaim(topic: string, partition: number): Tracked | undefined {
    for (const tracked of this.retiring) {
      if (tracked.topic !== topic || tracked.partition !== partition) continue;
      this.retiring.delete(tracked);
      return tracked;
    }
    return undefined;
  }

  private settled(tracked: Tracked, offset: number, outcome: RecordOutcome): void {
    if (outcome === "abandoned") tracked.commits.abandon(offset);
    else tracked.commits.settle(offset);
    if (this.drainWaiters.length > 0 && this.inFlight() === 0)
      for (const wake of this.drainWaiters.splice(0)) wake();
    this.scheduleCommit();
  }

  private inFlight(): number {
    let n = 0;
    for (const t of this.active.values()) n += t.commits.inFlight;
    for (const t of this.retiring) n += t.commits.inFlight;
    return n;
  }

  /** The group rebalances: let in-flight records finish (bounded), commit, then rejoin. */
  private async beforeRejoin(): Promise<void> {
    const limit = Math.min(this.options.revokeDrainMs, this.options.sessionTimeoutMs / 2);
    const pending = this.inFlight();
    this.ctx?.logger.info(
      { connector: this.name, inFlight: pending, waitMs: limit },
      "rebalance: finishing in-flight records before rejoining",
    );
    if (pending > 0 && limit > 0) await wakeOrTimeout(this.drainWaiters, limit);
    await this.flushCommits();
  }

  private commitFailed(error: unknown, generation: number, offsets: TopicPartitionOffset[]): void {
    const reason = reasonOf(error);
    if (groupErrorAction(error) && !this.stopped) {
      // Sent for the generation before the last join: the join's own commit follows.
      if (generation !== this.generation) return;
      // The group no longer takes this member's commits: rejoin now; the join commits.
      if (!this.rejoining)
        this.ctx?.logger.info(
          { connector: this.name, reason },
          `offset commit refused by the group (${reason}): rejoining, then committing`,
        );
      this.rejoining ??= error;
      return;
    }
    this.ctx?.logger[this.outage || this.commitFailing || this.stopped ? "debug" : "warn"](
      { connector: this.name, reason, offsets },
      `offset commit failed (${reason}): retrying; the records stay uncommitted, never lost`,
    );
    this.commitFailing = true;
    if (!this.stopped)
      setTimeout(
        () => this.scheduleCommit(),
        Math.max(MIN_COMMIT_RETRY_MS, this.options.commitIntervalMs),
      );
  }

  private scheduleCommit(): void {
    if (this.commitTimer || this.stopped) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      void this.flushCommits();
    }, this.options.commitIntervalMs);
  }

  /** Commits every partition's contiguous progress; one commit request at a time. */
  private flushCommits(): Promise<void> {
    if (this.committing) return this.committing.then(() => this.flushCommits());
    const batch: { tracked: Tracked; offset: number }[] = [];
    for (const tracked of [...this.active.values(), ...this.retiring]) {
      const offset = tracked.commits.committable();
      if (offset !== undefined) batch.push({ tracked, offset });
    }
    if (batch.length === 0 || !this.consumer) return Promise.resolve();
    const offsets: TopicPartitionOffset[] = batch.map(({ tracked, offset }) => ({
      topic: tracked.topic,
      partition: tracked.partition,
      offset: String(offset),
    }));
    const generation = this.generation;
    this.committing = this.consumer
      .commit(offsets)
      .then(() => {
        for (const { tracked, offset } of batch) tracked.commits.markCommitted(offset);
        this.commitFailing = false;
      })
      .catch((error: unknown) => this.commitFailed(error, generation, offsets))
      .finally(() => {
        this.committing = undefined;
      });
    return this.committing;
  }
}

/** The message of an error, without kafkajs's class-name prefix. */
function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves when a waker in `waiters` is called, or after `ms` (its waker then leaves the list). */
function wakeOrTimeout(waiters: (() => void)[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      const at = waiters.indexOf(wake);
      if (at >= 0) waiters.splice(at, 1);
      resolve();
    }, ms);
    waiters.push(wake);
  });
}
