/**
 * The small surface of an MQTT client that the connector needs. Only this folder knows the
 * client library (mqtt.js) and the internals it reaches into, so it can be swapped.
 */
import type { IClientPublishOptions } from "mqtt";
import type { AckPacket } from "../acks.js";
import type { MqttMessage, Qos } from "../payload.js";

export interface PublishOptions {
  qos: Qos;
  retain?: boolean;
  properties?: IClientPublishOptions["properties"];
}

export interface LinkEvents {
  /** The broker accepted a connection (the first or a reconnect). */
  connected(sessionPresent: boolean): void;
  /** The connection closed, stopping or not. */
  closed(): void;
  /** The first close of an outage: why, and when the first attempt to reconnect comes. */
  lost(reason: string, retryInMs: number): void;
  /** Connected again after `attempts` attempts, `downMs` after the loss. */
  restored(downMs: number, attempts: number): void;
  /** A client error: an ordinary fault (a broker going away). */
  error(err: Error): void;
  /** A PUBLISH; `messageId` for QoS 1/2. */
  message(message: MqttMessage, messageId: number | undefined): void;
}

export interface MqttLink {
  readonly connected: boolean;
  /** Resolves on the first connection; rejects with a typed error after `connectTimeoutMs`. */
  ready(): Promise<void>;
  /** Subscribes; returns the filters the broker refused, with their reason codes. */
  subscribe(filters: Record<string, { qos: Qos }>): Promise<{ topic: string; code: number }[]>;
  /** Resolves once the broker has it (QoS 1/2). */
  publish(topic: string, payload: Buffer | string, options: PublishOptions): Promise<void>;
  /** Sends an acknowledgement that was held back. */
  writeAck(ack: AckPacket): void;
  /** Writes the PUBACKs pending now. */
  flushAcks(): void;
  /** Sends what is queued and DISCONNECT; drops the connection after `graceMs` at the latest. */
  end(graceMs: number): Promise<void>;
  /** Drops the connection now. */
  destroy(): void;
}
