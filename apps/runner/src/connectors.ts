import type { Connector } from "@fgconnect/core";
import { CronConnector, cronOptionsSchema } from "@fgconnect/cron";
import { KafkaConnector, kafkaOptionsSchema } from "@fgconnect/kafka";
import { MqttConnector, mqttOptionsSchema } from "@fgconnect/mqtt";
import { S3Connector, s3OptionsSchema } from "@fgconnect/s3";
import { z } from "zod";

/**
 * The connector types the daemon can load: each one's options schema (the connector package's
 * own, plus `type`; `safeExtend` keeps its cross-field checks) and how to build it. A new
 * connector joins here and nowhere else.
 */
export const connectorTypes = {
  cron: {
    schema: cronOptionsSchema.safeExtend({ type: z.literal("cron") }),
    create: (name: string, options: z.output<typeof cronOptionsSchema>): Connector =>
      new CronConnector(name, options),
  },
  kafka: {
    schema: kafkaOptionsSchema.safeExtend({ type: z.literal("kafka") }),
    create: (name: string, options: z.output<typeof kafkaOptionsSchema>): Connector =>
      new KafkaConnector(name, options),
  },
  mqtt: {
    schema: mqttOptionsSchema.safeExtend({ type: z.literal("mqtt") }),
    create: (name: string, options: z.output<typeof mqttOptionsSchema>): Connector =>
      new MqttConnector(name, options),
  },
  s3: {
    schema: s3OptionsSchema.safeExtend({ type: z.literal("s3") }),
    create: (name: string, options: z.output<typeof s3OptionsSchema>): Connector =>
      new S3Connector(name, options),
  },
} as const;

export type ConnectorType = keyof typeof connectorTypes;

export const connectorConfigSchema = z
  .discriminatedUnion(
    "type",
    Object.values(connectorTypes).map((t) => t.schema) as unknown as [
      (typeof connectorTypes)[ConnectorType]["schema"],
    ],
  )
  .describe(`A source of events; \`type\` is one of: ${Object.keys(connectorTypes).join(", ")}.`);

export type ConnectorConfig = z.output<typeof connectorConfigSchema>;

export function createConnector(name: string, config: ConnectorConfig): Connector {
  const { type, ...options } = config;
  const def = connectorTypes[type];
  return def.create(name, options as never);
}
