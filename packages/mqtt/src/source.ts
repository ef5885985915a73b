/**
 * The MQTT source: the only file that talks to mqtt.js. It subscribes, turns each PUBLISH into
 * a record, and lets AckGate hold the broker's acknowledgement until the engine's outcome.
 */

import { createRequire } from "node:module";
import type {
  Connector,
  ConnectorContext,
  ConnectorHealth,
  ConnectorLag,
  DeadLetterSink,
  InvokeResult,
  PayloadFormat,
  RecordAttributes,
  RecordOutcome,
  SourceRecord,
} from "@fgconnect/core";
import { traceContextOf } from "@fgconnect/core";
import type * as MqttJs from "mqtt";
import type { IClientPublishOptions, IPublishPacket, MqttClient, Packet } from "mqtt";
import { AckGate, type AckPacket, type Held } from "./acks.js";
import { clientIdentity, persistentSession } from "./client-id.js";
import { brokerUrls, clientOptions } from "./client-options.js";
import { mqttDeadLetterSink } from "./dead-letter.js";
import {
  brokerDisconnectReason,
  connectError,
  publishError,
  redactUrl,
  subscribeError,
} from "./errors.js";
import { mqttEventJson } from "./event-json.js";
import type { ResolvedMqttOptions } from "./options.js";
import { type MqttMessage, type Qos, rawEvent } from "./payload.js";
import { PubackWriter } from "./puback-writer.js";
import { acceptQos2PastReceiveMaximum } from "./receive-maximum.js";
import { responseOf } from "./response.js";

// Loaded on first use: a daemon without an MQTT connector never holds mqtt.js in memory.
let loaded: typeof MqttJs | undefined;
const mqttJs = (): typeof MqttJs => {
  loaded ??= createRequire(import.meta.url)("mqtt") as typeof MqttJs;
  return loaded;
};

/** A received message, as the engine sees it. Filters see `attributes` and the parsed body. */
export interface MqttRecord extends SourceRecord {
  readonly body: Buffer;
  readonly message: MqttMessage;
}

/** Counters since start; the daemon's /metrics carries the engine's, these are for embedding. */
export interface MqttStats {
  received: number;
  /** Received, outcome not yet in. */
  inFlight: number;
  /** Delivered or dead-lettered; the broker's acknowledgement follows in arrival order. */
  acknowledged: number;
  /** Redeliveries of messages already being delivered or already handled: not pushed again. */
  redeliveries: number;
  /** Connections the broker accepted (1 + reconnects). */
  connections: number;
  /** QoS 0 messages pushed while the engine had asked to pause (nothing makes the broker wait). */
  qos0WhilePaused: number;
}

export interface PublishOptions {
  qos: Qos;
  retain?: boolean;
  properties?: IClientPublishOptions["properties"];
}

/** mqtt.js's packet writer: the one private member used, to hold back acknowledgements. */
type SendPacket = (
  packet: AckPacket,
  cb?: (err?: Error) => void,
  cbStorePut?: unknown,
  noStore?: unknown,
) => void;

const STOP_GRACE_MS = 5000;

export class MqttConnector implements Connector<MqttRecord> {
  readonly type = "mqtt";
  readonly defaultFormat = "mqtt";
  readonly formats: Readonly<Record<"mqtt" | "raw", PayloadFormat<MqttRecord>>>;
  readonly stats: MqttStats = {
    received: 0,
    inFlight: 0,
    acknowledged: 0,
    redeliveries: 0,
    connections: 0,
    qos0WhilePaused: 0,
  };
  private client?: MqttClient;
  private ctx?: ConnectorContext<MqttRecord>;
  private gate?: AckGate;
  private readonly pubacks = new PubackWriter();
  /** Set by the `deadLetter` option: the engine writes this connector's dead letters here. */
  readonly deadLetter?: DeadLetterSink;
  private readonly broker: string;
  private subscribed = false;
  private paused = false;
  private warnedPaused = false;
  private stopping = false;
  private reconnects = 0;
  private lastError?: string;
  /** Why the current connection ended, for the one warning an outage logs. */
  private dropReason?: string;
  private lostAt = 0;
  private seq = 0;
  /** QoS 1/2 messages handed to the engine and not yet settled: at most `receiveMaximum`. */
  private windowUsed = 0;
  private readonly waiting: { record: MqttRecord; held: Held }[] = [];

