import type { Connector, ConnectorDefinition, ConnectorServices } from "@fgconnect/core";
import { cronConnector } from "@fgconnect/cron";
import { httpConnector } from "@fgconnect/http";
import { kafkaConnector } from "@fgconnect/kafka";
import { mqttConnector } from "@fgconnect/mqtt";
import { rabbitmqConnector } from "@fgconnect/rabbitmq";
import { s3Connector } from "@fgconnect/s3";
import { z } from "zod";

/** The connector types that ship with the daemon. */
export const builtInConnectors: readonly ConnectorDefinition[] = [
  cronConnector,
  httpConnector,
  kafkaConnector,
  mqttConnector,
  rabbitmqConnector,
  s3Connector,
];

/** A connector type the registry refused, and why. */
export class ConnectorRegistrationError extends Error {
  constructor(
    readonly type: string,
    readonly origin: string,
    message: string,
  ) {
    super(message);
    this.name = "ConnectorRegistrationError";
  }
}

/**
 * The connector types a config may name: the built-ins plus those that plugins register the
 * same way. The config schema's connector union comes from here, so `validate`, `schema` and
 * the docs know every registered type.
 */
export class ConnectorRegistry {
  readonly #definitions = new Map<string, { definition: ConnectorDefinition; origin: string }>();

  constructor(definitions: readonly ConnectorDefinition[] = builtInConnectors) {
    for (const d of definitions) this.add(d, "built-in");
  }

  /** Registers a type; `origin` names where it came from in errors (a plugin's specifier). */
  add(definition: ConnectorDefinition, origin: string): void {
    const existing = this.#definitions.get(definition.type);
    if (existing)
      throw new ConnectorRegistrationError(
        definition.type,
        origin,
        `connector type "${definition.type}" from ${origin} is already registered by ${existing.origin}`,
      );
    this.#definitions.set(definition.type, { definition, origin });
  }

  get(type: string): ConnectorDefinition | undefined {
    return this.#definitions.get(type)?.definition;
  }

  /** Where a type came from: "built-in", or the plugin that registered it. */
  originOf(type: string): string | undefined {
    return this.#definitions.get(type)?.origin;
  }

  get types(): string[] {
    return [...this.#definitions.keys()];
  }

  get definitions(): ConnectorDefinition[] {
    return [...this.#definitions.values()].map((e) => e.definition);
  }

  /** One connector's config: `type` picks the definition whose options schema applies. */
  configSchema(): z.ZodType<{ type: string } & Record<string, unknown>> {
    const variants = this.definitions.map((d) =>
      // safeExtend keeps the options schema's cross-field checks.
      d.options.safeExtend({ type: z.literal(d.type).describe(d.summary) }).describe(d.summary),
    );
    // Each variant declares `type`; zod's generic object output does not know it.
    return z
      .discriminatedUnion("type", variants as [(typeof variants)[number]])
      .describe(
        `A source of events; \`type\` is one of: ${this.types.join(", ")}.`,
      ) as unknown as z.ZodType<{ type: string } & Record<string, unknown>>;
  }

  /** Builds a connector from config its `configSchema()` parsed. */
  create(
    name: string,
    config: { type: string } & Record<string, unknown>,
    services: ConnectorServices,
  ): Connector {
    const { type, ...options } = config;
    const definition = this.get(type);
    if (!definition) throw new Error(`connector "${name}": no connector type "${type}"`);
    return definition.create(name, options, services);
  }
}
