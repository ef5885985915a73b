import type { ConnectorDefinition } from "@fgconnect/core";
import { SCHEMA_URL } from "./package-info.js";

/**
 * A connector's starter options: local servers and `${VAR:-default}` so the file validates as
 * written. Types without one here (a plugin's) start from their definition's first example.
 */
const STARTERS: Record<string, { comment: string; yaml: string; mode: "sync" | "async" }> = {
  cron: {
    comment: "Fires a FunctionGraph timer-trigger event on each tick.",
    mode: "async",
    yaml: `schedules:
  - name: heartbeat
    # 6-field cron (seconds first), 5-field cron, a rate (3m, 1h) or @every 2h30m.
    schedule: "*/10 * * * * *"
    timezone: UTC
    userEvent: hello from fgconnect   # the event's user_event
stateFile: .fgconnect/cron-state.json`,
  },
  kafka: {
    comment: "Consumes topics in a consumer group; sends FunctionGraph's Kafka-trigger event.",
    mode: "sync",
    yaml: `brokers: ["\${KAFKA_BROKERS:-127.0.0.1:9092}"]
topics: [orders]
groupId: fgconnect
startFrom: latest        # or earliest, or a timestamp
# sasl: { mechanism: scram-sha-512, username: fgconnect, password: "\${KAFKA_PASSWORD}" }`,
  },
  mqtt: {
    comment: "Subscribes to topic filters; sends one event per message (or a batch).",
    mode: "sync",
    yaml: `url: "\${MQTT_URL:-mqtt://127.0.0.1:1883}"
topics:
  - filter: "sensors/#"
    qos: 1
# username: fgconnect
# password: "\${MQTT_PASSWORD}"`,
  },
  rabbitmq: {
    comment: "Consumes queues; sends FunctionGraph's DMS-for-RabbitMQ trigger event.",
    mode: "sync",
    yaml: `url: "\${RABBITMQ_URL:-amqp://127.0.0.1:5672}"
username: "\${RABBITMQ_USER:-guest}"
password: "\${RABBITMQ_PASSWORD:-guest}"   # quoted: a secret stays text
queues: [orders]
prefetch: 50             # messages in flight: the backpressure`,
  },
  s3: {
    comment: "Polls a bucket; sends FunctionGraph's OBS-trigger event per new object.",
    mode: "async",
    yaml: `endpoint: "\${S3_ENDPOINT:-http://127.0.0.1:9000}"
pathStyle: true          # MinIO and most local servers
bucket: uploads
prefix: incoming/
# credentials: { accessKeyId: "\${S3_AK}", secretAccessKey: "\${S3_SK}" }   # default: the AWS SDK's chain`,
  },
  http: {
    comment: "Serves HTTP; each request becomes FunctionGraph's APIG-trigger event.",
    mode: "sync",
    yaml: `port: 8080
routes:
  - name: orders
    method: POST
    path: /orders/{id}`,
  },
};

const indent = (text: string, by: string) =>
  text
    .split("\n")
    .map((l) => (l === "" ? l : by + l))
    .join("\n");

/** The commented `fgconnect.yaml` that `fgconnect init` writes for a connector type. */
export function starterConfig(definition: ConnectorDefinition): string {
  const { type } = definition;
  const starter = STARTERS[type] ?? {
    comment: definition.summary,
    mode: "sync" as const,
    yaml: definition.examples[0]?.yaml ?? "",
  };
  const name = type === "cron" ? "ticks" : `${type}-events`;
  return `# yaml-language-server: $schema=${SCHEMA_URL}
#
# fgconnect: ${type} → FunctionGraph. Check it with \`fgconnect validate\`, run it with
# \`fgconnect run\`; \`fgconnect schema\` documents every field.
# \${VAR} and \${VAR:-default} are read from the environment; quote a secret ("\${PASSWORD}")
# so it stays text.

# A FunctionGraph emulator inside the daemon runs the handlers in ./functions: no cloud account.
# To invoke FunctionGraph itself, delete this section and uncomment \`functiongraph\`.
emulator:
  functions: ./functions

# functiongraph:
#   region: cn-north-4
#   projectId: "\${FG_PROJECT_ID}"
#   auth:
#     type: aksk           # signs with CLOUD_SDK_AK / CLOUD_SDK_SK from the environment

connectors:
  # ${starter.comment}
  ${name}:
    type: ${type}
${indent(starter.yaml, "    ")}

routes:
  - name: ${name}-to-hello
    from: ${name}
    to: [hello]            # function names, package:name, or full URNs
    mode: ${starter.mode}${" ".repeat(Math.max(1, 17 - starter.mode.length))}# sync: wait for the result; async: FunctionGraph queues the event

# /healthz, /readyz and /metrics.
admin:
  port: \${FGCONNECT_ADMIN_PORT:-9464}
`;
}

/** The handler `fgconnect init` puts in ./functions/hello when there is none. */
export const STARTER_FUNCTION = `// A FunctionGraph Node.js handler, as you would deploy it: it logs the event it got.
exports.handler = async (event, context) => {
  context.getLogger().info(JSON.stringify(event));
  return { statusCode: 200, body: JSON.stringify({ received: event.trigger_type ?? "event" }) };
};
`;
