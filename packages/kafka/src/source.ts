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
import { consumerLag, LAG_CACHE_MS, reusedFor, startOffsetsAt } from "./admin-queries.js";
import { BrokerStatus } from "./broker-status.js";
import { createKafkajsClient } from "./client/kafkajs.js";
import {
  type Admin,
  type BatchControl,
  coordinatorGone,
  type FetchedBatch,
  type GroupConsumer,
  groupErrorAction,
  type KafkaClient,
  type TopicPartitionOffset,
} from "./client/types.js";
import { CommitScheduler } from "./commit-scheduler.js";
import { DeadLetterTopic } from "./dead-letter.js";
import { kafkaFormats } from "./formats.js";
import {
  deadLetterConnection,
  isRegexEntry,
  type KafkaConnection,
  type ResolvedKafkaOptions,
  subscriptions,
} from "./options.js";
import { PartitionPauses } from "./partition-pauses.js";
import { Partitions, type Tracked } from "./partitions.js";
import { type KafkaRecord, toRecord } from "./record.js";
import { wakeOrTimeout } from "./wake.js";

export type ClientFactory = (
  connection: KafkaConnection,
  logger: ConnectorContext["logger"],
) => KafkaClient;

export class KafkaConnector implements Connector<KafkaRecord> {
  readonly type = "kafka";
  readonly formats;
  readonly defaultFormat = "native";
  /** The `deadLetter` topic, when configured: the engine sends this connector's dead letters there. */
  readonly deadLetter?: DeadLetterTopic;
  private ctx?: ConnectorContext<KafkaRecord>;
  private client?: KafkaClient;
  private consumer?: GroupConsumer;
  private readonly partitions = new Partitions();
  private readonly commits: CommitScheduler;
  private readonly brokers: BrokerStatus;
  private readonly topics = new Set<string>();
  /** For a timestamp start: the first offset to deliver on partitions the group never committed. */
  private startOffsets = new Map<string, number>();
  private paused = false;
  private readonly partitionPauses = new PartitionPauses();
  private stopped = false;
  /** The group error that asks this member to rejoin: batches are handed back until it has. */
  private rejoining?: unknown;
  /** Group joins so far: a commit refused for an older generation asks for no rejoin. */
  private generation = 0;
  private readonly drainWaiters: (() => void)[] = [];
  private readonly resumeWaiters: (() => void)[] = [];
  /** Records waiting per partition of the subscribed topics: high watermark − the group's commit. */
  readonly lag: () => Promise<ConnectorLag> = reusedFor(LAG_CACHE_MS, () =>
    this.withAdmin((admin) => consumerLag(admin, this.options.groupId, [...this.topics])),
  );

