import { defineConnector } from "@fgconnect/core";
import { kafkaDeadLetterReader, reviveKafkaRecord } from "./dead-letter-reader.js";
import { kafkaOptionsSchema } from "./options.js";
import { KafkaConnector } from "./source.js";

/** The `kafka` connector type: its options, docs and factory in one place. */
export const kafkaConnector = defineConnector({
  type: "kafka",
  summary:
    "Consumes Kafka topics in a consumer group and commits each offset only after its record was delivered or dead-lettered.",
  options: kafkaOptionsSchema,
  examples: [
    {
      title: "A consumer group on two topics",
      yaml: `brokers: [kafka-1:9092, kafka-2:9092]
topics: [orders, "/^audit\\\\..*/"]
groupId: fgconnect-orders
startFrom: earliest`,
    },
    {
      title: "SASL over TLS, dead letters to a topic",
      yaml: `brokers: [kafka-1:9093]
topics: [payments]
groupId: fgconnect-payments
tls: { caFile: /etc/fgconnect/kafka-ca.pem }
sasl: { mechanism: scram-sha-512, username: fgconnect, password: "\${KAFKA_PASSWORD}" }
deadLetter: { topic: payments.dlq }`,
    },
  ],
  create: (name, options) => new KafkaConnector(name, options),
  deadLetters: {
    revive: reviveKafkaRecord,
    reader: (name, options, context) => kafkaDeadLetterReader(name, options, context),
  },
});
