import { readFile } from "node:fs/promises";
import type { UrnDefaults } from "@fgconnect/core";
import type { z } from "zod";
import { checkReferences } from "./cross-checks.js";
import { type ConfigDocument, parseConfigText, pathKey } from "./document.js";
import { ConfigError, type ConfigIssue } from "./errors.js";
import { checkFiles } from "./file-checks.js";
import { checkFormats } from "./format-checks.js";
import { rawObject } from "./raw.js";
import { type Config, configSchema } from "./schema.js";
import { isSecretPath } from "./secrets.js";
import { checkSharedState } from "./shared-state-checks.js";
import { checkUrlCredentials } from "./url-credentials.js";

/** Reads, interpolates and validates a config file; throws ConfigError listing every problem. */
export async function loadConfig(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  urnDefaults?: UrnDefaults,
): Promise<Config> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "it is a directory"
          : (err as Error).message;
    throw new ConfigError(file, [{ path: [], message: `cannot read the config file: ${reason}` }]);
  }
  return parseConfig(decodeText(bytes, file), file, env, urnDefaults);
}

/**
 * Validates config text: the schema, then the checks between fields and against the file
 * system, all in one pass so that every problem is reported at once, each with its line.
 */
export function parseConfig(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  urnDefaults?: UrnDefaults,
): Config {
  const doc = parseConfigText(text, file, env);
  const result = configSchema.safeParse(doc.value);
  const issues = result.success ? [] : toIssues(result.error, doc);
  const report = (path: (string | number)[], message: string) => {
    issues.push({ path, line: doc.lineOf(path), message });
  };
  const raw = rawObject(doc.value);
  if (raw) {
    checkReferences(raw, report, urnDefaults);
    checkUrlCredentials(raw, report);
    checkFiles(raw, report);
    if (result.success) {
      checkFormats(result.data, report);
      checkSharedState(result.data, raw, report);
    }
  }
  if (issues.length > 0) throw new ConfigError(file, byLine(issues));
  return result.data!;
}

/** UTF-8 text (a leading BOM dropped), or a ConfigError saying the file is not text. */
function decodeText(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const lossy = new TextDecoder("utf-8").decode(bytes);
    const at = lossy.indexOf("\uFFFD");
    const line = at < 0 ? undefined : lossy.slice(0, at).split("\n").length;
    throw new ConfigError(file, [
      {
        path: [],
        line,
        message: "not a text file: it is not UTF-8; give a YAML or JSON config file",
      },
    ]);
  }
}

function byLine(issues: ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.i - b.i)
    .map((x) => x.issue);
}

function toIssues(error: z.ZodError, doc: ConfigDocument): ConfigIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    // An unknown key is reported on its parent; its own line is the useful one.
    const at = issue.code === "unrecognized_keys" ? [...path, issue.keys[0]!] : path;
    return { path, line: doc.lineOf(at), message: describeIssue(issue, path, doc) };
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

function describeIssue(
  issue: z.core.$ZodIssue,
  path: readonly (string | number)[],
  doc: ConfigDocument,
): string {
  const value = valueAt(doc.value, path);
  const secret = isSecretPath(path);
  let message: string;
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    case "invalid_type": {
      if (value === undefined) return `required: expected ${issue.expected}`;
      message = `expected ${issue.expected}, got ${secret ? kindOf(value) : shown(value)}`;
      const ref = doc.references.get(pathKey(path));
      if (ref && issue.expected === "string")
        message += `; quote the reference to keep it text: "${ref}"`;
      return message;
    }
    default:
      message = issue.message;
  }
  // Messages from connectors' own checks may quote what they were given.
  if (secret && value !== null && typeof value !== "object") {
    const text = String(value);
    if (text.length > 0) message = message.split(text).join("[redacted]");
  }
  return message;
}

/** A value as one short token: scalars as written, lists and maps by their kind. */
function shown(value: unknown): string {
  return value !== null && typeof value === "object" ? kindOf(value) : JSON.stringify(value);
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}
