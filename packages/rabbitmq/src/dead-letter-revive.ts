/**
 * A RabbitMQ record back from its dead letter, for `fgconnect dlq replay`: the attributes hold
 * the delivery's fields and its properties as JSON (header and property bytes in base64, as the
 * `rich` format writes them anyway), the entry holds the body's bytes.
 */
import { type DeadLetterEntry, reviveRecord, traceContextOf } from "@fgconnect/core";
import type { AmqpMessage, AmqpProperties } from "./payload.js";
import type { RabbitmqRecord } from "./record.js";

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function reviveRabbitmqRecord(entry: DeadLetterEntry): RabbitmqRecord {
  const plain = reviveRecord(entry);
  const a = plain.attributes;
  const body = Buffer.isBuffer(plain.body) ? plain.body : Buffer.from(JSON.stringify(plain.body));
  // Entries written before `properties` was an attribute have only these three.
  const properties: AmqpProperties = isObject(a.properties)
    ? { ...(a.properties as AmqpProperties) }
    : {
        ...(typeof a.contentType === "string" ? { contentType: a.contentType } : {}),
        ...(typeof a.messageId === "string" ? { messageId: a.messageId } : {}),
        ...(typeof a.type === "string" ? { type: a.type } : {}),
      };
  const headers = isObject(a.headers) ? a.headers : {};
  if (Object.keys(headers).length > 0) properties.headers = headers;
  const message: AmqpMessage = {
    id: plain.id,
    queue: String(a.queue ?? ""),
    exchange: String(a.exchange ?? ""),
    routingKey: String(a.routingKey ?? ""),
    deliveryTag: typeof a.deliveryTag === "number" ? a.deliveryTag : 0,
    redelivered: a.redelivered === true,
    body,
    properties,
    receivedAt: plain.timestamp,
  };
  const traceContext = traceContextOf(headers);
  return { ...plain, body, message, ...(traceContext ? { traceContext } : {}) };
}
