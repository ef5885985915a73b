/**
 * The RabbitMQ source: the only file that talks to amqplib. It consumes queues on one channel,
 * turns each delivery into a record, and acknowledges it (basic.ack) only once the engine
 * reports it delivered or dead-lettered. A lost connection is re-made with backoff; the broker
 * then redelivers whatever was unacknowledged.
 */
import { createRequire } from "node:module";
import type {
  Connector,
  ConnectorContext,
  ConnectorHealth,
  ConnectorLag,
  DeadLetterSink,
  PayloadFormat,
  RecordAttributes,
  RecordOutcome,
  SourceRecord,
} from "@fgconnect/core";
import { traceContextOf } from "@fgconnect/core";
import type * as Amqplib from "amqplib";
import type { Channel, ChannelModel, ConsumeMessage } from "amqplib";
import { brokerLabel, brokerUrls, connectArgs } from "./connect-options.js";
import { connectError, reasonOf, topologyError } from "./errors.js";
import { consumedQueues, type ResolvedRabbitmqOptions } from "./options.js";
import { type AmqpMessage, jsonOf, nativeEvent, richEvent, type TriggerInfo } from "./payload.js";

// Loaded on first use: a daemon without a RabbitMQ connector never holds amqplib in memory.
let loaded: typeof Amqplib | undefined;
const amqplib = (): typeof Amqplib => {
  loaded ??= createRequire(import.meta.url)("amqplib") as typeof Amqplib;
  return loaded;
};

/** A received message, as the engine sees it. Filters see `attributes` and the parsed body. */
export interface RabbitmqRecord extends SourceRecord {
  readonly body: Buffer;
  readonly message: AmqpMessage;
}

/** Counters since start, for embedding (the daemon's /metrics carries the engine's). */
export interface RabbitmqStats {
  received: number;
  /** Received, outcome not yet in. */
  inFlight: number;
  acknowledged: number;
  /** Rejected to the queue's own dead-letter exchange (`onFailure: reject`). */
  rejected: number;
  /** Given back to the queue at shutdown (requeued). */
  requeued: number;
  /** Connections the broker accepted (1 + reconnects). */
  connections: number;
}

/** A delivery awaiting its outcome, and the channel (generation) it must be settled on. */
interface Pending {
  message: ConsumeMessage;
  generation: number;
  rejected?: boolean;
}

const STOP_GRACE_MS = 5000;

