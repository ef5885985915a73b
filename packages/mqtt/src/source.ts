/**
 * The MQTT source: subscribes through its link (client/), turns each PUBLISH into a record, and
 * lets AckGate hold the broker's acknowledgement until the engine's outcome.
 */
import type {
  Connector,
  ConnectorContext,
  ConnectorHealth,
  ConnectorLag,
  DeadLetterSink,
  InvokeResult,
  PayloadFormat,
  RecordOutcome,
} from "@fgconnect/core";
import { type BrokerStats, brokerStats, STOP_GRACE_MS } from "@fgconnect/core/internal";
import { AckGate, type Held } from "./acks.js";
import { MqttjsLink } from "./client/mqttjs.js";
import { brokerUrls } from "./client/options.js";
import type { MqttLink, PublishOptions } from "./client/types.js";
import { clientIdentity, persistentSession } from "./client-id.js";
import { mqttDeadLetterSink } from "./dead-letter.js";
import { publishError, redactUrl, subscribeError } from "./errors.js";
import { mqttFormats } from "./formats.js";
import type { ResolvedMqttOptions } from "./options.js";
import type { MqttMessage } from "./payload.js";
import { type MqttRecord, toRecord } from "./record.js";
import { responseOf } from "./response.js";

export type { PublishOptions } from "./client/types.js";
export type { MqttRecord } from "./record.js";

/** Counters since start; acknowledgements follow in arrival order. */
export interface MqttStats extends BrokerStats {
  /** Redeliveries of messages already being delivered or already handled: not pushed again. */
  redeliveries: number;
  /** QoS 0 messages pushed while the engine had asked to pause (nothing makes the broker wait). */
  qos0WhilePaused: number;
}

export class MqttConnector implements Connector<MqttRecord> {
  readonly type = "mqtt";
  readonly defaultFormat = "mqtt";
  readonly formats: Readonly<Record<"mqtt" | "raw", PayloadFormat<MqttRecord>>>;
  readonly stats: MqttStats = { ...brokerStats(), redeliveries: 0, qos0WhilePaused: 0 };
  private link?: MqttLink;
  private ctx?: ConnectorContext<MqttRecord>;
  private gate?: AckGate;
  /** Set by the `deadLetter` option: the engine writes this connector's dead letters here. */
  readonly deadLetter?: DeadLetterSink;
  private readonly broker: string;
  private subscribed = false;
  private paused = false;
  private warnedPaused = false;
  private stopping = false;
  private lastError?: string;
  private seq = 0;
  /** QoS 1/2 messages handed to the engine and not yet settled: at most `receiveMaximum`. */
  private windowUsed = 0;
  private readonly waiting: { record: MqttRecord; held: Held }[] = [];

  constructor(
    readonly name: string,
    readonly options: ResolvedMqttOptions,
  ) {
    this.broker = brokerUrls(options).map(redactUrl).join(", ");
    this.formats = mqttFormats(name);
    // Publishes through this connector's connection, so it opens with start() and closes with stop().
    if (options.deadLetter)
      this.deadLetter = mqttDeadLetterSink(
        (topic, payload, o) => this.publish(topic, payload, o),
        options,
        options.deadLetter,
      );
  }

  async start(ctx: ConnectorContext<MqttRecord>): Promise<void> {
    this.ctx = ctx;
    const { clientId, changes } = clientIdentity(this.name, this.options);
    if (changes && persistentSession(this.options)) {
      ctx.logger.warn(
        { connector: this.name, clientId, why: changes },
        "the default mqtt client id changes when this replica restarts, which leaves its persistent session (and the messages queued in it) behind; set FGCONNECT_REPLICA_ID to a stable name per replica (a StatefulSet pod name), or clientId",
      );
    }
    const gate = new AckGate((ack) => link.writeAck(ack));
    this.gate = gate;
    const link: MqttLink = new MqttjsLink(
      clientId,
      this.options,
      this.name,
      this.broker,
      {
        connected: (sessionPresent) => {
          this.stats.connections += 1;
          gate.connected(sessionPresent);
        },
        closed: () => gate.disconnected(),
        lost: (reason, retryInMs) =>
          ctx.logger.warn(
            { connector: this.name, broker: this.broker, reason, retryInMs },
            "mqtt connection lost; reconnecting (unacknowledged messages will be redelivered)",
          ),
        restored: (downMs, attempts) =>
          ctx.logger.info(
            { connector: this.name, broker: this.broker, downMs, attempts },
            "mqtt connection restored",
          ),
        error: (err) => this.onError(err),
        message: (message, messageId) => this.onMessage(message, messageId),
      },
      (ack) => gate.onAck(ack),
    );
    this.link = link;
    try {
      await link.ready();
      await this.subscribe(link);
    } catch (err) {
      this.stopping = true;
      link.destroy();
      throw err;
    }
    ctx.logger.info(
      {
        connector: this.name,
        broker: this.broker,
        clientId,
        topics: this.options.topics.map((t) => t.filter),
      },
      "mqtt connector subscribed",
    );
  }

