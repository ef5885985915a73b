/** A received MQTT message as the engine sees it. */
import { type RecordAttributes, type SourceRecord, traceContextOf } from "@fgconnect/core";
import type { ResolvedMqttOptions } from "./options.js";
import type { MqttMessage } from "./payload.js";

/** A received message, as the engine sees it. Filters see `attributes` and the parsed body. */
export interface MqttRecord extends SourceRecord {
  readonly body: Buffer;
  readonly message: MqttMessage;
}

/** `seq` tells apart messages received in the same millisecond on the same topic. */
export function toRecord(
  source: string,
  message: MqttMessage,
  ordering: ResolvedMqttOptions["ordering"],
  seq: number,
): MqttRecord {
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
    id: `${message.topic}#${receivedAt}.${seq}`,
    source,
    attributes,
    body: message.payload,
    message,
    orderingKey: ordering === "topic" ? message.topic : undefined,
    timestamp: receivedAt,
    size: message.payload.length + message.topic.length,
    traceContext: traceContextOf(message.properties?.userProperties),
  };
}
