/** The payload formats a RabbitMQ route can pick (`format:`), and what each sends. */
import type { PayloadFormat } from "@fgconnect/core";
import { nativeEvent, richEvent, type TriggerInfo } from "./payload.js";
import type { RabbitmqRecord } from "./record.js";

export function rabbitmqFormats(
  trigger: TriggerInfo,
): Readonly<Record<"native" | "rich", PayloadFormat<RabbitmqRecord>>> {
  return {
    native: {
      description:
        "FunctionGraph's DMS-for-RabbitMQ trigger event: {event_version, event_time, trigger_type: RABBITMQ, region, instance_id, records: [{messages: [bodies as text], instance_id, exchange}]}.",
      build: (records) =>
        nativeEvent(
          records.map((r) => r.message),
          trigger,
        ),
    },
    rich: {
      description:
        "The native envelope with one record per message: {id, queue, exchange, routingKey, deliveryTag, redelivered, headers, properties, body, bodyEncoding: text|base64}.",
      build: (records) =>
        richEvent(
          records.map((r) => r.message),
          trigger,
        ),
    },
  };
}
