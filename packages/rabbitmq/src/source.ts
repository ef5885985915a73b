/**
 * The RabbitMQ source: connects with amqplib, consumes queues on one channel, turns each
 * delivery into a record, and acknowledges it (basic.ack) only once the engine reports it
 * delivered or dead-lettered. A lost connection is re-made with backoff; the broker then
 * redelivers whatever was unacknowledged. Topology, queue depths, records, the channel's life and
 * the reconnect loop: files of their own.
 */
import type {
  Connector,
  ConnectorContext,
  ConnectorHealth,
  ConnectorLag,
  DeadLetterSink,
  PayloadFormat,
  RecordOutcome,
} from "@fgconnect/core";
import { type BrokerStats, brokerStats, lazyRequire } from "@fgconnect/core/internal";
import type * as Amqplib from "amqplib";
import type { Channel, ChannelModel, ConsumeMessage } from "amqplib";
import { closeInOrder, openChannel } from "./channel-lifecycle.js";
import { brokerLabel, brokerUrls, connectArgs } from "./connect-options.js";
import { connectError, reasonOf, topologyError } from "./errors.js";
import { rabbitmqFormats } from "./formats.js";
import { consumedQueues, type ResolvedRabbitmqOptions } from "./options.js";
import { QueueDepths } from "./queue-depths.js";
import { ReconnectLoop } from "./reconnect-loop.js";
import { type RabbitmqRecord, toMessage, toRecord } from "./record.js";

export type { RabbitmqRecord } from "./record.js";

const amqplib = lazyRequire<typeof Amqplib>("amqplib", import.meta.url);

/** Counters since start. */
export interface RabbitmqStats extends BrokerStats {
  /** Rejected to the queue's own dead-letter exchange (`onFailure: reject`). */
  rejected: number;
  /** Given back to the queue at shutdown (requeued). */
  requeued: number;
}

/** A delivery awaiting its outcome, and the channel (generation) it must be settled on. */
interface Pending {
  message: ConsumeMessage;
  generation: number;
  rejected?: boolean;
}

export class RabbitmqConnector implements Connector<RabbitmqRecord> {
  readonly type = "rabbitmq";
  readonly defaultFormat = "native";
  readonly formats: Readonly<Record<"native" | "rich", PayloadFormat<RabbitmqRecord>>>;
  readonly stats: RabbitmqStats = { ...brokerStats(), rejected: 0, requeued: 0 };
  /** With `onFailure: reject`, dead letters go back to the broker (basic.nack, no requeue). */
  readonly deadLetter?: DeadLetterSink;
  readonly queues: readonly string[];
  private readonly broker: string;
  private readonly connectionName: string;
  private readonly startedAt = Date.now().toString(36);
  private ctx?: ConnectorContext<RabbitmqRecord>;
  private model?: ChannelModel;
  private channel?: Channel;
  private readonly depths: QueueDepths;
  /** Bumped on every connection: deliveries of an older one cannot be acknowledged any more. */
  private generation = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly consumers = new Map<string, string>();
  /** Consumer changes (pause, resume, reconnect, stop) run one after another. */
  private ops: Promise<void> = Promise.resolve();
  private paused = false;
  private stopping = false;
  private readonly reconnect: ReconnectLoop;
  private urlIndex = 0;
  private dropReason?: string;
  private lastError?: string;

  constructor(
    readonly name: string,
    readonly options: ResolvedRabbitmqOptions,
    replicaId = "local",
  ) {
    this.broker = brokerLabel(options);
    this.queues = consumedQueues(name, options);
    this.connectionName = options.connectionName ?? `fgconnect-${name}-${replicaId}`;
    this.depths = new QueueDepths(this.queues);
    this.formats = rabbitmqFormats({ region: options.region, instanceId: options.instanceId });
    this.reconnect = new ReconnectLoop(options.reconnect, {
      connect: () => this.connect(false),
      stopping: () => this.stopping,
      restored: (downMs, attempts) =>
        this.ctx?.logger.info(
          { connector: this.name, broker: this.broker, downMs, attempts },
          "rabbitmq connection restored",
        ),
      failed: (err) => {
        this.lastError = reasonOf(err);
        this.ctx?.logger.debug({ connector: this.name, err }, "rabbitmq reconnect failed");
      },
    });
    if (options.onFailure === "reject") {
      this.deadLetter = {
        write: async (entry) => {
          const p = this.pending.get(entry.record.id);
          if (p) p.rejected = true;
        },
      };
    }
  }

  async start(ctx: ConnectorContext<RabbitmqRecord>): Promise<void> {
    this.ctx = ctx;
    await this.connect(true);
    ctx.logger.info(
      {
        connector: this.name,
        broker: this.broker,
        connectionName: this.connectionName,
        queues: this.queues,
        prefetch: this.options.prefetch,
      },
      "rabbitmq connector consuming",
    );
  }

  /**
   * Pausing cancels the consumers (basic.cancel), so the broker stops sending; resuming consumes
   * again. Deliveries already sent still arrive and are pushed (the engine accepts overshoot),
   * and `prefetch` bounds them in any case.
   */
  pause(): void {
    this.paused = true;
    this.syncConsumers();
  }

  resume(): void {
    this.paused = false;
    this.syncConsumers();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.reconnect.cancel();
    this.syncConsumers();
    await this.ops;
    const model = this.model;
    const channel = this.channel;
    this.model = undefined;
    this.channel = undefined;
    // Every outcome is in by now; anything left is given back rather than kept unacknowledged.
    if (channel) {
      for (const p of this.pending.values())
        if (p.generation === this.generation) this.nack(channel, p.message, true);
    }
    this.pending.clear();
    if (model) await closeInOrder(model, channel);
  }