  /**
   * Reading goes on while paused: the same socket brings the acknowledgements of our own
   * publishes (responses, dead letters) that deliveries wait for, and the keepalive's answers.
   * QoS 1/2 is bounded by the broker's in-flight window, since acknowledgements wait for
   * delivery; QoS 0 is not (README, "Flow control"), so it is counted and logged.
   */
  pause(): void {
    this.paused = true;
    this.warnedPaused = false;
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // Never delivered: left unacknowledged, so the broker sends them again.
    for (const w of this.waiting.splice(0)) this.gate?.settle(w.held, "abandoned");
    const link = this.link;
    if (!link) return;
    link.flushAcks();
    await link.end(STOP_GRACE_MS);
  }

  health(): ConnectorHealth {
    const connected = this.subscribed && !this.stopping && this.link?.connected === true;
    const state = connected ? "connected to" : this.link ? "not connected to" : "not started;";
    const error = !connected && this.lastError ? `; last error: ${this.lastError}` : "";
    return { connected, detail: `${state} ${this.broker}${error}` };
  }

  /** Messages received and not yet acknowledged: the broker still holds them. */
  async lag(): Promise<ConnectorLag> {
    return { total: this.stats.inFlight };
  }

  /** Publishes through this connector's connection; resolves once the broker has it (QoS 1/2). */
  async publish(topic: string, payload: Buffer | string, options: PublishOptions): Promise<void> {
    const link = this.link;
    if (!link) throw publishError(this.name, topic, new Error("the connector is not started"));
    try {
      await link.publish(topic, payload, options);
    } catch (err) {
      throw publishError(this.name, topic, err);
    }
  }

  /**
   * MQTT 5 request/response (`respond` option): after a sync invocation of `records` returned,
   * publishes its result to the response topic of each record that has one, with that record's
   * correlation data. The engine counts the records delivered (and they are acknowledged) only
   * once this resolves; a failed publish rejects, which fails the attempt (retried).
   */
  async onResult(records: readonly MqttRecord[], result: InvokeResult): Promise<void> {
    const respond = this.options.respond;
    if (!respond) return;
    let body: ReturnType<typeof responseOf> | undefined;
    const sends: Promise<void>[] = [];
    for (const r of records) {
      const p = r.message.properties;
      if (!p?.responseTopic) continue;
      body ??= responseOf(result);
      sends.push(
        this.publish(p.responseTopic, body.payload, {
          qos: respond.qos,
          properties: {
            ...(p.correlationData ? { correlationData: p.correlationData } : {}),
            ...(body.contentType ? { contentType: body.contentType } : {}),
          },
        }),
      );
    }
    await Promise.all(sends);
  }

  private async subscribe(link: MqttLink): Promise<void> {
    const refused = await link.subscribe(
      Object.fromEntries(this.options.topics.map((t) => [t.filter, { qos: t.qos }])),
    );
    if (refused.length > 0) throw subscribeError(this.name, refused);
    this.subscribed = true;
  }

  /** An ordinary fault (a broker going away): health shows it; its stack only at debug level. */
  private onError(err: Error): void {
    this.lastError = err.message;
    this.ctx?.logger.debug({ connector: this.name, broker: this.broker, err }, "mqtt client error");
  }

  private onMessage(message: MqttMessage, messageId: number | undefined): void {
    const ctx = this.ctx;
    if (!ctx) return;
    let held: Held | undefined;
    if (message.qos > 0 && messageId !== undefined) {
      held = this.gate?.received(messageId, message.topic, message.payload, message.dup);
      if (!held) {
        this.stats.redeliveries += 1;
        return;
      }
    }
    if (message.qos === 0 && this.paused) this.qos0WhilePaused(ctx);
    const record = toRecord(this.name, message, this.options.ordering, ++this.seq);
    this.stats.received += 1;
    // Mosquitto overshoots the receive maximum while it drains a backlog: what it sends past
    // the window waits here, unacknowledged and not yet delivered, so a crash repeats at most
    // a window of messages the function already had.
    if (held && (this.waiting.length > 0 || this.windowUsed >= this.options.receiveMaximum)) {
      this.waiting.push({ record, held });
      return;
    }
    this.deliver(ctx, record, held);
  }

  private deliver(ctx: ConnectorContext<MqttRecord>, record: MqttRecord, held?: Held): void {
    this.stats.inFlight += 1;
    if (held) this.windowUsed += 1;
    void ctx.push(record).then((outcome: RecordOutcome) => {
      this.stats.inFlight -= 1;
      if (outcome !== "abandoned") this.stats.acknowledged += 1;
      if (held) {
        this.windowUsed -= 1;
        this.gate?.settle(held, outcome);
      }
      while (this.waiting.length > 0 && this.windowUsed < this.options.receiveMaximum) {
        const next = this.waiting.shift()!;
        this.deliver(ctx, next.record, next.held);
      }
    });
  }

  private qos0WhilePaused(ctx: ConnectorContext<MqttRecord>): void {
    this.stats.qos0WhilePaused += 1;
    if (this.warnedPaused) return;
    this.warnedPaused = true;
    ctx.logger.warn(
      { connector: this.name, broker: this.broker },
      "QoS 0 messages keep arriving while delivery is behind; they are buffered in memory (subscribe with QoS 1 to let the broker hold them)",
    );
  }
}