  constructor(
    readonly name: string,
    readonly options: ResolvedMqttOptions,
  ) {
    this.broker = brokerUrls(options).map(redactUrl).join(", ");
    this.formats = {
      mqtt: {
        description:
          "fgconnect's MQTT trigger event: {event_version, event_time, trigger_type: MQTT, trigger_name, records: [{topic, payload, encoding, qos, retain, properties}]}.",
        build: (records) =>
          mqttEventJson(
            this.name,
            records.map((r) => ({ message: r.message, receivedAt: r.timestamp })),
          ),
      },
      raw: {
        description:
          "The message payload alone: JSON as is, else text, else base64; a batch becomes an array.",
        build: (records) => rawEvent(records.map((r) => r.message)),
      },
    };
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
    const client = mqttJs().connect(clientOptions(clientId, this.options));
    this.client = client;
    this.holdAcknowledgements(client);
    acceptQos2PastReceiveMaximum(client);
    client.on("packetreceive", (packet: Packet) => this.onPacket(packet));
    client.prependListener("close", () => this.onClose(client));
    client.on("error", (err) => this.onError(err));
    client.on("disconnect", (packet) => {
      this.dropReason = brokerDisconnectReason(packet.reasonCode, packet.properties?.reasonString);
    });
    try {
      await this.firstConnect(client);
      await this.subscribe(client);
    } catch (err) {
      this.stopping = true;
      client.end(true);
      throw err;
    }
    client.on("connect", () => {
      ctx.logger.info(
        {
          connector: this.name,
          broker: this.broker,
          downMs: Date.now() - this.lostAt,
          attempts: this.reconnects,
        },
        "mqtt connection restored",
      );
      this.reconnects = 0;
    });
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
    this.pubacks.flush();
    const client = this.client;
    if (!client) return;
    // A graceful end flushes the acknowledgements just released, then sends DISCONNECT.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.endAsync(false),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          client.end(true);
          resolve();
        }, STOP_GRACE_MS);
      }),
    ]).catch(() => client.end(true));
    clearTimeout(timer);
  }

  health(): ConnectorHealth {
    const connected = this.subscribed && !this.stopping && this.client?.connected === true;
    const state = connected ? "connected to" : this.client ? "not connected to" : "not started;";
    const error = !connected && this.lastError ? `; last error: ${this.lastError}` : "";
    return { connected, detail: `${state} ${this.broker}${error}` };
  }

  /** Messages received and not yet acknowledged: the broker still holds them. */
  async lag(): Promise<ConnectorLag> {
    return { total: this.stats.inFlight };
  }

  /** Publishes through this connector's connection; resolves once the broker has it (QoS 1/2). */
  async publish(topic: string, payload: Buffer | string, options: PublishOptions): Promise<void> {
    const client = this.client;
    if (!client) throw publishError(this.name, topic, new Error("the connector is not started"));
    try {
      await client.publishAsync(topic, payload, options);
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

  private holdAcknowledgements(client: MqttClient): void {
    const internals = client as unknown as { _sendPacket: SendPacket };
    const send = internals._sendPacket.bind(client);
    const gate = new AckGate((ack) => {
      if (ack.cmd === "puback" && !ack.reasonCode && !ack.properties)
        this.pubacks.push(client, ack);
      else {
        this.pubacks.flush();
        send(ack);
      }
    });
    this.gate = gate;
    internals._sendPacket = (packet, cb, cbStorePut, noStore) => {
      if (gate.onAck(packet)) return send(packet, cb, cbStorePut, noStore);
      // Kept for later: tell mqtt.js it is done so that it reads the next packet.
      cb?.();
    };
  }

  private firstConnect(client: MqttClient): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new Error(`no answer within ${this.options.connectTimeoutMs} ms`)),
        this.options.connectTimeoutMs,
      );
      const done = () => {
        clearTimeout(timer);
        client.off("connect", ok);
        client.off("error", fail);
      };
      const ok = () => {
        done();
        resolve();
      };
      const fail = (err: unknown) => {
        done();
        reject(connectError(this.name, this.broker, err));
      };
      client.once("connect", ok);
      client.once("error", fail);
    });
  }

  private async subscribe(client: MqttClient): Promise<void> {
    const granted = await client.subscribeAsync(
      Object.fromEntries(this.options.topics.map((t) => [t.filter, { qos: t.qos }])),
    );
    const refused = granted
      .filter((g) => g.qos >= 0x80)
      .map((g) => ({ topic: g.topic, code: g.qos }));
    if (refused.length > 0) throw subscribeError(this.name, refused);
    this.subscribed = true;
  }

  private onPacket(packet: Packet): void {
    if (packet.cmd === "connack") {
      const code = packet.reasonCode ?? packet.returnCode ?? 0;
      if (code === 0) {
        this.stats.connections += 1;
        this.dropReason = undefined;
        this.gate?.connected(packet.sessionPresent);
      }
      return;
    }
    if (packet.cmd === "publish") this.onPublish(packet);
  }

  private onClose(client: MqttClient): void {
    this.gate?.disconnected();
    if (this.stopping) return;
    this.reconnects += 1;
    const { minDelayMs, maxDelayMs } = this.options.reconnect;
    const cap = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(this.reconnects - 1, 30));
    // Read by mqtt.js when it arms the reconnect timer, right after this listener.
    client.options.reconnectPeriod = Math.round(cap * (0.8 + 0.2 * Math.random()));
    if (this.reconnects === 1) {
      this.lostAt = Date.now();
      this.ctx?.logger.warn(
        {
          connector: this.name,
          broker: this.broker,
          reason: this.dropReason ?? "the broker closed the connection",
          retryInMs: client.options.reconnectPeriod,
        },
        "mqtt connection lost; reconnecting (unacknowledged messages will be redelivered)",
      );
    }
  }

  /** An ordinary fault (a broker going away): health shows it; its stack only at debug level. */
  private onError(err: Error): void {
    this.lastError = err.message;
    this.dropReason ??= err.message;
    this.ctx?.logger.debug({ connector: this.name, broker: this.broker, err }, "mqtt client error");
  }

  private onPublish(packet: IPublishPacket): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const topic = packet.topic.toString();
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const qos = packet.qos as Qos;
    let held: Held | undefined;
    if (qos > 0 && packet.messageId !== undefined) {
      held = this.gate?.received(packet.messageId, topic, payload, packet.dup);
      if (!held) {
        this.stats.redeliveries += 1;
        return;
      }
    }
    if (qos === 0 && this.paused) this.qos0WhilePaused(ctx);
    const message = toMessage(packet, topic, payload, qos);
    const record = this.toRecord(message);
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

  private toRecord(message: MqttMessage): MqttRecord {
    const receivedAt = Date.now();
    const attributes: RecordAttributes = {
      topic: message.topic,
      qos: message.qos,
      retain: message.retain,
    };
    const p = message.properties;
    if (p) {
      if (p.contentType !== undefined) attributes.contentType = p.contentType;
      if (p.responseTopic !== undefined) attributes.responseTopic = p.responseTopic;
      if (p.userProperties !== undefined) attributes.userProperties = p.userProperties;
    }
    return {
      id: `${message.topic}#${receivedAt}.${++this.seq}`,
      source: this.name,
      attributes,
      body: message.payload,
      message,
      orderingKey: this.options.ordering === "topic" ? message.topic : undefined,
      timestamp: receivedAt,
      size: message.payload.length + message.topic.length,
      traceContext: traceContextOf(p?.userProperties),
    };
  }
}

function toMessage(packet: IPublishPacket, topic: string, payload: Buffer, qos: Qos): MqttMessage {
  const message: MqttMessage = { topic, payload, qos, retain: packet.retain, dup: packet.dup };
  const p = packet.properties;
  if (p) {
    const props: NonNullable<MqttMessage["properties"]> = {};
    if (p.contentType !== undefined) props.contentType = p.contentType;
    if (p.userProperties !== undefined) props.userProperties = p.userProperties;
    if (p.responseTopic !== undefined) props.responseTopic = p.responseTopic;
    if (p.correlationData !== undefined) props.correlationData = Buffer.from(p.correlationData);
    if (p.messageExpiryInterval !== undefined)
      props.messageExpiryInterval = p.messageExpiryInterval;
    if (p.payloadFormatIndicator !== undefined)
      props.payloadFormatIndicator = p.payloadFormatIndicator;
    if (Object.keys(props).length > 0) message.properties = props;
  }
  return message;
}