  constructor(
    readonly name: string,
    private readonly options: ResolvedKafkaOptions,
    private readonly clientFactory: ClientFactory = createKafkajsClient,
  ) {
    this.formats = kafkaFormats(options.event);
    if (options.deadLetter) this.deadLetter = new DeadLetterTopic(options.deadLetter.topic);
    for (const t of options.topics) if (!isRegexEntry(t)) this.topics.add(t);
    this.brokers = new BrokerStatus(name, options.brokers, () => this.ctx?.logger);
    this.commits = new CommitScheduler(this.partitions, options.commitIntervalMs, {
      commit: (offsets) => this.consumer?.commit(offsets),
      generation: () => this.generation,
      failed: (error, offsets, generation, failing) =>
        this.commitFailed(error, offsets, generation, failing),
    });
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
      const timestamp = typeof o.startFrom === "number" ? o.startFrom : Date.parse(o.startFrom);
      this.startOffsets = await this.withAdmin((admin) =>
        startOffsetsAt(admin, o.groupId, subscriptions(o.topics), timestamp),
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
          void this.commits.flush();
        },
        alive: () => this.brokers.alive(),
        unreachable: (reason) => this.brokers.lost(reason, this.stopped),
        crashed: (error, restarting) => {
          this.brokers.lastError = error.message;
          // During an outage a crash is kafkajs giving up on a connection: already reported.
          ctx.logger[this.brokers.outage ? "debug" : "warn"](
            { connector: this.name, reason: error.message, restarting },
            `Kafka consumer failed (${error.message}): ${restarting ? "restarting it" : "stopped"}`,
          );
          // Its partitions may move while it reconnects: what is in flight is committed as it settles.
          this.partitions.retireAll();
          this.brokers.joined = false;
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

  /**
   * One partition holds more than its share of the buffer: its batch handler is held (as for
   * pause()) while the batches of the other partitions, handled concurrently, go on; so a big
   * fetch of one partition cannot keep the others waiting.
   */
  pauseKey(key: string): void {
    this.partitionPauses.pause(key);
  }

  resumeKey(key: string): void {
    if (this.partitionPauses.resume(key)) for (const wake of this.resumeWaiters.splice(0)) wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.resumeWaiters.splice(0)) wake();
    this.commits.stop();
    // Every outcome is in: commit them while the consumer is still a group member.
    await this.commits.flush();
    await this.consumer
      ?.stop()
      .catch((err: unknown) =>
        this.ctx?.logger.warn(
          { connector: this.name, err: String(err) },
          "Kafka consumer stop failed",
        ),
      );
    this.brokers.joined = false;
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
    return this.brokers.health(this.options.groupId, this.partitions.size, window);
  }

  private async withAdmin<T>(query: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.client!.admin();
    try {
      return await query(admin);
    } finally {
      await admin.stop().catch(() => {});
    }
  }

  private onJoined(assignment: Record<string, number[]>): void {
    for (const topic of Object.keys(assignment)) this.topics.add(topic);
    const partitions = this.partitions.assign(assignment);
    this.brokers.joined = true;
    this.generation++;
    this.rejoining = undefined;
    this.brokers.alive();
    this.ctx?.logger.info({ connector: this.name, partitions }, "joined the consumer group");
    // What was delivered while the member was out goes now, not at the next interval.
    void this.commits.now();
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
    const tracked = this.partitions.trackerFor(batch.topic, batch.partition);
    const { commits } = tracked;
    const startAt = this.startOffsets.get(key);
    for (const message of batch.messages) {
      // A fetch may hold thousands of records: the engine's pause takes effect mid-batch.
      if (this.held(batch)) await this.hold(control, batch);
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
    await this.hold(control, batch);
  }

  /**
   * Backpressure: waits, heartbeating, while the engine has sources or this partition paused
   * (see pause(), pauseKey()). A rebalance ends the wait with the heartbeat's error; a stop or a stale batch ends it quietly.
   */
  private async hold(control: BatchControl, batch: FetchedBatch): Promise<void> {
    while (this.held(batch) && !this.stopped && control.isRunning() && !control.isStale()) {
      await wakeOrTimeout(this.resumeWaiters, this.options.heartbeatIntervalMs);
      if (this.rejoining) return this.handBack(control);
      await control.heartbeat();
    }
  }

  /** Paused as a whole, or this batch's partition over its share of the buffer. */
  private held(batch: FetchedBatch): boolean {
    return this.paused || this.partitionPauses.has(batch.topic, batch.partition);
  }

  private settled(tracked: Tracked, offset: number, outcome: RecordOutcome): void {
    if (outcome === "abandoned") tracked.commits.abandon(offset);
    else tracked.commits.settle(offset);
    if (this.drainWaiters.length > 0 && this.partitions.inFlight() === 0)
      for (const wake of this.drainWaiters.splice(0)) wake();
    this.commits.schedule();
  }

  /** The group rebalances: let in-flight records finish (bounded), commit, then rejoin. */
  private async beforeRejoin(): Promise<void> {
    const limit = Math.min(this.options.revokeDrainMs, this.options.sessionTimeoutMs / 2);
    const pending = this.partitions.inFlight();
    this.ctx?.logger.info(
      { connector: this.name, inFlight: pending, waitMs: limit },
      "rebalance: finishing in-flight records before rejoining",
    );
    if (pending > 0 && limit > 0) await wakeOrTimeout(this.drainWaiters, limit);
    await this.commits.flush();
  }

  /** Whether a failed commit is retried: a group error is settled by rejoining instead. */
  private commitFailed(
    error: unknown,
    offsets: TopicPartitionOffset[],
    generation: number,
    failing: boolean,
  ): boolean {
    const reason = reasonOf(error);
    if (groupErrorAction(error) && !this.stopped) {
      // Sent for the generation before the last join: the join's own commit follows.
      if (generation !== this.generation) return false;
      // The group no longer takes this member's commits: rejoin now; the join commits.
      if (!this.rejoining)
        this.ctx?.logger.info(
          { connector: this.name, reason },
          `offset commit refused by the group (${reason}): rejoining, then committing`,
        );
      this.rejoining ??= error;
      return false;
    }
    this.ctx?.logger[this.brokers.outage || failing || this.stopped ? "debug" : "warn"](
      { connector: this.name, reason, offsets },
      `offset commit failed (${reason}): retrying; the records stay uncommitted, never lost`,
    );
    return true;
  }
}

/** The message of an error, without kafkajs's class-name prefix. */
function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
