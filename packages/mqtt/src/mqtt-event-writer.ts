/**
 * The `mqtt` event as JSON bytes: what the `mqtt` format sends. The same bytes as
 * `JSON.stringify(mqttEvent(...))` (mqtt-event-reference.ts). A text
 * payload that needs no escaping is copied into the body as it is (`jsonEmbeddable`): a drain
 * encodes tens of thousands of records a second, and building each record's object, its payload
 * string and the body's string only to serialise and encode them again cost more than the rest
 * of the message's way through the connector.
 */
import { isUtf8 } from "node:buffer";
import {
  type JsonPart,
  jsonEmbeddable,
  jsonPartLength,
  writeJsonPart,
} from "@fgconnect/core/internal";
import { decodePayload, eventProperties, type MqttMessage, mayBeJson } from "./payload.js";

export function mqttEventJson(
  triggerName: string,
  messages: readonly { message: MqttMessage; receivedAt: number }[],
): Buffer {
  let latest = 0;
  // Text, and payloads to copy between quotes; each string part holds everything between two.
  const parts: JsonPart[] = [];
  let text = "";
  for (let i = 0; i < messages.length; i++) {
    const { message, receivedAt } = messages[i]!;
    if (receivedAt > latest) latest = receivedAt;
    text += `${i > 0 ? "," : ""}{"topic":${JSON.stringify(message.topic)},"payload":`;
    const bytes = message.payload;
    const utf8 = isUtf8(bytes);
    let encoding: string;
    if (utf8 && !mayBeJson(bytes) && jsonEmbeddable(bytes)) {
      parts.push(text, bytes);
      text = "";
      encoding = "text";
    } else {
      const decoded = decodePayload(bytes, utf8);
      text += JSON.stringify(decoded.payload);
      encoding = decoded.encoding;
    }
    const props = eventProperties(message.properties);
    text += `,"encoding":"${encoding}","qos":${message.qos},"retain":${message.retain}${props ? `,"properties":${JSON.stringify(props)}` : ""}}`;
  }
  parts.push(`${text}]}`);
  const open = `{"event_version":"v1.0","event_time":${Math.floor(latest / 1000)},"trigger_type":"MQTT","trigger_name":${JSON.stringify(triggerName)},"records":[`;
  let length = Buffer.byteLength(open);
  for (const part of parts) length += jsonPartLength(part);
  const out = Buffer.allocUnsafe(length);
  let at = out.write(open, 0);
  for (const part of parts) at = writeJsonPart(out, at, part);
  return out;
}
