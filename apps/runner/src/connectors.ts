import type { Connector, ConnectorServices } from "@fgconnect/core";
import type { z } from "zod";
import { ConnectorRegistry } from "./registry.js";

/** The daemon's registry of connector types: the built-ins. */
export const registry = new ConnectorRegistry();

export const connectorConfigSchema = registry.configSchema();

export type ConnectorConfig = z.output<typeof connectorConfigSchema>;

export function createConnector(
  name: string,
  config: ConnectorConfig,
  services: ConnectorServices,
): Connector {
  return registry.create(name, config as { type: string } & Record<string, unknown>, services);
}
