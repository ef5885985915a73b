import { defineConnector } from "@fgconnect/core";
import { reviveRabbitmqRecord } from "./dead-letter-revive.js";
import { rabbitmqOptionsSchema } from "./options.js";
import { RabbitmqConnector } from "./source.js";

/** The `rabbitmq` connector type: its options, docs and factory in one place. */
export const rabbitmqConnector = defineConnector({
  type: "rabbitmq",
  summary:
    "Consumes RabbitMQ (AMQP 0-9-1) queues, or a queue bound to an exchange, and acknowledges each message only after it was delivered or dead-lettered; the event is FunctionGraph's DMS-for-RabbitMQ trigger's.",
  options: rabbitmqOptionsSchema,
  examples: [
    {
      title: "Existing queues, 200 messages in flight",
      yaml: `url: amqp://rabbitmq.example:5672
username: fgconnect
password: "\${RABBITMQ_PASSWORD}"
queues: [orders, refunds]
prefetch: 200`,
    },
    {
      title: "A queue declared and bound to a topic exchange over TLS, failures to its DLX",
      yaml: `url: amqps://rabbitmq.example:5671/shop
exchange: events
bindingKeys: ["order.*", "payment.#"]
queue: fgconnect.events
declare: true
queueOptions:
  arguments: { x-queue-type: quorum, x-dead-letter-exchange: events.dlx }
onFailure: reject
tls: { ca: /etc/fgconnect/rabbitmq-ca.pem }`,
    },
  ],
  deadLetters: { revive: reviveRabbitmqRecord },
  create: (name, options, services) => new RabbitmqConnector(name, options, services.replicaId),
});
