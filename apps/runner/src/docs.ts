import { type ConnectorDefinition, renderOptionsDoc } from "@fgconnect/core";
import { builtInConnectors } from "./registry.js";

/** Where each built-in connector's package lives in the repository, and its npm name. */
const PACKAGES: Record<string, { dir: string; name: string }> = {
  cron: { dir: "packages/cron", name: "@fgconnect/cron" },
  http: { dir: "packages/http", name: "@fgconnect/http" },
  kafka: { dir: "packages/kafka", name: "@fgconnect/kafka" },
  mqtt: { dir: "packages/mqtt", name: "@fgconnect/mqtt" },
  rabbitmq: { dir: "packages/rabbitmq", name: "@fgconnect/rabbitmq" },
  s3: { dir: "packages/s3", name: "@fgconnect/s3" },
};

/** The package a type's docs name: the built-in's npm name, else the plugin's specifier. */
export function packageOf(type: string, origin: string | undefined): string | undefined {
  if (origin === "built-in") return PACKAGES[type]?.name;
  return origin?.replace(/^plugin "(.*)"$/, "$1");
}

/**
 * The OPTIONS.md text of every built-in connector, with the folder it belongs in: what
 * `fgconnect docs` prints for them, written by scripts/options-docs.mjs.
 */
export function optionsDocs(
  definitions: readonly ConnectorDefinition[] = builtInConnectors,
): { type: string; dir: string; text: string }[] {
  return definitions.map((d) => {
    const pkg = PACKAGES[d.type];
    if (!pkg) throw new Error(`no package folder known for connector type "${d.type}"`);
    return { type: d.type, dir: pkg.dir, text: renderOptionsDoc(d, pkg.name) };
  });
}
