export { rabbitmqConnector } from "./definition.js";
export { RabbitmqConnectorError, redactUrl } from "./errors.js";
export {
  consumedQueues,
  type RabbitmqOptions,
  type ResolvedRabbitmqOptions,
  rabbitmqOptionsSchema,
} from "./options.js";
export {
  type AmqpMessage,
  type AmqpProperties,
  type BodyEncoding,
  nativeEvent,
  type RabbitmqNativeEvent,
  type RabbitmqRichEvent,
  type RabbitmqRichRecord,
  richEvent,
  type TriggerInfo,
} from "./payload.js";
export { RabbitmqConnector, type RabbitmqRecord, type RabbitmqStats } from "./source.js";

import { parseConnectorOptions } from "@fgconnect/core";
import { rabbitmqConnector } from "./definition.js";
import type { RabbitmqOptions } from "./options.js";
import { RabbitmqConnector } from "./source.js";

/** A RabbitMQ connector named `name`, its options validated and defaulted by `rabbitmqOptionsSchema`. */
export function createRabbitmqConnector(
  name: string,
  options: RabbitmqOptions,
  replicaId?: string,
): RabbitmqConnector {
  return new RabbitmqConnector(
    name,
    parseConnectorOptions(rabbitmqConnector, name, options),
    replicaId,
  );
}
