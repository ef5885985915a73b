import { optionRules } from "@fgconnect/core/internal";
import { z } from "zod";

const MiB = 1024 * 1024;

const pem = (what: string) =>
  z
    .string()
    .min(1)
    .optional()
    .describe(`${what}, PEM text. Use \${ENV_VAR} or the *File option; never commit a key.`);
const file = (what: string) => z.string().min(1).optional().describe(`File holding ${what} (PEM).`);

/** TLS to the brokers: `true` trusts the system CAs; an object adds a CA and/or a client certificate. */
export const tlsSchema = z
  .union([
    z.boolean(),
    z
      .object({
        ca: pem("CA certificate(s) that sign the brokers' certificates (replaces the system CAs)"),
        caFile: file("the CA certificate(s)"),
        cert: pem("Client certificate for mutual TLS"),
        certFile: file("the client certificate"),
        key: pem("Client private key for mutual TLS"),
        keyFile: file("the client private key"),
        rejectUnauthorized: z
          .boolean()
          .default(true)
          .describe("Verify the brokers' certificates. Only turn off against a test broker."),
        servername: z
          .string()
          .optional()
          .describe("Server name (SNI) to verify, when it differs from the broker host."),
      })
      .strict(),
  ])
  .optional()
  .describe("TLS to the brokers: true (system CAs) or {ca, cert, key…}. Unset: plaintext.");

export const saslSchema = z
  .object({
    mechanism: z.enum(["plain", "scram-sha-256", "scram-sha-512"]).describe("SASL mechanism."),
    username: z.string().min(1).describe("SASL user name."),
    password: z.string().min(1).describe("SASL password. Use ${ENV_VAR}; never commit it."),
  })
  .strict()
  .optional()
  .describe("SASL authentication (PLAIN or SCRAM). Combine with `tls` on untrusted networks.");

/** How to reach the cluster: shared by the connector and the dead-letter topic producer. */
export const connectionSchema = z.object({
  brokers: z
    .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, "write a broker as host:port"))
    .min(1)
    .describe("Bootstrap brokers, host:port."),
  clientId: z
    .string()
    .min(1)
    .default("fgconnect")
    .describe("Client id sent to the brokers (quotas, broker logs)."),
  tls: tlsSchema,
  sasl: saslSchema,
  connectionTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe("Timeout to open a broker connection, in ms."),
  requestTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(30_000)
    .describe("Timeout of one broker request, in ms."),
});

/** The connector's own dead-letter topic; the connection defaults to the connector's. */
export const deadLetterTopicSchema = z
  .object({
    topic: z
      .string()
      .min(1)
      .describe("Topic the dead letters are produced to. It must exist: it is checked at start."),
    brokers: connectionSchema.shape.brokers
      .optional()
      .describe(
        "Brokers of the cluster holding the topic. Default: the connector's. When set, `tls` and `sasl` are not inherited either.",
      ),
    tls: tlsSchema.describe(
      "TLS to the dead-letter brokers. Default: the connector's (unless `brokers` is set).",
    ),
    sasl: saslSchema.describe(
      "SASL to the dead-letter brokers. Default: the connector's (unless `brokers` is set).",
    ),
  })
  .strict()
  .optional()
  .describe(
    "Send this connector's dead letters to a Kafka topic (original key, value and headers, plus fgconnect-dlq-* headers for the error, attempts and origin) instead of the daemon's `deadLetter` sink.",
  );

/** The client libraries the connector runs on; see client/select.ts. */
export const KAFKA_CLIENTS = ["kafkajs", "platformatic"] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];

/** The oldest Node @platformatic/kafka supports (its `engines`). */
export const PLATFORMATIC_MIN_NODE = "22.22.0";

/** Why `client` cannot run on this Node, or undefined when it can. */
export function clientRefusal(client: KafkaClientName, nodeVersion: string): string | undefined {
  if (client !== "platformatic" || atLeast(nodeVersion, PLATFORMATIC_MIN_NODE)) return undefined;
  return `platformatic needs Node >= ${PLATFORMATIC_MIN_NODE} (this is Node ${nodeVersion}): use kafkajs, or a newer Node`;
}

