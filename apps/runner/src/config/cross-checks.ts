import { parseUrn, regionFromHost, type UrnDefaults } from "@fgconnect/core";
import { limits as emulatorDefaults } from "@fgconnect/emulator";
import { type Raw, type Report, rawList, rawObject, rawString } from "./raw.js";

/**
 * Checks between fields (a route's connector, unique route names, URNs, where FunctionGraph
 * is), on the config as written, so they are reported with the schema's problems, not after.
 */
export function checkReferences(config: Raw, report: Report, urnDefaults?: UrnDefaults): void {
  const connectors = rawObject(config.connectors);
  const declared = connectors ? Object.keys(connectors) : [];
  const fg = rawObject(config.functiongraph) ?? {};
  const emulator = config.emulator !== undefined;
  const endpoint = rawString(fg.endpoint);
  const region = rawString(fg.region);
  const projectId = rawString(fg.projectId);

  if (!emulator && !endpoint && !region)
    report(
      ["functiongraph"],
      "set functiongraph.region or functiongraph.endpoint, or add an `emulator` section to run locally",
    );
  if (!emulator && fg.projectId === undefined)
    report(["functiongraph", "projectId"], "required when not using the embedded emulator");

  // With an embedded emulator, short URNs resolve to the emulator's project and region.
  const defaults: UrnDefaults = {
    region:
      region ??
      (endpoint ? regionFromEndpoint(endpoint) : undefined) ??
      (emulator ? emulatorDefaults.DEFAULT_REGION : undefined) ??
      urnDefaults?.region,
    projectId:
      projectId ??
      (emulator ? emulatorDefaults.DEFAULT_PROJECT_ID : undefined) ??
      urnDefaults?.projectId,
  };

  const names = new Map<string, number>();
  rawList(config.routes).forEach((item, i) => {
    const route = rawObject(item);
    if (!route) return;
    const from = rawString(route.from);
    if (connectors && from !== undefined && !(from in connectors))
      report(
        ["routes", i, "from"],
        `no connector named "${from}"; declared: ${declared.join(", ") || "none"}`,
      );
    const name = rawString(route.name) ?? (from === undefined ? undefined : `${from}#${i}`);
    if (name !== undefined) {
      const other = names.get(name);
      if (other === undefined) names.set(name, i);
      else
        report(
          route.name === undefined ? ["routes", i] : ["routes", i, "name"],
          `routes[${other}] has the same name "${name}"; give each route its own name`,
        );
    }
    rawList(route.to).forEach((urn, j) => {
      if (rawString(urn) === undefined) return;
      try {
        parseUrn(urn as string, defaults);
      } catch (err) {
        report(["routes", i, "to", j], (err as Error).message);
      }
    });
  });
}

function regionFromEndpoint(endpoint: string): string | undefined {
  try {
    return regionFromHost(new URL(endpoint).hostname);
  } catch {
    return undefined;
  }
}
