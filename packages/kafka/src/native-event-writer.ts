/**
 * The native Kafka-trigger event as JSON bytes: what the `native` format sends. The same bytes
 * as `JSON.stringify(kafkaTriggerEvent(records, info))` (native-event-reference.ts). A value that needs no escaping (UTF-8
 * already checked) is copied into the body as it is (`jsonEmbeddable`).
 */
import {
  type JsonPart,
  jsonEmbeddable,
  jsonPartLength,
  writeJsonPart,
} from "@fgconnect/core/internal";
import { type EventInfo, eventTime, valuesByTopic } from "./payload.js";
import type { KafkaRecord } from "./record.js";

const COMMA = 0x2c;
const OPEN = '{"messages":[';

export function kafkaTriggerEventJson(records: readonly KafkaRecord[], info: EventInfo): Buffer {
  const head = `{"event_version":"v1.0","event_time":${eventTime(records)},"trigger_type":"KAFKA","region":${JSON.stringify(info.region)},"instance_id":${JSON.stringify(info.instanceId)},"records":[`;
  const topics: { messages: JsonPart[]; tail: string }[] = [];
  let length = Buffer.byteLength(head) + 2;
  for (const [topic, values] of valuesByTopic(records)) {
    const tail = `],"topic_id":${JSON.stringify(topic)}}`;
    // OPEN, the commas between messages, the tail, and a comma before every topic but the first.
    length +=
      OPEN.length +
      Math.max(0, values.length - 1) +
      Buffer.byteLength(tail) +
      (topics.length > 0 ? 1 : 0);
    const messages: JsonPart[] = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      // A tombstone (null value) becomes an empty message.
      const m =
        value === null || value.length === 0
          ? '""'
          : jsonEmbeddable(value)
            ? value
            : JSON.stringify(value.toString("utf8"));
      messages[i] = m;
      length += jsonPartLength(m);
    }
    topics.push({ messages, tail });
  }

  const out = Buffer.allocUnsafe(length);
  let at = out.write(head, 0);
  topics.forEach(({ messages, tail }, t) => {
    if (t > 0) out[at++] = COMMA;
    at += out.write(OPEN, at);
    for (let i = 0; i < messages.length; i++) {
      if (i > 0) out[at++] = COMMA;
      at = writeJsonPart(out, at, messages[i]!);
    }
    at += out.write(tail, at);
  });
  out.write("]}", at);
  return out;
}
