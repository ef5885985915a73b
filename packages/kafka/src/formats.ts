/** The payload formats the Kafka connector offers its routes. */
import type { PayloadFormat } from "@fgconnect/core";
import { kafkaTriggerEventJson } from "./native-event-writer.js";
import { type EventInfo, richKafkaEvent } from "./payload.js";
import type { KafkaRecord } from "./record.js";

export function kafkaFormats(info: EventInfo): {
  native: PayloadFormat<KafkaRecord>;
  rich: PayloadFormat<KafkaRecord>;
} {
  return {
    native: {
      description:
        "FunctionGraph's Kafka-trigger event: {event_version, event_time, trigger_type: KAFKA, region, instance_id, records: [{messages, topic_id}]}, values as text.",
      build: (records) => kafkaTriggerEventJson(records, info),
    },
    rich: {
      description:
        "The Kafka-trigger envelope whose records keep topic, partition, offset, timestamp, key and headers; binary values as base64.",
      build: (records) => richKafkaEvent(records, info),
    },
  };
}
