import { accessSync, constants, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DEFAULTS } from "@fgconnect/core";
import { type Raw, type Report, rawObject, rawString } from "./raw.js";
import { isSecretPath } from "./secrets.js";

/** TLS files each connector type reads at start, by path in its options. */
const TLS_FILES: Record<string, { fields: string[][]; pemOrPath: boolean }> = {
  kafka: {
    fields: ["tls", "deadLetter.tls"].flatMap((at) =>
      ["caFile", "certFile", "keyFile"].map((f) => [...at.split("."), f]),
    ),
    pemOrPath: false,
  },
  // Each of these is PEM text or the path of a PEM file.
  mqtt: {
    fields: [
      ["tls", "ca"],
      ["tls", "cert"],
      ["tls", "key"],
    ],
    pemOrPath: true,
  },
};

/** Files each connector type writes, whose directory it creates. */
const WRITTEN_FILES: Record<string, string[][]> = {
  cron: [["stateFile"]],
  s3: [["checkpoint", "path"]],
};

/**
 * What would fail only once running: a TLS file that cannot be read (a connector would retry
 * for ever), a file the daemon writes whose directory cannot be made. Paths are relative to
 * the working directory, as the daemon reads them.
 */
export function checkFiles(config: Raw, report: Report): void {
  const deadLetter = rawObject(config.deadLetter) ?? {};
  if (deadLetter.type === undefined || deadLetter.type === "file") {
    const path = deadLetter.path === undefined ? DEFAULTS.deadLetter.path : deadLetter.path;
    writable(path, ["deadLetter", "path"], report);
  }
  for (const [name, value] of Object.entries(rawObject(config.connectors) ?? {})) {
    const connector = rawObject(value);
    if (!connector) continue;
    const type = String(connector.type);
    const tls = TLS_FILES[type];
    for (const field of tls?.fields ?? []) {
      const file = rawString(valueAt(connector, field));
      if (file === undefined || (tls!.pemOrPath && file.includes("-----BEGIN"))) continue;
      readable(file, ["connectors", name, ...field], report);
    }
    for (const field of WRITTEN_FILES[type] ?? []) {
      const file = valueAt(connector, field);
      if (file !== undefined) writable(file, ["connectors", name, ...field], report);
    }
  }
}

function readable(file: string, path: string[], report: Report): void {
  // A key's value may be PEM text written without its header: never repeat it.
  const named = isSecretPath(path) ? "the file named here" : resolve(file);
  try {
    if (statSync(file).isDirectory()) report(path, `${named} is a directory, not a file`);
    else accessSync(file, constants.R_OK);
  } catch (err) {
    report(path, `cannot read ${named}: ${reason(err)}; give a readable PEM file`);
  }
}

function writable(file: unknown, path: string[], report: Report): void {
  if (typeof file !== "string" || file === "") return;
  const problem = writeProblem(resolve(file));
  if (problem) report(path, problem);
}

/** Why `target` could not be written (made with its directory), or undefined. */
function writeProblem(target: string): string | undefined {
  try {
    if (statSync(target).isDirectory()) return `${target} is a directory, not a file`;
    accessSync(target, constants.W_OK);
    return undefined;
  } catch (err) {
    if (!missing(err)) return `cannot write ${target}: ${reason(err)}`;
  }
  // The nearest directory that exists must let the rest be made in it.
  for (let dir = dirname(target); ; dir = dirname(dir)) {
    try {
      if (!statSync(dir).isDirectory())
        return `cannot create ${target}: ${dir} is a file, not a directory`;
      accessSync(dir, constants.W_OK | constants.X_OK);
      return undefined;
    } catch (err) {
      if (!missing(err) || dirname(dir) === dir)
        return `cannot create ${target}: ${dir}: ${reason(err)}`;
    }
  }
}

function valueAt(root: Raw, path: readonly string[]): unknown {
  let node: unknown = root;
  for (const key of path) node = rawObject(node)?.[key];
  return node;
}

function missing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return code ?? String(err);
}
