import { createRequire } from "node:module";
import pino, { type Logger, type LoggerOptions } from "pino";
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

/** pino's level number for debug: stacks are written at this level and below only. */
const DEBUG = 20;

/** An error as a log field above debug: what and why, not where. */
function errorFields(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return { type: error.name, message: error.message, ...(code !== undefined ? { code } : {}) };
}

/**
 * An ordinary fault (a broker gone, a refused request) is one line with its reason: above
 * debug, a line's `stack` field is dropped and an error in it keeps its type, message and code.
 * Every connector logs through this, so the rule holds for all of them.
 */
function withoutStacks(args: unknown[]): void {
  const [first] = args;
  if (first instanceof Error) {
    args[0] = { err: errorFields(first) };
    if (args.length === 1) args.push(first.message);
    return;
  }
  if (first === null || typeof first !== "object") return;
  let copy: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(first)) {
    if (key !== "stack" && !(value instanceof Error)) continue;
    copy ??= { ...first };
    if (key === "stack") delete copy.stack;
    else copy[key] = errorFields(value as Error);
  }
  if (copy) args[0] = copy;
}

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
  const base: LoggerOptions = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    // An error's own fields (stack included) at debug; what withoutStacks left above it, as is.
    serializers: {
      err: (value) => (value instanceof Error ? pino.stdSerializers.err(value) : value),
    },
    hooks: {
      logMethod(args, method, level) {
        if (level > DEBUG) withoutStacks(args);
        return method.apply(this, args);
      },
    },
  };
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  if (!usePretty) return options.destination ? pino(base, options.destination) : pino(base);
  // Loaded only for a terminal: a daemon writing JSON never pays for it.
  const pretty = createRequire(import.meta.url)("pino-pretty") as typeof PinoPretty;
  return pino(
    base,
    pretty({ colorize: true, sync: true, ignore: "pid,hostname", translateTime: "SYS:HH:MM:ss.l" }),
  );
}
