/**
 * The Kafka client library the connector runs on in these tests: kafkajs, or the one named by
 * FGCONNECT_TEST_KAFKA_CLIENT (CI runs Kafka tests again with `platformatic` on Node 22: see the
 * end of .ci/run).
 */
import type { KafkaOptions } from "@fgconnect/kafka";

export const TEST_KAFKA_CLIENT: NonNullable<KafkaOptions["client"]> =
  (process.env.FGCONNECT_TEST_KAFKA_CLIENT as KafkaOptions["client"]) || "kafkajs";

if (!["kafkajs", "platformatic"].includes(TEST_KAFKA_CLIENT))
  throw new Error(`FGCONNECT_TEST_KAFKA_CLIENT=${TEST_KAFKA_CLIENT}: use kafkajs or platformatic`);
