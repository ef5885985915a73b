/** The connection options that broker connectors share: TLS, and the reconnect backoff. */
import { readFileSync } from "node:fs";
import { z } from "zod";

/** TLS to a broker; `schemes` names the URL schemes it applies to, for the docs. */
export function tlsOptionsSchema(schemes: string) {
  return z
    .object({
      ca: z
        .string()
        .min(1)
        .optional()
        .describe(
          "CA certificate(s) that signed the broker's certificate: a PEM file path, or PEM text. Default: the system CAs.",
        ),
      cert: z
        .string()
        .min(1)
        .optional()
        .describe("Client certificate for mutual TLS: a PEM file path, or PEM text."),
      key: z
        .string()
        .min(1)
        .optional()
        .describe(
          "Private key of the client certificate: a PEM file path, or PEM text. Never logged.",
        ),
      rejectUnauthorized: z
        .boolean()
        .default(true)
        .describe(
          "Refuse a broker whose certificate does not verify. Turn off only for a throwaway test broker.",
        ),
      servername: z
        .string()
        .min(1)
        .optional()
        .describe(
          "Server name sent for SNI and checked in the certificate. Default: the URL's host.",
        ),
    })
    .strict()
    .refine((t) => (t.cert === undefined) === (t.key === undefined), {
      message: "give both cert and key (mutual TLS), or neither",
      path: ["key"],
    })
    .describe(`TLS settings for ${schemes} brokers.`);
}

export type TlsOptions = z.output<ReturnType<typeof tlsOptionsSchema>>;

/** The backoff between reconnect attempts; `minMs` is the least either wait may be set to. */
export function reconnectOptionsSchema(minMs: number) {
  return z
    .object({
      minDelayMs: z
        .number()
        .int()
        .min(minMs)
        .default(1000)
        .describe("Wait before the first reconnect attempt, in ms."),
      maxDelayMs: z
        .number()
        .int()
        .min(minMs)
        .default(30_000)
        .describe("Longest wait between reconnect attempts, in ms; the wait doubles up to it."),
    })
    .strict()
    .refine((r) => r.maxDelayMs >= r.minDelayMs, {
      message: "maxDelayMs must be at least minDelayMs",
      path: ["maxDelayMs"],
    })
    .describe("Backoff between reconnect attempts after the connection is lost.");
}

/**
 * The PEM files of the TLS options, read (a value is PEM text or a file's path). `unreadable`
 * makes the connector's own typed error for a file that cannot be read.
 */
export function readTlsFiles(
  tls: TlsOptions,
  unreadable: (message: string, hint: string, cause: unknown) => Error,
): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const pem = (field: string, value: string | undefined): Buffer | undefined => {
    if (value === undefined) return undefined;
    if (value.includes("-----BEGIN")) return Buffer.from(value);
    try {
      return readFileSync(value);
    } catch (err) {
      throw unreadable(
        `${field}: cannot read ${value} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
        `set ${field} to a readable PEM file, or to the PEM text itself`,
        err,
      );
    }
  };
  const out: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  const ca = pem("tls.ca", tls.ca);
  const cert = pem("tls.cert", tls.cert);
  const key = pem("tls.key", tls.key);
  if (ca) out.ca = ca;
  if (cert) out.cert = cert;
  if (key) out.key = key;
  return out;
}

/** A rule across several options: when `broken`, the config is refused at `path` with `message`. */
export interface OptionRule<T> {
  path: (string | number)[];
  message: string | ((o: T) => string);
  broken(o: T): boolean;
}

/** The `superRefine` of an options schema that checks `rules` in order. */
export function optionRules<T>(rules: readonly OptionRule<NoInfer<T>>[]) {
  return (
    o: T,
    ctx: { addIssue(issue: { code: "custom"; path: (string | number)[]; message: string }): void },
  ): void => {
    for (const r of rules)
      if (r.broken(o))
        ctx.addIssue({
          code: "custom",
          path: r.path,
          message: typeof r.message === "function" ? r.message(o) : r.message,
        });
  };
}

/** Broker credentials: a password alone is refused. */
export const passwordNeedsUsername: OptionRule<{ username?: string; password?: string }> = {
  path: ["username"],
  message: "a password needs a username",
  broken: (o) => o.password !== undefined && o.username === undefined,
};

/** One broker URL, or a list tried in turn (failover between the nodes of a cluster). */
export function urlListSchema(url: z.ZodString) {
  return z.union([url, z.array(url).min(1)]);
}

/** The broker URLs of a `urlListSchema` option, as a list. */
export function urlList(url: string | readonly string[]): string[] {
  return typeof url === "string" ? [url] : [...url];
}
