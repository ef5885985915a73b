/** The payload formats an MQTT route can pick (`format:`), and what each sends. */
import type { PayloadFormat } from "@fgconnect/core";
import { mqttEventJson } from "./mqtt-event-writer.js";
import { rawEvent } from "./payload.js";
import type { MqttRecord } from "./record.js";

export function mqttFormats(
  connector: string,
): Readonly<Record<"mqtt" | "raw", PayloadFormat<MqttRecord>>> {
  return {
    mqtt: {
      description:
        "fgconnect's MQTT trigger event: {event_version, event_time, trigger_type: MQTT, trigger_name, records: [{topic, payload, encoding, qos, retain, properties}]}.",
      build: (records) =>
        mqttEventJson(
          connector,
          records.map((r) => ({ message: r.message, receivedAt: r.timestamp })),
        ),
    },
    raw: {
      description:
        "The message payload alone: JSON as is, else text, else base64; a batch becomes an array.",
      build: (records) => rawEvent(records.map((r) => r.message)),
    },
  };
}
