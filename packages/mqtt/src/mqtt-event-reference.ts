/**
 * The `mqtt` event as objects: the readable reference of what `mqtt-event-writer.ts` writes as
 * bytes (that writer is what ships; a test holds the two to the same output).
 */
import { eventRecord, type MqttEvent, type MqttMessage } from "./payload.js";

/** The `mqtt` format: the envelope above for a batch of messages received at `receivedAt` (ms). */
export function mqttEvent(
  triggerName: string,
  messages: readonly { message: MqttMessage; receivedAt: number }[],
): MqttEvent {
  const latest = messages.reduce((t, m) => Math.max(t, m.receivedAt), 0);
  return {
    event_version: "v1.0",
    event_time: Math.floor(latest / 1000),
    trigger_type: "MQTT",
    trigger_name: triggerName,
    records: messages.map((m) => eventRecord(m.message)),
  };
}
