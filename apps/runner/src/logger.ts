import { createRequire } from "node:module";
import pino, { type Logger } from "pino";
import type PinoPretty from "pino-pretty";

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

/** Field names whose values never reach a log line, wherever they are nested. */
const SECRET_KEYS = [
  "password",
  "secretKey",
  "secret_key",
  "sk",
  "token",
  "securityToken",
  "authorization",
  "Authorization",
  "x-auth-token",
  "X-Auth-Token",
  "x-security-token",
  "sasl",
  "privateKey",
];

export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
];

/**
 * JSON lines for machines; human-readable when stdout is a terminal (or `pretty` says so).
 * Pretty printing runs in-process (no worker thread) so a crash cannot lose the last lines.
 */
export function createLogger(options: {
  level: LogLevel;
  pretty?: boolean;
  /** Where JSON lines go (default stdout). */
  destination?: NodeJS.WritableStream;
}): Logger {
  const base = { level: options.level, redact: { paths: REDACT_PATHS, censor: "[redacted]" } };
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  if (!usePretty) return options.destination ? pino(base, options.destination) : pino(base);
  // Loaded only for a terminal: a daemon writing JSON never pays for it.
  const pretty = createRequire(import.meta.url)("pino-pretty") as typeof PinoPretty;
  return pino(
    base,
    pretty({ colorize: true, sync: true, ignore: "pid,hostname", translateTime: "SYS:HH:MM:ss.l" }),
  );
}
