import { noConnectorServices } from "@fgconnect/core";
import { createConnector } from "../connectors.js";
import type { ConnectorRegistry } from "../registry.js";
import type { Report } from "./raw.js";
import type { Config } from "./schema.js";

/**
 * A route's `format` must be one its connector builds. The formats are the connector's own,
 * so it is made (not started) to ask; this needs options the schema accepted.
 */
export function checkFormats(config: Config, registry: ConnectorRegistry, report: Report): void {
  const formats = new Map<string, string[]>();
  config.routes.forEach((route, i) => {
    if (route.format === undefined) return;
    const options = config.connectors[route.from];
    if (!options) return;
    let known = formats.get(route.from);
    if (!known) {
      known = Object.keys(
        createConnector(registry, route.from, options, noConnectorServices).formats,
      );
      formats.set(route.from, known);
    }
    if (!known.includes(route.format))
      report(
        ["routes", i, "format"],
        `connector "${route.from}" has no format "${route.format}"; its formats: ${known.join(", ")}`,
      );
  });
}
