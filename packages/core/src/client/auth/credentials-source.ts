/**
 * Where temporary AK/SK credentials come from: a JSON file that something else keeps fresh (a
 * sidecar, a mounted secret), or a command that prints them. The JSON is what Huawei Cloud's
 * STS (`POST /v3.0/OS-CREDENTIAL/securitytokens`) and the ECS metadata service
 * (`/openstack/latest/securitykey`) answer: `{"credential": {"access", "secret",
 * "securitytoken", "expires_at"}}`, or the inner object alone. Errors never quote the text read.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";

export interface TemporaryCredentials {
  readonly accessKey: string;
  readonly secretKey: string;
  readonly securityToken: string;
  /** ms since epoch. */
  readonly expiresAt: number;
}

/** A JSON file re-read at each refresh, or a command (argv, no shell) whose stdout is the JSON. */
export type CredentialsSource =
  | { readonly file: string }
  | { readonly command: readonly string[]; readonly timeoutMs?: number };

/** Where a source reads from, for logs: a path or a program name, never what it printed. */
export function describeSource(source: CredentialsSource): string {
  return "file" in source ? `file ${source.file}` : `command ${source.command[0]}`;
}

/** Reads the source once; throws an Error whose message is safe to log. */
export async function readCredentials(source: CredentialsSource): Promise<TemporaryCredentials> {
  return parseCredentials(await readText(source));
}

async function readText(source: CredentialsSource): Promise<string> {
  if ("file" in source) {
    try {
      return await readFile(source.file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(code === "ENOENT" ? "no such file" : `cannot read it (${code ?? "error"})`);
    }
  }
  const [program, ...args] = source.command;
  return new Promise((resolve, reject) => {
    execFile(
      program!,
      args,
      { timeout: source.timeoutMs ?? 30_000, maxBuffer: 1024 * 1024, encoding: "utf8" },
      (err, stdout) => {
        // Its stderr is not repeated: a failing credentials tool may print what it holds.
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: unknown };
        if (e.code === "ENOENT") return reject(new Error("no such program"));
        if (e.killed) return reject(new Error("timed out"));
        reject(new Error(`exited with code ${String(e.code)}`));
      },
    );
  });
}

/** The credentials in `text`; throws naming the field that is wrong, never its value. */
export function parseCredentials(text: string): TemporaryCredentials {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error("it is not JSON");
  }
  const outer = value as { credential?: unknown } | null;
  const c = (
    outer && typeof outer === "object" && typeof outer.credential === "object"
      ? outer.credential
      : value
  ) as Record<string, unknown> | null;
  if (!c || typeof c !== "object") throw new Error("it is not a JSON object");
  const field = (name: string): string => {
    const v = c[name];
    if (typeof v !== "string" || v === "" || /\s/.test(v))
      throw new Error(`"${name}" is missing or not a single word`);
    return v;
  };
  const expiresAt = Date.parse(String(c.expires_at ?? ""));
  if (Number.isNaN(expiresAt)) throw new Error('"expires_at" is missing or not a date');
  return {
    accessKey: field("access"),
    secretKey: field("secret"),
    securityToken: field("securitytoken"),
    expiresAt,
  };
}