  health(): ConnectorHealth {
    const connected = !this.stopping && this.channel !== undefined;
    const state = connected ? "connected to" : this.ctx ? "not connected to" : "not started;";
    const error = !connected && this.lastError ? `; last error: ${this.lastError}` : "";
    return { connected, detail: `${state} ${this.broker}${error}` };
  }

  /** Ready messages in the consumed queues (queue.declare passive), plus those in flight. */
  async lag(): Promise<ConnectorLag> {
    const { total, detail } = await this.depths.of(this.model);
    return { total: total + this.stats.inFlight, detail };
  }

  /** Connects to the next broker in turn, declares or checks the topology and consumes. */
  private async connect(first: boolean): Promise<void> {
    const urls = brokerUrls(this.options);
    const url = urls[this.urlIndex % urls.length]!;
    this.urlIndex += 1;
    const args = connectArgs(url, this.options, this.connectionName);
    let model: ChannelModel;
    try {
      model = await amqplib().connect(args.url, args.socket);
    } catch (err) {
      throw connectError(this.name, this.broker, err);
    }
    model.on("error", (err: Error) => {
      this.dropReason = reasonOf(err);
      this.lastError = this.dropReason;
      this.ctx?.logger.debug({ connector: this.name, err }, "rabbitmq connection error");
    });
    model.on("close", (err?: Error) => this.onLost(model, err));
    try {
      const channel = await openChannel(model, this.queues, this.options, {
        error: (err) => {
          this.dropReason = reasonOf(err);
          this.lastError = this.dropReason;
        },
        // A channel the broker closed (a deleted queue, a refused command) takes the connection
        // with it, so that the reconnect sets everything up again.
        closed: (channel) => {
          if (this.channel === channel && !this.stopping) model.close().catch(() => {});
        },
      });
      if (this.stopping) throw new Error("stopped while connecting");
      this.generation += 1;
      this.model = model;
      this.channel = channel;
      this.consumers.clear();
      this.stats.connections += 1;
      this.lastError = undefined;
    } catch (err) {
      model.close().catch(() => {});
      throw first && this.dropReason === undefined
        ? topologyError(this.name, err)
        : topologyError(this.name, this.dropReason ?? err);
    }
    this.syncConsumers();
    await this.ops;
  }

  /** Makes the consumers match the state: consuming unless paused or stopping. */
  private syncConsumers(): void {
    this.ops = this.ops.then(async () => {
      const channel = this.channel;
      if (!channel) return;
      const want = !this.paused && !this.stopping;
      try {
        if (want && this.consumers.size === 0) {
          const generation = this.generation;
          for (const queue of this.queues) {
            const tag = this.options.consumerTag
              ? `${this.options.consumerTag}:${queue}`
              : undefined;
            const ok = await channel.consume(
              queue,
              (m) => this.onDelivery(queue, generation, m),
              tag ? { consumerTag: tag } : {},
            );
            this.consumers.set(queue, ok.consumerTag);
          }
        } else if (!want && this.consumers.size > 0) {
          for (const tag of this.consumers.values()) await channel.cancel(tag);
          this.consumers.clear();
        }
      } catch (err) {
        // The channel closed under us: the reconnect re-consumes.
        this.lastError = reasonOf(err);
      }
    });
  }

  private onDelivery(queue: string, generation: number, m: ConsumeMessage | null): void {
    const ctx = this.ctx;
    if (!ctx) return;
    if (m === null) {
      // The broker cancelled the consumer (the queue was deleted): reconnect, which checks it.
      this.dropReason = `the broker cancelled the consumer of queue "${queue}" (deleted?)`;
      this.model?.close().catch(() => {});
      return;
    }
    const message = toMessage(
      queue,
      `${queue}#${this.startedAt}.${generation}.${m.fields.deliveryTag}`,
      m,
    );
    const record = toRecord(this.name, message, this.options.ordering);
    this.pending.set(record.id, { message: m, generation });
    this.stats.received += 1;
    this.stats.inFlight += 1;
    void ctx.push(record).then((outcome) => this.settle(record.id, outcome));
  }

  private settle(id: string, outcome: RecordOutcome): void {
    this.stats.inFlight -= 1;
    const p = this.pending.get(id);
    this.pending.delete(id);
    const channel = this.channel;
    // A delivery of a lost connection: the broker has already given it back to the queue.
    if (!p || !channel || p.generation !== this.generation) return;
    if (outcome === "abandoned") {
      this.stats.requeued += 1;
      this.nack(channel, p.message, true);
    } else if (outcome === "dead-lettered" && p.rejected) {
      this.stats.rejected += 1;
      this.nack(channel, p.message, false);
    } else {
      this.stats.acknowledged += 1;
      try {
        channel.ack(p.message);
      } catch (err) {
        this.lastError = reasonOf(err);
      }
    }
  }

  private nack(channel: Channel, message: ConsumeMessage, requeue: boolean): void {
    try {
      channel.nack(message, false, requeue);
    } catch (err) {
      this.lastError = reasonOf(err);
    }
  }

  private onLost(model: ChannelModel, err?: Error): void {
    if (model !== this.model) return;
    if (err) this.dropReason = reasonOf(err);
    this.model = undefined;
    this.channel = undefined;
    this.depths.forget();
    this.consumers.clear();
    if (this.stopping) return;
    const delay = this.reconnect.lost();
    this.ctx?.logger.warn(
      {
        connector: this.name,
        broker: this.broker,
        reason: this.dropReason ?? "the broker closed the connection",
        retryInMs: delay,
      },
      "rabbitmq connection lost; reconnecting (unacknowledged messages will be redelivered)",
    );
    this.dropReason = undefined;
    this.reconnect.schedule(delay);
  }
}
