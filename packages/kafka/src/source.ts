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
import { BatchHold } from "./batch-hold.js";
import { BrokerStatus } from "./broker-status.js";
import { clientFor } from "./client/select.js";
import type {
  Admin,
  BatchControl,
  ClientFactory,
  FetchedBatch,
  GroupConsumer,
  KafkaClient,
} from "./client/types.js";
import { CommitScheduler } from "./commit-scheduler.js";
import { consumerSettings } from "./consumer-settings.js";
import { DeadLetterTopic } from "./dead-letter.js";
import { kafkaFormats } from "./formats.js";
import { GroupMembership } from "./group-membership.js";
import {
  deadLetterConnection,
  isRegexEntry,
  type ResolvedKafkaOptions,
  subscriptions,
} from "./options.js";
import { Partitions, type Tracked } from "./partitions.js";
import { type KafkaRecord, toRecord } from "./record.js";

export type { ClientFactory };

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
  private readonly batchHold: BatchHold;
  private readonly membership: GroupMembership;
  private stopped = false;
  /** Records waiting per partition of the subscribed topics: high watermark − the group's commit. */
  readonly lag: () => Promise<ConnectorLag> = reusedFor(LAG_CACHE_MS, () =>
    this.withAdmin((admin) => consumerLag(admin, this.options.groupId, [...this.topics])),
  );

  constructor(
    readonly name: string,
    private readonly options: ResolvedKafkaOptions,
    private readonly clientFactory: ClientFactory = clientFor(options.client),
  ) {
    this.formats = kafkaFormats(options.event);
    if (options.deadLetter) this.deadLetter = new DeadLetterTopic(options.deadLetter.topic);
    for (const t of options.topics) if (!isRegexEntry(t)) this.topics.add(t);
    this.brokers = new BrokerStatus(name, options.brokers, () => this.ctx?.logger);
    this.batchHold = new BatchHold(options.heartbeatIntervalMs);
    this.membership = new GroupMembership({
      name,
      options,
      partitions: this.partitions,
      consumer: () => this.consumer,
      flush: () => this.commits.flush(),
      stopped: () => this.stopped,
      outage: () => this.brokers.outage !== undefined,
      logger: () => this.ctx?.logger,
    });
    this.commits = new CommitScheduler(this.partitions, options.commitIntervalMs, {
      commit: (offsets) => this.consumer?.commit(offsets),
      generation: () => this.membership.generation,
      failed: (error, offsets, generation, failing) =>
        this.membership.commitFailed(error, offsets, generation, failing),
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
    this.consumer = client.consumer(consumerSettings(o), {
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
    });
    await this.consumer.start((batch, control) => this.onBatch(batch, control));
  }

  /** Holds the batch handler rather than pausing kafkajs (see batch-hold.ts for why). */
  pause(): void {
    this.batchHold.pause();
  }

  resume(): void {
    this.batchHold.resume();
  }

  /** Holds this partition's batch handler only; the other partitions go on. */
  pauseKey(key: string): void {
    this.batchHold.pauseKey(key);
  }

  resumeKey(key: string): void {
    this.batchHold.resumeKey(key);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.batchHold.release();
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
    this.membership.joined();
    this.brokers.alive();
    this.ctx?.logger.info({ connector: this.name, partitions }, "joined the consumer group");
    // What was delivered while the member was out goes now, not at the next interval.
    void this.commits.now();
  }

  private async onBatch(batch: FetchedBatch, control: BatchControl): Promise<void> {
    // Rejoining: hand the batch back unread (the other batches of the same fetch too, or each
    // would wait on its own); it is fetched again after the join.
    if (this.membership.rejoining) return this.membership.handBack(control);
    try {
      await this.consume(batch, control);
    } catch (error) {
      return this.membership.batchFailed(error, control);
    }
  }

  private async consume(batch: FetchedBatch, control: BatchControl): Promise<void> {
    const key = `${batch.topic}/${batch.partition}`;
    const tracked = this.partitions.trackerFor(batch.topic, batch.partition);
    const { commits } = tracked;
    const startAt = this.startOffsets.get(key);
    for (const message of batch.messages) {
      // A fetch may hold thousands of records: the engine's pause takes effect mid-batch.
      if (this.batchHold.held(batch)) await this.hold(control, batch);
      if (this.membership.rejoining) return this.membership.handBack(control);
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
    // Read past the start: later batches (a rejoin's re-fetch too) deliver everything.
    if (startAt !== undefined && Number(batch.lastOffset) + 1 >= startAt)
      this.startOffsets.delete(key);
    commits.readUpTo(Number(batch.lastOffset));
    control.resolveOffset(batch.lastOffset);
    await control.heartbeat();
    await this.hold(control, batch);
  }

  /** Backpressure: waits while the engine has sources or this partition paused. */
  private hold(control: BatchControl, batch: FetchedBatch): Promise<void> {
    return this.batchHold.wait(
      control,
      batch,
      () => this.stopped,
      () => (this.membership.rejoining ? this.membership.handBack(control) : undefined),
    );
  }

  private settled(tracked: Tracked, offset: number, outcome: RecordOutcome): void {
    if (outcome === "abandoned") tracked.commits.abandon(offset);
    else tracked.commits.settle(offset);
    this.membership.settled();
    this.commits.schedule();
  }
}
