export { deadLetterProperties } from "./dead-letter.js";
export { spoolOf } from "./dead-letter-reader.js";
export { replayClientId } from "./dead-letter-session.js";
export { mqttConnector } from "./definition.js";
export { MqttConnectorError } from "./errors.js";
export { mqttEvent } from "./mqtt-event-reference.js";
export {
  type MqttOptions,
  mqttOptionsSchema,
  type ResolvedMqttOptions,
  topicFilterProblem,
} from "./options.js";
export {
  type MqttEvent,
  type MqttEventRecord,
  type MqttMessage,
  type MqttProperties,
  type PayloadEncoding,
  type Qos,
  rawEvent,
} from "./payload.js";
export { MqttConnector, type MqttRecord, type MqttStats, type PublishOptions } from "./source.js";

import { parseConnectorOptions } from "@fgconnect/core";
import { mqttConnector } from "./definition.js";
import type { MqttOptions } from "./options.js";
import { MqttConnector } from "./source.js";

/** An MQTT connector named `name`, its options validated and defaulted by `mqttOptionsSchema`. */
export function createMqttConnector(name: string, options: MqttOptions): MqttConnector {
  return new MqttConnector(name, parseConnectorOptions(mqttConnector, name, options));
}
