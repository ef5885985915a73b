/**
 * The native Kafka-trigger event as objects: the readable reference of what
 * `native-event-writer.ts` writes as bytes (that writer is what ships; a test holds the two
 * to the same output).
 */
import { type EventInfo, eventEnvelope, type KafkaTriggerEvent, valuesByTopic } from "./payload.js";
import type { KafkaRecord } from "./record.js";

export function kafkaTriggerEvent(
  records: readonly KafkaRecord[],
  info: EventInfo,
): KafkaTriggerEvent {
  const byTopic = valuesByTopic(records);
  return {
    ...eventEnvelope(records, info),
    // A tombstone (null value) becomes an empty message.
    records: [...byTopic].map(([topic_id, values]) => ({
      messages: values.map((v) => (v ? v.toString("utf8") : "")),
      topic_id,
    })),
  };
}