function atLeast(version: string, min: string): boolean {
  const a = version.split(".").map(Number);
  const b = min.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

const topicEntry = z
  .string()
  .min(1)
  .superRefine((t, ctx) => {
    if (!isRegexEntry(t)) return;
    try {
      new RegExp(t.slice(1, -1));
    } catch (err) {
      ctx.addIssue({
        code: "custom",
        message: `invalid regular expression: ${(err as Error).message}`,
      });
    }
  });

/** The one schema of the Kafka connector's options: validation, defaults, JSON Schema, docs. */
export const kafkaOptionsSchema = connectionSchema
  .extend({
    topics: z
      .array(topicEntry)
      .min(1)
      .describe(
        "Topics to consume: names, or regular expressions written /like.*this/ (matched against existing topics at start).",
      ),
    groupId: z
      .string()
      .min(1)
      .describe("Consumer group id. Daemons with the same group id share the partitions."),
    client: z
      .enum(KAFKA_CLIENTS)
      .default("kafkajs")
      .superRefine((client, ctx) => {
        const refusal = clientRefusal(client, process.versions.node);
        if (refusal) ctx.addIssue({ code: "custom", message: refusal });
      })
      .describe(
        'Kafka client library: kafkajs (default, every supported Node) or platformatic (@platformatic/kafka, maintained, Node >= 22.22). See the README\'s "Kafka clients".',
      ),
    startFrom: z
      .union([
        z.enum(["earliest", "latest"]),
        z.number().int().nonnegative(),
        z.iso.datetime({ offset: true }),
      ])
      .default("latest")
      .describe(
        "Where a group with no committed offset starts on a partition: earliest, latest, or a timestamp (epoch ms or ISO 8601: the first record at or after it).",
      ),
    ordering: z
      .enum(["partition", "key"])
      .default("partition")
      .describe(
        "partition: records of a partition are delivered one batch after another, in offset order. key: only records with the same key (in the same partition) keep their order, so a partition is delivered in parallel across keys. Commits stay contiguous either way.",
      ),
    sessionTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(30_000)
      .describe("Group session timeout, in ms."),
    heartbeatIntervalMs: z
      .number()
      .int()
      .positive()
      .default(3_000)
      .describe("Heartbeat interval, in ms (below a third of the session timeout)."),
    rebalanceTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(60_000)
      .describe("How long the group waits for members to rejoin during a rebalance, in ms."),
    revokeDrainMs: z
      .number()
      .int()
      .min(0)
      .default(10_000)
      .describe(
        "When this member learns of a rebalance inside a batch, how long it waits for in-flight records to finish and be committed before rejoining, in ms (capped at half the session timeout).",
      ),
    commitIntervalMs: z
      .number()
      .int()
      .min(0)
      .default(500)
      .describe(
        "Delivered offsets are committed at most this often, in ms (and at once when a rebalance starts or the connector stops).",
      ),
    fetch: z
      .object({
        maxBytesPerPartition: z
          .number()
          .int()
          .positive()
          .default(MiB)
          .describe("Most bytes fetched per partition per request."),
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(4 * MiB)
          .describe(
            "Most bytes per fetch response. With the engine's buffer (limits.maxBufferedBytes) it bounds the memory used by records read ahead.",
          ),
        maxWaitMs: z
          .number()
          .int()
          .min(0)
          .default(500)
          .describe(
            "Longest the broker waits for records before it answers an empty fetch, in ms (an idle topic is polled this often).",
          ),
      })
      .strict()
      .prefault({})
      .describe(
        "Fetch sizing. Batches sent to functions are sized by the route's `batch`, per partition (or per key).",
      ),
    deadLetter: deadLetterTopicSchema,
    poison: z
      .object({
        maxRecordBytes: z
          .number()
          .int()
          .positive()
          .default(6 * MiB - 64 * 1024)
          .describe(
            "Records larger than this (key + value + headers) are dead-lettered without an invocation. Default: the 6 MB sync body limit less room for the event envelope.",
          ),
        requireUtf8: z
          .boolean()
          .default(true)
          .describe(
            "Dead-letter records whose value is not UTF-8 (the native Kafka-trigger event carries values as strings). Set false when routes use the `rich` format, which sends binary values as base64.",
          ),
      })
      .strict()
      .prefault({})
      .describe(
        "Records that cannot be delivered are dead-lettered alone, with the reason, and the partition moves on.",
      ),
    event: z
      .object({
        region: z.string().default("").describe("The Kafka-trigger event's `region`."),
        instanceId: z
          .string()
          .default("")
          .describe(
            "The Kafka-trigger event's `instance_id` (the DMS instance id for functions that read it).",
          ),
      })
      .strict()
      .prefault({})
      .describe("Fields of the Kafka-trigger event that the cluster cannot tell."),
  })
  .strict()
  .superRefine(
    optionRules([
      {
        path: ["heartbeatIntervalMs"],
        message: "keep it below a third of sessionTimeoutMs",
        broken: (o) => o.heartbeatIntervalMs * 3 > o.sessionTimeoutMs,
      },
    ]),
  );

export type KafkaOptions = z.input<typeof kafkaOptionsSchema>;
export type ResolvedKafkaOptions = z.output<typeof kafkaOptionsSchema>;
export type KafkaConnection = z.output<typeof connectionSchema>;
export type DeadLetterTopicOptions = NonNullable<z.output<typeof deadLetterTopicSchema>>;

/** How to reach the dead-letter topic: its own settings over the connector's connection. */
export function deadLetterConnection(
  connection: KafkaConnection,
  dlq: DeadLetterTopicOptions,
): KafkaConnection {
  const inherit = dlq.brokers === undefined;
  return {
    ...connection,
    brokers: dlq.brokers ?? connection.brokers,
    tls: dlq.tls ?? (inherit ? connection.tls : undefined),
    sasl: dlq.sasl ?? (inherit ? connection.sasl : undefined),
  };
}

/** A topics entry written /…/ is a regular expression. */
export function isRegexEntry(entry: string): boolean {
  return entry.length > 2 && entry.startsWith("/") && entry.endsWith("/");
}

export function subscriptions(topics: readonly string[]): (string | RegExp)[] {
  return topics.map((t) => (isRegexEntry(t) ? new RegExp(t.slice(1, -1)) : t));
}
