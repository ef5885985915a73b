/**
 * The event a function receives for MQTT messages. FunctionGraph has no native MQTT trigger, so
 * this follows its Kafka trigger: a versioned envelope with `trigger_type` and a `records` list
 * (one entry per message, several when a route batches). Pure functions only.
 */
import { isUtf8 } from "node:buffer";
import type { JsonValue } from "@fgconnect/core";

export type Qos = 0 | 1 | 2;

/** One received message, as read from the broker. */
export interface MqttMessage {
  topic: string;
  payload: Buffer;
  qos: Qos;
  retain: boolean;
  /** The broker is sending it again (a redelivery after a reconnect). */
  dup: boolean;
  /** MQTT 5 properties; absent on MQTT 3.1.1. */
  properties?: MqttProperties;
}

export interface MqttProperties {
  contentType?: string;
  /** A property given several times keeps every value, in order. */
  userProperties?: Record<string, string | string[]>;
  responseTopic?: string;
  correlationData?: Buffer;
  messageExpiryInterval?: number;
  payloadFormatIndicator?: boolean;
}

/** How `payload` is written in the event: parsed JSON, UTF-8 text, or base64 of the bytes. */
export type PayloadEncoding = "json" | "text" | "base64";

export interface MqttEventRecord {
  topic: string;
  payload: JsonValue;
  encoding: PayloadEncoding;
  qos: Qos;
  retain: boolean;
  /** Present on MQTT 5 when the message has any of them. */
  properties?: {
    content_type?: string;
    user_properties?: Record<string, string | string[]>;
    response_topic?: string;
    /** Base64 of the correlation data bytes. */
    correlation_data?: string;
    message_expiry_interval?: number;
    payload_format_indicator?: boolean;
  };
}

export interface MqttEvent {
  event_version: "v1.0";
  /** When the (latest) message was received, epoch seconds — as the Kafka trigger. */
  event_time: number;
  trigger_type: "MQTT";
  /** The connector's name. */
  trigger_name: string;
  records: MqttEventRecord[];
}

/**
 * Whether a JSON text may start with this byte (after whitespace): `{ [ " - 0-9 t f n`. Checked
 * first because JSON.parse throwing (with a stack trace) costs far more than parsing: most
 * non-JSON payloads (plain text, CSV, binary) are then never handed to it.
 */
export function mayBeJson(payload: Buffer): boolean {
  for (const byte of payload) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return (
      byte === 0x7b ||
      byte === 0x5b ||
      byte === 0x22 ||
      byte === 0x2d ||
      (byte >= 0x30 && byte <= 0x39) ||
      byte === 0x74 ||
      byte === 0x66 ||
      byte === 0x6e
    );
  }
  return false;
}

/** JSON when the bytes are JSON, else text when they are UTF-8 (`utf8`), else base64. */
export function decodePayload(
  payload: Buffer,
  utf8 = isUtf8(payload),
): { payload: JsonValue; encoding: PayloadEncoding } {
  if (!utf8) return { payload: payload.toString("base64"), encoding: "base64" };
  const text = payload.toString("utf8");
  if (mayBeJson(payload)) {
    try {
      return { payload: JSON.parse(text) as JsonValue, encoding: "json" };
    } catch {
      // Not JSON: sent as text.
    }
  }
  return { payload: text, encoding: "text" };
}

export function eventRecord(message: MqttMessage): MqttEventRecord {
  const out: MqttEventRecord = {
    topic: message.topic,
    ...decodePayload(message.payload),
    qos: message.qos,
    retain: message.retain,
  };
  const props = eventProperties(message.properties);
  if (props) out.properties = props;
  return out;
}

/** A record's `properties` in the event: the MQTT 5 properties it has, if any. */
export function eventProperties(p: MqttProperties | undefined): MqttEventRecord["properties"] {
  if (!p) return undefined;
  const props: NonNullable<MqttEventRecord["properties"]> = {};
  if (p.contentType !== undefined) props.content_type = p.contentType;
  if (p.userProperties !== undefined) props.user_properties = p.userProperties;
  if (p.responseTopic !== undefined) props.response_topic = p.responseTopic;
  if (p.correlationData !== undefined)
    props.correlation_data = p.correlationData.toString("base64");
  if (p.messageExpiryInterval !== undefined)
    props.message_expiry_interval = p.messageExpiryInterval;
  if (p.payloadFormatIndicator !== undefined)
    props.payload_format_indicator = p.payloadFormatIndicator;
  return Object.keys(props).length > 0 ? props : undefined;
}

/** The `raw` format: the payload alone (decoded as above); a batch becomes an array. */
export function rawEvent(messages: readonly MqttMessage[]): JsonValue {
  const values = messages.map((m) => decodePayload(m.payload).payload);
  return values.length === 1 ? values[0]! : values;
}
