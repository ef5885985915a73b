/**
 * The MqttLink over mqtt.js: the one file that touches mqtt.js and its internals — the
 * `_sendPacket` interception that holds acknowledgements back, the reconnect backoff, the
 * PUBACK writer and the receive-maximum check.
 */
import { lazyRequire, reconnectDelayMs } from "@fgconnect/core/internal";
import type * as MqttJs from "mqtt";
import type { IPublishPacket, MqttClient, Packet } from "mqtt";
import type { AckPacket } from "../acks.js";
import { brokerDisconnectReason, connectError } from "../errors.js";
import type { ResolvedMqttOptions } from "../options.js";
import type { MqttMessage, Qos } from "../payload.js";
import { clientOptions } from "./options.js";
import { PubackWriter } from "./puback-writer.js";
import { acceptQos2PastReceiveMaximum } from "./receive-maximum.js";
import type { LinkEvents, MqttLink, PublishOptions } from "./types.js";

const mqttJs = lazyRequire<typeof MqttJs>("mqtt", import.meta.url);

/** mqtt.js's packet writer: the one private member used, to hold back acknowledgements. */
type SendPacket = (
  packet: AckPacket,
  cb?: (err?: Error) => void,
  cbStorePut?: unknown,
  noStore?: unknown,
) => void;

export class MqttjsLink implements MqttLink {
  private readonly client: MqttClient;
  private readonly pubacks = new PubackWriter();
  private readonly send: SendPacket;
  private stopping = false;
  private reconnects = 0;
  /** Why the current connection ended, for the one warning an outage logs. */
  private dropReason?: string;
  private lostAt = 0;

  constructor(
    clientId: string,
    private readonly options: ResolvedMqttOptions,
    private readonly connector: string,
    private readonly broker: string,
    private readonly events: LinkEvents,
    holdAck: (ack: AckPacket) => boolean,
  ) {
    const client = mqttJs().connect(clientOptions(clientId, options));
    this.client = client;
    const internals = client as unknown as { _sendPacket: SendPacket };
    this.send = internals._sendPacket.bind(client);
    internals._sendPacket = (packet, cb, cbStorePut, noStore) => {
      if (holdAck(packet)) return this.send(packet, cb, cbStorePut, noStore);
      // Kept for later: tell mqtt.js it is done so that it reads the next packet.
      cb?.();
    };
    acceptQos2PastReceiveMaximum(client);
    client.on("packetreceive", (packet: Packet) => this.onPacket(packet));
    client.prependListener("close", () => this.onClose());
    client.on("error", (err) => {
      this.dropReason ??= err.message;
      events.error(err);
    });
    client.on("disconnect", (packet) => {
      this.dropReason = brokerDisconnectReason(packet.reasonCode, packet.properties?.reasonString);
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  ready(): Promise<void> {
    const client = this.client;
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
        // From now on a connection is a reconnect.
        client.on("connect", () => this.onReconnect());
        resolve();
      };
      const fail = (err: unknown) => {
        done();
        reject(connectError(this.connector, this.broker, err));
      };
      client.once("connect", ok);
      client.once("error", fail);
    });
  }

  async subscribe(
    filters: Record<string, { qos: Qos }>,
  ): Promise<{ topic: string; code: number }[]> {
    const granted = await this.client.subscribeAsync(filters);
    return granted.filter((g) => g.qos >= 0x80).map((g) => ({ topic: g.topic, code: g.qos }));
  }

  async publish(topic: string, payload: Buffer | string, options: PublishOptions): Promise<void> {
    await this.client.publishAsync(topic, payload, options);
  }

  writeAck(ack: AckPacket): void {
    if (ack.cmd === "puback" && !ack.reasonCode && !ack.properties)
      this.pubacks.push(this.client, ack);
    else {
      this.pubacks.flush();
      this.send(ack);
    }
  }

  flushAcks(): void {
    this.pubacks.flush();
  }

  async end(graceMs: number): Promise<void> {
    this.stopping = true;
    const client = this.client;
    // A graceful end flushes the acknowledgements just released, then sends DISCONNECT.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.endAsync(false),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          client.end(true);
          resolve();
        }, graceMs);
      }),
    ]).catch(() => client.end(true));
    clearTimeout(timer);
  }

  destroy(): void {
    this.stopping = true;
    this.client.end(true);
  }

  private onPacket(packet: Packet): void {
    if (packet.cmd === "connack") {
      const code = packet.reasonCode ?? packet.returnCode ?? 0;
      if (code === 0) {
        this.dropReason = undefined;
        this.events.connected(packet.sessionPresent);
      }
      return;
    }
    if (packet.cmd === "publish") this.events.message(toMessage(packet), packet.messageId);
  }

  private onReconnect(): void {
    this.events.restored(Date.now() - this.lostAt, this.reconnects);
    this.reconnects = 0;
  }

  /** Backoff with jitter between reconnect attempts, read by mqtt.js right after this listener. */
  private onClose(): void {
    this.events.closed();
    if (this.stopping) return;
    this.reconnects += 1;
    this.client.options.reconnectPeriod = reconnectDelayMs(this.reconnects, this.options.reconnect);
    if (this.reconnects === 1) {
      this.lostAt = Date.now();
      this.events.lost(
        this.dropReason ?? "the broker closed the connection",
        this.client.options.reconnectPeriod,
      );
    }
  }
}

function toMessage(packet: IPublishPacket): MqttMessage {
  const topic = packet.topic.toString();
  const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
  const qos = packet.qos as Qos;
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
