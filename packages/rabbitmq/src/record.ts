/** A received AMQP delivery, as read and as the engine sees it. */
import {
  type JsonValue,
  type RecordAttributes,
  type SourceRecord,
  traceContextOf,
} from "@fgconnect/core";
import type { ConsumeMessage } from "amqplib";
import type { ResolvedRabbitmqOptions } from "./options.js";
import { type AmqpMessage, type AmqpProperties, jsonOf } from "./payload.js";

/** A received message, as the engine sees it. Filters see `attributes` and the parsed body. */
export interface RabbitmqRecord extends SourceRecord {
  readonly body: Buffer;
  readonly message: AmqpMessage;
}

export function toRecord(
  source: string,
  message: AmqpMessage,
  ordering: ResolvedRabbitmqOptions["ordering"],
): RabbitmqRecord {
  const p = message.properties;
  // Every property but headers; amqplib reads them as strings and numbers, JSON already.
  const properties: { [key: string]: JsonValue } = {};
  for (const key in p) {
    if (key === "headers") continue;
    const v = p[key as keyof AmqpProperties];
    if (v === undefined) continue;
    properties[key] =
      typeof v === "string" || Number.isFinite(v) ? (v as string | number) : jsonOf(v);
  }
  // Everything the payload formats read, so that a dead letter can be replayed as it was.
  const attributes: RecordAttributes = {
    queue: message.queue,
    exchange: message.exchange,
    routingKey: message.routingKey,
    redelivered: message.redelivered,
    deliveryTag: message.deliveryTag,
    headers: jsonOf(p.headers ?? {}),
    properties,
  };
  if (p.contentType !== undefined) attributes.contentType = p.contentType;
  if (p.messageId !== undefined) attributes.messageId = p.messageId;
  if (p.type !== undefined) attributes.type = p.type;
  return {
    id: message.id,
    source,
    attributes,
    body: message.body,
    message,
    orderingKey: orderingKey(message, ordering),
    timestamp: message.receivedAt,
    size: message.body.length + message.routingKey.length,
    traceContext: traceContextOf(p.headers),
  };
}

function orderingKey(m: AmqpMessage, o: ResolvedRabbitmqOptions["ordering"]): string | undefined {
  if (o === "none") return undefined;
  if (o === "queue") return m.queue;
  if (o === "routingKey") return `${m.queue}/${m.routingKey}`;
  const value = m.properties.headers?.[o.header];
  return value === undefined || value === null ? m.queue : `${m.queue}/${String(value)}`;
}

export function toMessage(queue: string, id: string, m: ConsumeMessage): AmqpMessage {
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
