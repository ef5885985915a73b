import * as shared from "@fgconnect/core/internal";
import { z } from "zod";

const qosSchema = z.union([z.literal(0), z.literal(1), z.literal(2)]);

/** `+` and `#` must fill a whole level, and `#` must be last (MQTT 3.1.1 §4.7, MQTT 5 §4.7). */
export function topicFilterProblem(filter: string): string | undefined {
  let levels = filter.split("/");
  if (filter.startsWith("$share/")) {
    if (levels.length < 3 || levels[1] === "" || /[+#]/.test(levels[1]!)) {
      return "a shared subscription is $share/<group>/<filter>, the group without '+' or '#'";
    }
    levels = levels.slice(2);
  }
  if (levels.join("/") === "") return "the topic filter is empty";
  for (const [i, level] of levels.entries()) {
    if (level.includes("#") && (level !== "#" || i !== levels.length - 1)) {
      return "'#' must be a whole level and the last one";
    }
    if (level.includes("+") && level !== "+") return "'+' must be a whole level";
  }
  return undefined;
}

const topicSchema = z
  .object({
    filter: z
      .string()
      .min(1)
      .describe(
        "Topic filter, wildcards allowed (`sensors/+/temp`, `devices/#`); `$share/<group>/<filter>` splits messages among every client subscribed with the same group (several daemons).",
      )
      .superRefine((filter, ctx) => {
        const problem = topicFilterProblem(filter);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    qos: qosSchema
      .default(1)
      .describe(
        "Highest QoS the broker delivers with. 0: at most once. 1 and 2: acknowledged only after delivery or dead-lettering, so nothing is lost.",
      ),
  })
  .strict();

const tlsSchema = shared.tlsOptionsSchema("mqtts:// and wss://");

const reconnectSchema = shared.reconnectOptionsSchema(100);

const urlSchema = z
  .string()
  .regex(/^(mqtts?|wss?):\/\/[^/]+/, "use mqtt://host:port, mqtts://host:port, ws://… or wss://…");

/** The one schema of the MQTT connector's options: validation, defaults, JSON Schema, docs. */
export const mqttOptionsSchema = z
  .object({
    url: shared
      .urlListSchema(urlSchema)
      .describe(
        "Broker URL, e.g. mqtt://broker:1883 or mqtts://broker:8883; a list is tried in turn (failover between brokers of a cluster).",
      ),
    protocolVersion: z
      .union([z.literal(4), z.literal(5)])
      .default(5)
      .describe(
        "MQTT protocol: 5 (MQTT 5) or 4 (MQTT 3.1.1). Properties, shared-subscription errors and response topics need 5.",
      ),
    clientId: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe(
        "Client identifier; the broker keeps the persistent session under it, so keep it stable across restarts and unique per daemon. Default: fgconnect-<connector name>-<replica>, the replica being the environment variable FGCONNECT_REPLICA_ID, else the host name (stable on a VM or in a Kubernetes StatefulSet, not in a Deployment: a warning says so at start).",
      ),
    clean: z
      .boolean()
      .default(false)
      .describe(
        "Start with a clean session. false (the default) keeps the session, so QoS 1/2 messages published while the daemon is down are delivered when it returns.",
      ),
    sessionExpirySeconds: z
      .number()
      .int()
      .min(0)
      .max(4_294_967_295)
      .default(86_400)
      .describe(
        "MQTT 5: how long the broker keeps the session after a disconnect. 0 discards it at once, so offline messages are lost even with clean false.",
      ),
    keepaliveSeconds: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .default(30)
      .describe(
        "Seconds between keepalive pings; the connection is dropped and re-made when the broker stops answering.",
      ),
    connectTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe("How long to wait for the broker to accept the connection at start, in ms."),
    topics: z
      .array(topicSchema)
      .min(1)
      .describe("Subscriptions: topic filters and the QoS of each."),
    username: z.string().min(1).optional().describe("User name for the broker."),
    password: z
      .string()
      .min(1)
      .optional()
      .describe("Password for the broker. Use ${ENV_VAR}; never commit it. Never logged."),
    tls: tlsSchema.optional(),
    reconnect: reconnectSchema.prefault({}),
    receiveMaximum: z
      .number()
      .int()
      .min(1)
      .max(65_535)
      .default(1000)
      .describe(
        "QoS 1/2 messages being delivered at once: MQTT 5 asks the broker to send no more before earlier ones are acknowledged (acknowledgement waits for delivery); what a broker sends past it anyway (Mosquitto does while draining a backlog, and under MQTT 3.1.1 its own max_inflight_messages applies) waits in memory, unacknowledged, so a crash repeats at most this many delivered messages.",
      ),
    ordering: z
      .enum(["topic", "none"])
      .default("topic")
      .describe(
        "topic: messages of one topic are delivered one after another, in arrival order. none: in parallel.",
      ),
    respond: z
      .object({
        qos: qosSchema.default(1).describe("QoS of the published response."),
      })
      .strict()
      .optional()
      .describe(
        "MQTT 5 request/response: when a message carries a response topic, publish the function's result there with the message's correlation data (sync routes).",
      ),
    deadLetter: z
      .object({
        topic: z
          .string()
          .min(1)
          .regex(/^[^+#]*$/, "a topic to publish to has no wildcards")
          .describe("Topic dead letters are published to."),
        qos: qosSchema
          .default(1)
          .describe("QoS of the dead-letter publish (1 or 2 to be sure the broker has it)."),
      })
      .strict()
      .optional()
      .describe(
        "Dead letters to an MQTT topic (through this connector's connection): MQTT 5 republishes the original message with the error in user properties; MQTT 3.1.1 publishes the dead-letter entry as JSON.",
      ),
  })
  .strict()
  .superRefine(
    shared.optionRules([
      shared.passwordNeedsUsername,
      {
        path: ["respond"],
        message: "response topics need protocolVersion 5",
        broken: (o) => o.protocolVersion === 4 && o.respond !== undefined,
      },
    ]),
  );

export type MqttOptions = z.input<typeof mqttOptionsSchema>;
export type ResolvedMqttOptions = z.output<typeof mqttOptionsSchema>;
