/**
 * `plugins:` — modules that register connector types the same way the built-ins do. They are
 * imported before the connectors are parsed, so the config's union (and `schema`, `validate`,
 * `docs`) knows their types. Every failure is a config problem on the plugin's own line.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type ConnectorDefinition, isConnectorDefinition } from "@fgconnect/core";
import { resolve as resolveModule } from "import-meta-resolve";
import { ConnectorRegistrationError, type ConnectorRegistry } from "../registry.js";
import type { ConfigDocument } from "./document.js";
import type { ConfigIssue } from "./errors.js";
import { rawList, rawObject } from "./raw.js";

/** Imports each plugin the document lists into `registry`; returns the problems found. */
export async function loadPlugins(
  doc: ConfigDocument,
  registry: ConnectorRegistry,
): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  const list = rawObject(doc.value)?.plugins;
  const configDir = dirname(resolve(doc.file));
  for (const [i, specifier] of rawList(list).entries()) {
    // A non-string entry is the schema's to report.
    if (typeof specifier !== "string" || specifier === "") continue;
    const path = ["plugins", i];
    const fail = (message: string) =>
      issues.push({ path, line: doc.lineOf(path), message: `plugin "${specifier}": ${message}` });
    let definitions: ConnectorDefinition[];
    try {
      definitions = definitionsIn(await import(moduleUrl(specifier, configDir)));
    } catch (err) {
      fail(
        `cannot be loaded: ${firstLine(err)}; install the package where the config is, or give a path relative to the config file`,
      );
      continue;
    }
    if (definitions.length === 0) {
      fail(
        "exports no connector definition; export what defineConnector() from @fgconnect/core returns (named or default)",
      );
      continue;
    }
    for (const definition of definitions) {
      try {
        registry.add(definition, `plugin "${specifier}"`);
      } catch (err) {
        if (!(err instanceof ConnectorRegistrationError)) throw err;
        fail(`${err.message}; rename the type in the plugin, or drop one of the two`);
      }
    }
  }
  return issues;
}

/** Paths are relative to the config file; other specifiers are packages found from its folder. */
export function moduleUrl(specifier: string, configDir: string): string {
  const isPath = /^\.{1,2}([/\\]|$)/.test(specifier) || isAbsolute(specifier);
  if (!isPath)
    return resolveModule(specifier, pathToFileURL(join(configDir, "fgconnect.yaml")).href);
  const target = resolve(configDir, specifier);
  if (!existsSync(target)) throw new Error(`no such file or folder: ${target}`);
  if (!statSync(target).isDirectory()) return pathToFileURL(target).href;
  // A package folder: its entry, as the package itself names it.
  const manifest = join(target, "package.json");
  if (!existsSync(manifest))
    throw new Error(`${target} is a folder without package.json; name the module file instead`);
  const pkg = JSON.parse(readFileSync(manifest, "utf8")) as {
    name?: string;
    exports?: unknown;
    main?: string;
  };
  if (pkg.exports !== undefined && pkg.name)
    return resolveModule(pkg.name, pathToFileURL(manifest).href);
  return pathToFileURL(resolve(target, pkg.main ?? "index.js")).href;
}

/** The distinct definitions among a module's exports (a default may be one, or a list). */
function definitionsIn(mod: Record<string, unknown>): ConnectorDefinition[] {
  const found = new Set<ConnectorDefinition>();
  for (const value of Object.values(mod))
    for (const item of Array.isArray(value) ? value : [value])
      if (isConnectorDefinition(item)) found.add(item);
  return [...found];
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0]!;
}
