import { INSTANCE_MEMORY_MB } from "@fgconnect/core";
import {
  DEFAULT_MAX_ASYNC_EVENT_AGE_SECONDS,
  DEFAULT_MAX_ASYNC_RETRY_ATTEMPTS,
  DEFAULT_MEMORY_MB,
  DEFAULT_PACKAGE,
  DEFAULT_TIMEOUT_SECONDS,
} from "./constants.js";
import type { FunctionContext } from "./context.js";
import { type Fault, validateFault } from "./fault.js";

/**
 * A FunctionGraph Node.js handler: `async (event, context) => result`. The older callback style
 * `(event, context, callback)` is also accepted (a handler declaring three parameters).
 */
// biome-ignore lint/suspicious/noExplicitAny: events are whatever JSON the caller sends
export type Handler<TEvent = any> = (
  event: TEvent,
  context: FunctionContext,
  callback?: (error?: unknown, result?: unknown) => void,
) => unknown;

/** A function's settings: in `<name>.json` / `<dir>/fgconnect.json`, or given in code. */
export interface FunctionConfig {
  /** Package in the URN (default "default"). */
  package?: string;
  /** Timeout in seconds (default 3, as in FunctionGraph). Fractions allowed so tests stay fast. */
  timeoutSeconds?: number;
  /** Memory size in MB, one of FunctionGraph's sizes (default 128). */
  memoryMb?: number;
  /** Most invocations running at once; beyond it a sync call gets 429 FSS.0429 (default: none). */
  concurrency?: number;
  /** Environment variables, read by `context.getUserData(key)`. */
  environment?: Record<string, string>;
  /** Retries of an async event whose function failed, 0-3 (default 1). */
  maxAsyncRetryAttempts?: number;
  /** An async event older than this is discarded, 1-86400 (default 3600). */
  maxAsyncEventAgeSeconds?: number;
  /** Published versions accepted besides `latest` (default: any version is accepted). */
  versions?: string[];
  /** Alias → version (default: any alias is accepted and runs `latest`). */
  aliases?: Record<string, string>;
  /** Name of the exported handler when loaded from a file (default "handler"; "index.handler" works too). */
  handler?: string;
  /** Faults injected from the start (see `setFault`). */
  fault?: Fault;
}

export interface FunctionDefinition {
  handler: Handler;
  config?: FunctionConfig;
}

/** A function with every setting resolved. */
export interface ResolvedFunction {
  package: string;
  name: string;
  handler: Handler;
  timeoutMs: number;
  memoryMb: number;
  concurrency: number;
  /** A Map: keys come from the function's code, which must not reach Object.prototype. */
  environment: Map<string, string>;
  maxAsyncRetryAttempts: number;
  maxAsyncEventAgeMs: number;
  versions: Set<string> | undefined;
  /** A Map: aliases come from request URNs, which must not reach Object.prototype. */
  aliases: Map<string, string> | undefined;
  /** Invocations running now (sync and async). */
  running: number;
}

const NAME = /^[A-Za-z]([A-Za-z0-9_-]{0,58}[A-Za-z0-9])?$/;
const PACKAGE = /^[A-Za-z0-9_-]{1,64}$/;
const MEMORY = new Set<number>(INSTANCE_MEMORY_MB);

/** Validates a config and fills in defaults; throws an Error naming the function and field. */
export function resolveFunction(
  key: string,
  handler: Handler,
  config: FunctionConfig = {},
): ResolvedFunction {
  const fail = (msg: string): never => {
    throw new Error(`function "${key}": ${msg}`);
  };
  // A key may be "name" or "package:name"; config.package wins over the key's package.
  const colon = key.indexOf(":");
  const name = colon >= 0 ? key.slice(colon + 1) : key;
  const pkg = config.package ?? (colon >= 0 ? key.slice(0, colon) : DEFAULT_PACKAGE);
  if (!NAME.test(name)) {
    fail(
      "the name must be 1-60 letters, digits, - or _, start with a letter, end with a letter or digit",
    );
  }
  if (!PACKAGE.test(pkg)) fail(`package "${pkg}" must be 1-64 letters, digits, - or _`);
  if (typeof handler !== "function") fail("the handler is not a function");

  const timeout = config.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (!(timeout > 0 && timeout <= 259_200)) fail("timeoutSeconds must be > 0 and <= 259200");
  const memoryMb = config.memoryMb ?? DEFAULT_MEMORY_MB;
  if (!MEMORY.has(memoryMb)) fail(`memoryMb must be one of ${INSTANCE_MEMORY_MB.join(", ")}`);
  const concurrency = config.concurrency ?? Number.POSITIVE_INFINITY;
  if (!(concurrency >= 1)) fail("concurrency must be at least 1");
  const retries = config.maxAsyncRetryAttempts ?? DEFAULT_MAX_ASYNC_RETRY_ATTEMPTS;
  if (!Number.isInteger(retries) || retries < 0 || retries > 3) {
    fail("maxAsyncRetryAttempts must be an integer from 0 to 3");
  }
  const age = config.maxAsyncEventAgeSeconds ?? DEFAULT_MAX_ASYNC_EVENT_AGE_SECONDS;
  if (!(age >= 1 && age <= 86_400)) fail("maxAsyncEventAgeSeconds must be from 1 to 86400");
  for (const [k, v] of Object.entries(config.environment ?? {})) {
    if (typeof v !== "string") fail(`environment.${k} must be a string`);
  }
  if (config.fault) validateFault(config.fault, `function "${key}" fault`);

  return {
    package: pkg,
    name,
    handler,
    timeoutMs: timeout * 1000,
    memoryMb,
    concurrency,
    environment: new Map(Object.entries(config.environment ?? {})),
    maxAsyncRetryAttempts: retries,
    maxAsyncEventAgeMs: age * 1000,
    versions: config.versions ? new Set(["latest", ...config.versions]) : undefined,
    aliases: config.aliases ? new Map(Object.entries(config.aliases)) : undefined,
    running: 0,
  };
}
