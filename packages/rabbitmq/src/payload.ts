/**
 * The events a function receives for RabbitMQ messages. Pure functions only.
 *
 * `native` is FunctionGraph's DMS-for-RabbitMQ trigger event, so a function written for that
 * trigger runs unchanged: bodies as strings in `messages`, grouped by exchange. `rich` keeps
 * what AMQP knows of each message (routing key, headers, properties, redelivery) and the
 * record id that partial batch results name.
 */
import { isUtf8 } from "node:buffer";
import type { JsonValue } from "@fgconnect/core";

/** AMQP message properties, as amqplib reads them (all optional). */
export interface AmqpProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: Record<string, unknown>;
  deliveryMode?: number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string;
  messageId?: string;
  /** Seconds since the epoch, as AMQP's timestamp property. */
  timestamp?: number;
  type?: string;
  userId?: string;
  appId?: string;
}

/** One delivered message, as read from the broker. */
export interface AmqpMessage {
  /** The record id the engine knows it by. */
  id: string;
  queue: string;
  exchange: string;
  routingKey: string;
  deliveryTag: number;
  redelivered: boolean;
  body: Buffer;
  properties: AmqpProperties;
  /** When it was received, epoch ms. */
  receivedAt: number;
}

/** What the native event says of the trigger. */
export interface TriggerInfo {
  region: string;
  instanceId: string;
}

export interface RabbitmqNativeEvent {
  event_version: "v1.0";
  /** Epoch seconds of the latest message's receipt (a number, as the Kafka trigger). */
  event_time: number;
  trigger_type: "RABBITMQ";
  region: string;
  instance_id: string;
  records: { messages: string[]; instance_id: string; exchange: string }[];
}

/** How a rich record's `body` is written: UTF-8 text, or base64 of the bytes. */
export type BodyEncoding = "text" | "base64";

export interface RabbitmqRichRecord {
  id: string;
  queue: string;
  exchange: string;
  routingKey: string;
  deliveryTag: number;
  redelivered: boolean;
  headers: { [key: string]: JsonValue };
  properties: { [key: string]: JsonValue };
  body: string;
  bodyEncoding: BodyEncoding;
}

export interface RabbitmqRichEvent {
  event_version: "v1.0";
  event_time: number;
  trigger_type: "RABBITMQ";
  region: string;
  instance_id: string;
  records: RabbitmqRichRecord[];
}

const eventTime = (messages: readonly AmqpMessage[]): number =>
  Math.floor(messages.reduce((t, m) => Math.max(t, m.receivedAt), 0) / 1000);

/**
 * FunctionGraph's DMS-for-RabbitMQ trigger event: one entry in `records` per exchange (in order
 * of first appearance) carrying the bodies as strings. `instance_id` is written at both levels,
 * since the published samples disagree on where it is. Record ids are not carried: the shape is
 * FunctionGraph's; use `rich` for partial batch results.
 */
export function nativeEvent(
  messages: readonly AmqpMessage[],
  trigger: TriggerInfo,
): RabbitmqNativeEvent {
  const byExchange = new Map<string, string[]>();
  for (const m of messages) {
    const list = byExchange.get(m.exchange) ?? [];
    byExchange.set(m.exchange, list);
    list.push(m.body.toString("utf8"));
  }
  return {
    event_version: "v1.0",
    event_time: eventTime(messages),
    trigger_type: "RABBITMQ",
    region: trigger.region,
    instance_id: trigger.instanceId,
    records: [...byExchange].map(([exchange, list]) => ({
      messages: list,
      instance_id: trigger.instanceId,
      exchange,
    })),
  };
}

/** A header or property value as JSON: bytes as base64, big integers as strings. */
export function jsonOf(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value.toString("base64");
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map(jsonOf);
  if (typeof value === "object") {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonOf(v);
    return out;
  }
  return String(value);
}

export function richRecord(m: AmqpMessage): RabbitmqRichRecord {
  const { headers, ...rest } = m.properties;
  const properties: { [key: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) properties[k] = jsonOf(v);
  const text = isUtf8(m.body);
  return {
    id: m.id,
    queue: m.queue,
    exchange: m.exchange,
    routingKey: m.routingKey,
    deliveryTag: m.deliveryTag,
    redelivered: m.redelivered,
    headers: (jsonOf(headers ?? {}) as { [key: string]: JsonValue }) ?? {},
    properties,
    body: m.body.toString(text ? "utf8" : "base64"),
    bodyEncoding: text ? "text" : "base64",
  };
}

/** The `rich` format: the native envelope, one record per message with all AMQP knows of it. */
export function richEvent(
  messages: readonly AmqpMessage[],
  trigger: TriggerInfo,
): RabbitmqRichEvent {
  return {
    event_version: "v1.0",
    event_time: eventTime(messages),
    trigger_type: "RABBITMQ",
    region: trigger.region,
    instance_id: trigger.instanceId,
    records: messages.map(richRecord),
  };
}
