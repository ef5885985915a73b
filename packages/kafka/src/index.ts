export type { KafkaClient } from "./client/types.js";
export {
  createKafkaDeadLetterSink,
  DEAD_LETTER_HEADERS,
  DeadLetterTopic,
  DeadLetterTopicError,
  deadLetterMessage,
  type KafkaDeadLetterOptions,
  kafkaDeadLetterOptionsSchema,
} from "./dead-letter.js";
export { ReplayMarksError } from "./dead-letter-marks.js";
export { replayGroupOf } from "./dead-letter-reader.js";
export { kafkaConnector } from "./definition.js";
export { kafkaTriggerEvent } from "./native-event-reference.js";
export {
  type DeadLetterTopicOptions,
  type KafkaConnection,
  type KafkaOptions,
  kafkaOptionsSchema,
  type ResolvedKafkaOptions,
} from "./options.js";
export {
  type EventInfo,
  type KafkaTriggerEvent,
  PoisonRecordError,
  type RichKafkaEvent,
  type RichRecord,
  richKafkaEvent,
} from "./payload.js";
// toRecord stays public: the runner builds its sample events with it.
export { type KafkaAttributes, type KafkaRecord, type RawMessage, toRecord } from "./record.js";
export { type ClientFactory, KafkaConnector } from "./source.js";

import { parseConnectorOptions } from "@fgconnect/core";
import { kafkaConnector } from "./definition.js";
import type { KafkaOptions } from "./options.js";
import { KafkaConnector } from "./source.js";

/** A Kafka connector named `name`, its options validated and defaulted by `kafkaOptionsSchema`. */
export function createKafkaConnector(name: string, options: KafkaOptions): KafkaConnector {
  return new KafkaConnector(name, parseConnectorOptions(kafkaConnector, name, options));
}
