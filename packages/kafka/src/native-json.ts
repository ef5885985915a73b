/**
 * The native Kafka-trigger event as JSON bytes, the same bytes as
 * `JSON.stringify(kafkaTriggerEvent(records, info))`. A value that needs no escaping (no `"`,
 * `\` or control character; UTF-8 already checked) is copied into the body as it is: decoding
 * it to a string, escaping it and encoding it again cost more than the rest of the record's
 * way through the connector.
 */
import { type EventInfo, eventTime, valuesByTopic } from "./payload.js";
import type { KafkaRecord } from "./record.js";

type Part = string | Buffer;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** True when the bytes can stand between quotes in JSON as they are. */
function embeddable(value: Buffer): boolean {
  for (let i = 0; i < value.length; i++) {
    const b = value[i]!;
    if (b < 0x20 || b === QUOTE || b === BACKSLASH) return false;
  }
  return true;
}

export function kafkaTriggerEventJson(records: readonly KafkaRecord[], info: EventInfo): Buffer {
  const byTopic = valuesByTopic(records);
  const parts: Part[] = [
    `{"event_version":"v1.0","event_time":${eventTime(records)},"trigger_type":"KAFKA","region":${JSON.stringify(info.region)},"instance_id":${JSON.stringify(info.instanceId)},"records":[`,
  ];
  let firstTopic = true;
  for (const [topic, values] of byTopic) {
    parts.push(firstTopic ? '{"messages":[' : ',{"messages":[');
    firstTopic = false;
    values.forEach((value, i) => {
      if (i > 0) parts.push(",");
      // A tombstone (null value) becomes an empty message.
      if (value === null || value.length === 0) parts.push('""');
      else if (embeddable(value)) parts.push('"', value, '"');
      else parts.push(JSON.stringify(value.toString("utf8")));
    });
    parts.push(`],"topic_id":${JSON.stringify(topic)}}`);
  }
  parts.push("]}");
  return concat(parts);
}

function concat(parts: readonly Part[]): Buffer {
  let length = 0;
  for (const p of parts) length += typeof p === "string" ? Buffer.byteLength(p) : p.length;
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (const p of parts) at += typeof p === "string" ? out.write(p, at) : p.copy(out, at);
  return out;
}
