import { readFile } from "node:fs/promises";
import { parseUrn, regionFromHost, type UrnDefaults } from "@fgconnect/core";
import { limits as emulatorDefaults } from "@fgconnect/emulator";
import type { z } from "zod";
import { type ConfigDocument, parseConfigText } from "./document.js";
import { ConfigError, type ConfigIssue } from "./errors.js";
import { type Config, configSchema } from "./schema.js";

/** Reads, interpolates and validates a config file; throws ConfigError listing every problem. */
export async function loadConfig(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  urnDefaults?: UrnDefaults,
): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new ConfigError(file, [{ path: [], message: `cannot read the config file: ${reason}` }]);
  }
  return parseConfig(text, file, env, urnDefaults);
}

export function parseConfig(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  urnDefaults?: UrnDefaults,
): Config {
  const doc = parseConfigText(text, file, env);
  const result = configSchema.safeParse(doc.value);
  if (!result.success) throw new ConfigError(file, toIssues(result.error, doc));
  const urnIssues = checkUrns(result.data, urnDefaults, doc);
  if (urnIssues.length > 0) throw new ConfigError(file, urnIssues);
  return result.data;
}

function toIssues(error: z.ZodError, doc: ConfigDocument): ConfigIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    // An unknown key is reported on its parent; its own line is the useful one.
    const at = issue.code === "unrecognized_keys" ? [...path, issue.keys[0]!] : path;
    return { path, line: doc.lineOf(at), message: describeIssue(issue, valueAt(doc.value, path)) };
  });
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const key of path)
    node =
      node && typeof node === "object"
        ? (node as Record<string | number, unknown>)[key]
        : undefined;
  return node;
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    case "invalid_type":
      return value === undefined
        ? `required: expected ${issue.expected}`
        : `expected ${issue.expected}, got ${JSON.stringify(value)}`;
    default:
      return issue.message;
  }
}

/** Route targets are checked as URNs now, so a typo fails at start rather than at delivery. */
function checkUrns(
  config: Config,
  urnDefaults: UrnDefaults | undefined,
  doc: ConfigDocument,
): ConfigIssue[] {
  // With an embedded emulator, short URNs resolve to the emulator's project and region.
  const emulator = config.emulator
    ? { region: emulatorDefaults.DEFAULT_REGION, projectId: emulatorDefaults.DEFAULT_PROJECT_ID }
    : undefined;
  const { endpoint } = config.functiongraph;
  const defaults: UrnDefaults = {
    region:
      config.functiongraph.region ??
      (endpoint === undefined ? undefined : regionFromHost(new URL(endpoint).hostname)) ??
      emulator?.region ??
      urnDefaults?.region,
    projectId: config.functiongraph.projectId ?? emulator?.projectId ?? urnDefaults?.projectId,
  };
  const issues: ConfigIssue[] = [];
  config.routes.forEach((route, i) => {
    route.to.forEach((urn, j) => {
      try {
        parseUrn(urn, defaults);
      } catch (err) {
        const path = ["routes", i, "to", j];
        issues.push({ path, line: doc.lineOf(path), message: (err as Error).message });
      }
    });
  });
  return issues;
}
