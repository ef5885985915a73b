import * as shared from "@fgconnect/core/internal";
import { z } from "zod";

const urlSchema = z
  .string()
  .regex(
    /^amqps?:\/\/[^/]+/,
    "use amqp://host:5672 or amqps://host:5671 (with an optional /vhost)",
  );

const tlsSchema = shared.tlsOptionsSchema("amqps://");

const reconnectSchema = shared.reconnectOptionsSchema(50);

const argumentValue = z.union([z.string(), z.number(), z.boolean()]);

const queueOptionsSchema = z
  .object({
    durable: z.boolean().default(true).describe("The queue survives a broker restart."),
    autoDelete: z
      .boolean()
      .default(false)
      .describe("The broker deletes the queue when its last consumer goes."),
    arguments: z
      .record(z.string(), argumentValue)
      .default({})
      .describe(
        "Queue arguments, e.g. `x-queue-type: quorum`, `x-dead-letter-exchange: dlx` (where `onFailure: reject` sends failed messages), `x-message-ttl: 60000`.",
      ),
  })
  .strict()
  .describe("How queues are declared when `declare` is true (ignored otherwise).");

const orderingSchema = z
  .union([
    z.enum(["queue", "routingKey", "none"]),
    z
      .object({
        header: z
          .string()
          .min(1)
          .describe("Messages with the same value of this header are delivered in order."),
      })
      .strict(),
  ])
  .default("queue")
  .describe(
    "queue: messages of one queue are delivered one after another, in arrival order. routingKey: per routing key. {header: name}: per value of that header (messages without it: per queue). none: in parallel.",
  );

/** The one schema of the RabbitMQ connector's options: validation, defaults, JSON Schema, docs. */
export const rabbitmqOptionsSchema = z
  .object({
    url: shared
      .urlListSchema(urlSchema)
      .describe(
        "Broker URL, e.g. amqp://broker:5672 or amqps://broker:5671/vhost; a list is tried in turn (failover between the nodes of a cluster). Credentials in the URL are never logged; prefer `username`/`password`.",
      ),
    username: z
      .string()
      .min(1)
      .optional()
      .describe("User name for the broker (overrides one in the URL)."),
    password: z
      .string()
      .min(1)
      .optional()
      .describe("Password for the broker. Use ${ENV_VAR}; never commit it. Never logged."),
    vhost: z
      .string()
      .optional()
      .describe("Virtual host (overrides the URL's path). Default: the URL's, else `/`."),
    tls: tlsSchema.optional(),
    connectionName: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Name the broker shows for the connection (management UI, `rabbitmqctl list_connections`). Default: fgconnect-<connector name>-<replica>.",
      ),
    heartbeatSeconds: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .default(30)
      .describe(
        "Heartbeat interval proposed to the broker: a silent broker is noticed after about twice this and the connection re-made. 0 turns heartbeats off.",
      ),
    connectTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe("How long to wait for the broker to accept the connection, in ms."),
    queues: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        "Queues to consume. They must exist unless `declare` is true. Several consumers (daemons) of one queue share its messages.",
      ),
    exchange: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Consume what is published to this exchange: `queue` is bound to it with `bindingKeys` (as FunctionGraph's DMS-for-RabbitMQ trigger polls queues bound to an exchange).",
      ),
    exchangeType: z
      .enum(["direct", "topic", "fanout", "headers"])
      .default("topic")
      .describe("Type of `exchange`, when `declare` creates it."),
    bindingKeys: z
      .array(z.string())
      .min(1)
      .default(["#"])
      .describe("Routing keys (patterns for a topic exchange) binding `queue` to `exchange`."),
    queue: z
      .string()
      .min(1)
      .optional()
      .describe(
        "With `exchange`: the queue bound to it and consumed. Default: fgconnect.<connector name> (shared by every daemon running this connector).",
      ),
    declare: z
      .boolean()
      .default(false)
      .describe(
        "Declare the exchange, the queues and the bindings at start (idempotent, with `queueOptions`). false: they must exist (the bindings of `exchange` are still made).",
      ),
    queueOptions: queueOptionsSchema.prefault({}),
    prefetch: z
      .number()
      .int()
      .min(1)
      .max(65_535)
      .default(100)
      .describe(
        "Messages the broker sends before earlier ones are acknowledged, per queue (basic.qos). Acknowledgement waits for delivery, so this bounds what is in flight and in memory: the backpressure.",
      ),
    consumerTag: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Consumer tag prefix; each queue's consumer is tagged <consumerTag>:<queue>. Default: the broker generates one.",
      ),
    ordering: orderingSchema,
    onFailure: z
      .enum(["deadLetter", "reject"])
      .default("deadLetter")
      .describe(
        "When a message's delivery fails for good. deadLetter: to fgconnect's dead-letter sink, with the reason, then acknowledged. reject: basic.nack without requeue, so the queue's own dead-letter exchange (x-dead-letter-exchange) takes it, or the broker drops it when the queue has none.",
      ),
    region: z
      .string()
      .default("")
      .describe("`region` of the native event (FunctionGraph's region of the trigger)."),
    instanceId: z
      .string()
      .default("")
      .describe("`instance_id` of the native event (the DMS for RabbitMQ instance's id)."),
    reconnect: reconnectSchema.prefault({}),
  })
  .strict()
  .superRefine(
    shared.optionRules([
      shared.passwordNeedsUsername,
      {
        path: ["queues"],
        message: "give queues to consume, or an exchange to bind a queue to",
        broken: (o) => !o.queues && !o.exchange,
      },
      {
        path: ["queue"],
        message: "queue names the queue bound to exchange; without exchange, use queues",
        broken: (o) => o.queue !== undefined && !o.exchange,
      },
    ]),
  );

export type RabbitmqOptions = z.input<typeof rabbitmqOptionsSchema>;
export type ResolvedRabbitmqOptions = z.output<typeof rabbitmqOptionsSchema>;

/** Every queue the connector consumes, in order: `queues`, then the one bound to `exchange`. */
export function consumedQueues(name: string, o: ResolvedRabbitmqOptions): string[] {
  const out = [...(o.queues ?? [])];
  if (o.exchange) {
    const bound = o.queue ?? `fgconnect.${name}`;
    if (!out.includes(bound)) out.push(bound);
  }
  return out;
}