export class RabbitmqConnector implements Connector<RabbitmqRecord> {
  readonly type = "rabbitmq";
  readonly defaultFormat = "native";
  readonly formats: Readonly<Record<"native" | "rich", PayloadFormat<RabbitmqRecord>>>;
  readonly stats: RabbitmqStats = {
    received: 0,
    inFlight: 0,
    acknowledged: 0,
    rejected: 0,
    requeued: 0,
    connections: 0,
  };
  /** With `onFailure: reject`, dead letters go back to the broker (basic.nack, no requeue). */
  readonly deadLetter?: DeadLetterSink;
  readonly queues: readonly string[];
  private readonly broker: string;
  private readonly connectionName: string;
  private readonly startedAt = Date.now().toString(36);
  private ctx?: ConnectorContext<RabbitmqRecord>;
  private model?: ChannelModel;
  private channel?: Channel;
  private lagChannel?: Promise<Channel>;
  /** Bumped on every connection: deliveries of an older one cannot be acknowledged any more. */
  private generation = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly consumers = new Map<string, string>();
  /** Consumer changes (pause, resume, reconnect, stop) run one after another. */
  private ops: Promise<void> = Promise.resolve();
  private paused = false;
  private stopping = false;
  private reconnectTimer?: NodeJS.Timeout;
  private attempts = 0;
  private urlIndex = 0;
  private lostAt = 0;
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
    const trigger: TriggerInfo = { region: options.region, instanceId: options.instanceId };
    this.formats = {
      native: {
        description:
          "FunctionGraph's DMS-for-RabbitMQ trigger event: {event_version, event_time, trigger_type: RABBITMQ, region, instance_id, records: [{messages: [bodies as text], instance_id, exchange}]}.",
        build: (records) =>
          nativeEvent(
            records.map((r) => r.message),
            trigger,
          ),
      },
      rich: {
        description:
          "The native envelope with one record per message: {id, queue, exchange, routingKey, deliveryTag, redelivered, headers, properties, body, bodyEncoding: text|base64}.",
        build: (records) =>
          richEvent(
            records.map((r) => r.message),
            trigger,
          ),
      },
    };
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
    clearTimeout(this.reconnectTimer);
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
    if (!model) return;
    let timer: NodeJS.Timeout | undefined;
    // Closing the channel first flushes its acknowledgements: they are written in order with
    // channel.close, whereas connection.close could overtake them.
    await Promise.race([
      (channel ? channel.close().catch(() => {}) : Promise.resolve()).then(() =>
        model.close().catch(() => {}),
      ),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, STOP_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  health(): ConnectorHealth {
    const connected = !this.stopping && this.channel !== undefined;
    const state = connected ? "connected to" : this.ctx ? "not connected to" : "not started;";
    const error = !connected && this.lastError ? `; last error: ${this.lastError}` : "";
    return { connected, detail: `${state} ${this.broker}${error}` };
  }

  /** Ready messages in the consumed queues (queue.declare passive), plus those in flight. */
  async lag(): Promise<ConnectorLag> {
    const detail: Record<string, number> = {};
    let total = this.stats.inFlight;
    const model = this.model;
    if (model) {
      try {
        this.lagChannel ??= model.createChannel().then((ch) => {
          ch.on("error", () => {});
          ch.on("close", () => {
            this.lagChannel = undefined;
          });
          return ch;
        });
        const ch = await this.lagChannel;
        for (const q of this.queues) {
          const { messageCount } = await ch.checkQueue(q);
          detail[q] = messageCount;
          total += messageCount;
        }
      } catch {
        this.lagChannel = undefined;
      }
    }
    return { total, detail };
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
      const channel = await model.createChannel();
      channel.on("error", (err: Error) => {
        this.dropReason = reasonOf(err);
        this.lastError = this.dropReason;
      });
      // A channel the broker closed (a deleted queue, a refused command) takes the connection
      // with it, so that the reconnect sets everything up again.
      channel.on("close", () => {
        if (this.channel === channel && !this.stopping) model.close().catch(() => {});
      });
      await this.declare(channel);
      await channel.prefetch(this.options.prefetch, false);
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

  private async declare(ch: Channel): Promise<void> {
    const o = this.options;
    const q = o.queueOptions;
    for (const queue of this.queues) {
      if (o.declare)
        await ch.assertQueue(queue, {
          durable: q.durable,
          autoDelete: q.autoDelete,
          arguments: q.arguments,
        });
      else await ch.checkQueue(queue);
    }
    if (!o.exchange) return;
    if (o.declare) await ch.assertExchange(o.exchange, o.exchangeType, { durable: q.durable });
    else await ch.checkExchange(o.exchange);
    const bound = this.queues[this.queues.length - 1]!;
    for (const key of o.bindingKeys) await ch.bindQueue(bound, o.exchange, key);
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
    const record = this.toRecord(message);
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
    this.lagChannel = undefined;
    this.consumers.clear();
    if (this.stopping) return;
    this.lostAt = Date.now();
    this.attempts = 0;
    const delay = this.nextDelay();
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
    this.scheduleReconnect(delay);
  }

  private nextDelay(): number {
    this.attempts += 1;
    const { minDelayMs, maxDelayMs } = this.options.reconnect;
    const cap = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(this.attempts - 1, 30));
    return Math.round(cap * (0.8 + 0.2 * Math.random()));
  }

  private scheduleReconnect(delay: number): void {
    this.reconnectTimer = setTimeout(() => {
      this.connect(false).then(
        () => {
          this.ctx?.logger.info(
            {
              connector: this.name,
              broker: this.broker,
              downMs: Date.now() - this.lostAt,
              attempts: this.attempts,
            },
            "rabbitmq connection restored",
          );
        },
        (err: unknown) => {
          if (this.stopping) return;
          this.lastError = reasonOf(err);
          this.ctx?.logger.debug({ connector: this.name, err }, "rabbitmq reconnect failed");
          this.scheduleReconnect(this.nextDelay());
        },
      );
    }, delay);
    this.reconnectTimer.unref?.();
  }

  private toRecord(message: AmqpMessage): RabbitmqRecord {
    const p = message.properties;
    const attributes: RecordAttributes = {
      queue: message.queue,
      exchange: message.exchange,
      routingKey: message.routingKey,
      redelivered: message.redelivered,
      headers: jsonOf(p.headers ?? {}),
    };
    if (p.contentType !== undefined) attributes.contentType = p.contentType;
    if (p.messageId !== undefined) attributes.messageId = p.messageId;
    if (p.type !== undefined) attributes.type = p.type;
    return {
      id: message.id,
      source: this.name,
      attributes,
      body: message.body,
      message,
      orderingKey: this.orderingKey(message),
      timestamp: message.receivedAt,
      size: message.body.length + message.routingKey.length,
      traceContext: traceContextOf(p.headers),
    };
  }

  private orderingKey(m: AmqpMessage): string | undefined {
    const o = this.options.ordering;
    if (o === "none") return undefined;
    if (o === "queue") return m.queue;
    if (o === "routingKey") return `${m.queue}/${m.routingKey}`;
    const value = m.properties.headers?.[o.header];
    return value === undefined || value === null ? m.queue : `${m.queue}/${String(value)}`;
  }
}

function toMessage(queue: string, id: string, m: ConsumeMessage): AmqpMessage {
  const p = m.properties;
  const properties: AmqpMessage["properties"] = {};
  for (const key of [
    "contentType",
    "contentEncoding",
    "deliveryMode",
    "priority",
    "correlationId",
    "replyTo",
    "expiration",
    "messageId",
    "timestamp",
    "type",
    "userId",
    "appId",
  ] as const) {
    const v = p[key];
    if (v !== undefined && v !== null) (properties as Record<string, unknown>)[key] = v;
  }
  if (p.headers && Object.keys(p.headers).length > 0) properties.headers = p.headers;
  return {
    id,
    queue,
    exchange: m.fields.exchange,
    routingKey: m.fields.routingKey,
    deliveryTag: m.fields.deliveryTag,
    redelivered: m.fields.redelivered,
    body: m.content,
    properties,
    receivedAt: Date.now(),
  };
}
