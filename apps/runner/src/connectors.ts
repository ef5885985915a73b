import type { Connector, ConnectorServices } from "@fgconnect/core";
import { ConnectorRegistry } from "./registry.js";

/** The built-in connector types: the registry of a config that loads no plugins. */
export const registry = new ConnectorRegistry();

/** One connector's config as the registry's union parsed it: `type` plus its options. */
export type ConnectorConfig = { type: string } & Record<string, unknown>;

export function createConnector(
  connectors: ConnectorRegistry,
  name: string,
  config: ConnectorConfig,
  services: ConnectorServices,
): Connector {
  return connectors.create(name, config, services);
}
