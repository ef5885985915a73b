import type { DeadLetterEntry, DeadLetterSink } from "@fgconnect/core";
import type { ResolvedMqttOptions } from "./options.js";
import type { MqttConnector } from "./source.js";

/** The original payload back from a dead-letter entry. */
function originalPayload(entry: DeadLetterEntry): Buffer {
  const { body, bodyEncoding } = entry.record;
  if (bodyEncoding === "base64") return Buffer.from(String(body), "base64");
  if (bodyEncoding === "utf8") return Buffer.from(String(body), "utf8");
  return Buffer.from(JSON.stringify(body), "utf8");
}

/** The failure as MQTT 5 user properties (`fgconnect-*`). */
export function deadLetterProperties(entry: DeadLetterEntry): Record<string, string> {
  const props: Record<string, string> = {
    "fgconnect-reason": entry.reason,
    "fgconnect-route": entry.route,
    "fgconnect-function": entry.target,
    "fgconnect-attempts": String(entry.attempts),
    "fgconnect-record-id": entry.record.id,
    "fgconnect-dead-lettered-at": entry.deadLetteredAt,
  };
  const topic = entry.record.attributes.topic;
  if (typeof topic === "string") props["fgconnect-topic"] = topic;
  if (entry.error) {
    props["fgconnect-error-code"] = entry.error.code;
    props["fgconnect-error-message"] = entry.error.message;
    if (entry.error.requestId) props["fgconnect-request-id"] = entry.error.requestId;
  }
  return props;
}

/**
 * The connector's dead-letter sink (its `deadLetter` option): publishes to `target.topic`
 * through the connector's connection. MQTT 5: the original payload, with the error in user
 * properties; MQTT 3.1.1 (no properties): the whole entry as JSON. `write` resolves once the
 * broker has it (QoS 1/2), so a record is acknowledged only after its dead letter is safe.
 */
export function mqttDeadLetterSink(
  connector: MqttConnector,
  target: NonNullable<ResolvedMqttOptions["deadLetter"]>,
): DeadLetterSink {
  return {
    async write(entry) {
      if (connector.options.protocolVersion === 5) {
        const contentType = entry.record.attributes.contentType;
        await connector.publish(target.topic, originalPayload(entry), {
          qos: target.qos,
          properties: {
            userProperties: deadLetterProperties(entry),
            ...(typeof contentType === "string" ? { contentType } : {}),
          },
        });
      } else {
        await connector.publish(target.topic, JSON.stringify(entry), { qos: target.qos });
      }
    },
  };
}
