import type { Dispatcher } from "undici";
import type { AuthProvider } from "./auth/provider.js";
import { InvalidArgumentError } from "./errors.js";
import { INSTANCE_MEMORY_MB } from "./types.js";

/** Options of `createClient`. Every per-call option of the same name overrides its default. */
export interface ClientOptions {
  /** Base URL, e.g. `https://functiongraph.cn-north-4.myhuaweicloud.com` or an emulator's. */
  endpoint?: string;
  /**
   * Region, e.g. `cn-north-4`. Gives the endpoint when `endpoint` is not set, and fills short
   * URNs. When only `endpoint` is set, it is read from a `functiongraph.<region>.` host.
   */
  region?: string;
  /** The project id: 32 letters or digits. */
  projectId: string;
  /** How requests are authenticated; undefined sends none (an emulator, a trusted gateway). */
  auth?: AuthProvider;
  /**
   * Default per-call deadline, ms (30 000): from the call to the answer's last byte, time queued
   * for a pooled connection included. Sync calls may take up to 90 s through the gateway.
   */
  timeoutMs?: number;
  /**
   * Largest answer body read, bytes (DEFAULT_MAX_RESPONSE_BYTES, 16 MiB). Past it the call fails
   * with ResponseTooLargeError at once and the connection is closed, the rest unread.
   */
  maxResponseBytes?: number;
  /** Ask for the function's log tail on sync calls (`X-Cff-Log-Type: tail`). Default false. */
  logTail?: boolean;
  /** Default `X-Cff-Instance-Memory`, one of INSTANCE_MEMORY_MB. */
  instanceMemoryMb?: number;
  /** Extra headers on every request (never logged). */
  headers?: Record<string, string>;
  /** Keep-alive connections per origin in the pool. Default 64. */
  connections?: number;
  /**
   * An undici dispatcher to use instead of the client's own (which honours HTTPS_PROXY,
   * HTTP_PROXY and NO_PROXY). The client does not close a dispatcher it was given.
   */
  dispatcher?: Dispatcher;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECTIONS = 64;
/**
 * FunctionGraph caps a sync result at 6 MB, but the v1 envelope carries it as a JSON string, where
 * escaping can double it, beside a log tail: 16 MiB leaves that room and still bounds memory.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** setTimeout's ceiling (about 24.8 days). */
const MAX_TIMEOUT_MS = 2_147_483_647;

export interface ResolvedOptions {
  /** `https://host[:port]`. */
  origin: string;
  /** `host[:port]`, default port omitted, as the Host header carries it. */
  host: string;
  /** A path prefix from the endpoint ("" when none), e.g. for an emulator mounted under /fg. */
  basePath: string;
  region: string | undefined;
  projectId: string;
  auth: AuthProvider | undefined;
  timeoutMs: number;
  maxResponseBytes: number;
  logTail: boolean;
  instanceMemoryMb: number | undefined;
  /** Lower-case names. */
  headers: Record<string, string>;
  connections: number;
  dispatcher: Dispatcher | undefined;
}

const REGION = /^[a-z]{2,}(-[a-z0-9]+)+$/;
const PROJECT_ID = /^[A-Za-z0-9]{32}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE_BAD = /[\r\n\0]/;

/** Validates and completes the client options; throws InvalidArgumentError naming the field. */
export function resolveClientOptions(options: ClientOptions): ResolvedOptions {
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError("options", "must be an object");
  }
  const { endpoint, projectId, auth } = options;
  let region = options.region;
  if (region !== undefined && (typeof region !== "string" || !REGION.test(region))) {
    throw new InvalidArgumentError("region", "must be a region name such as cn-north-4");
  }
  if (endpoint === undefined && region === undefined) {
    throw new InvalidArgumentError("endpoint", "give an endpoint URL or a region");
  }
  const url = parseEndpoint(endpoint ?? `https://functiongraph.${region}.myhuaweicloud.com`);
  region ??= regionFromHost(url.hostname);

  if (typeof projectId !== "string" || !PROJECT_ID.test(projectId)) {
    throw new InvalidArgumentError(
      "projectId",
      "must be the 32-letter-or-digit project id",
      "Find it in the console under My Credentials > API Credentials, for the region you call.",
    );
  }
  if (auth !== undefined && (auth === null || typeof auth.headers !== "function")) {
    throw new InvalidArgumentError(
      "auth",
      "must be an AuthProvider (tokenAuth, iamAuth, akskAuth)",
    );
  }
  const connections = options.connections ?? DEFAULT_CONNECTIONS;
  if (!Number.isInteger(connections) || connections < 1) {
    throw new InvalidArgumentError("connections", "must be a positive integer");
  }
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (!Number.isSafeInteger(maxResponseBytes) || maxResponseBytes < 1) {
    throw new InvalidArgumentError("maxResponseBytes", "must be a positive integer (bytes)");
  }
  if (options.logTail !== undefined && typeof options.logTail !== "boolean") {
    throw new InvalidArgumentError("logTail", "must be true or false");
  }
  const dispatcher = options.dispatcher;
  if (dispatcher !== undefined && typeof dispatcher?.dispatch !== "function") {
    throw new InvalidArgumentError("dispatcher", "must be an undici Dispatcher");
  }
  return {
    origin: url.origin,
    host: url.host,
    basePath: url.pathname.replace(/\/+$/, ""),
    region,
    projectId,
    auth,
    timeoutMs: checkTimeout("timeoutMs", options.timeoutMs) ?? DEFAULT_TIMEOUT_MS,
    maxResponseBytes,
    logTail: options.logTail ?? false,
    instanceMemoryMb: checkInstanceMemory("instanceMemoryMb", options.instanceMemoryMb),
    headers: normalizeHeaders("headers", options.headers) ?? {},
    connections,
    dispatcher,
  };
}

function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    // The value is not echoed: a malformed URL may still hold a password.
    throw new InvalidArgumentError("endpoint", "is not a valid URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new InvalidArgumentError("endpoint", "must be an http: or https: URL");
  }
  if (url.username || url.password) {
    throw new InvalidArgumentError(
      "endpoint",
      "must not contain credentials",
      "Put credentials in the auth provider, not in the URL.",
    );
  }
  if (url.search || url.hash) {
    throw new InvalidArgumentError("endpoint", "must not have a query or fragment");
  }
  return url;
}

/** `functiongraph.cn-north-4.myhuaweicloud.com` → `cn-north-4`. */
export function regionFromHost(hostname: string): string | undefined {
  const m = /^functiongraph\.([a-z0-9-]+)\./.exec(hostname);
  return m && REGION.test(m[1]!) ? m[1] : undefined;
}

/** A timeout in ms, validated; undefined passes through. */
export function checkTimeout(field: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < 1 ||
    value > MAX_TIMEOUT_MS
  ) {
    throw new InvalidArgumentError(
      field,
      `must be an integer number of ms from 1 to ${MAX_TIMEOUT_MS}`,
    );
  }
  return value;
}

/** An instance memory size, one of INSTANCE_MEMORY_MB; undefined passes through. */
export function checkInstanceMemory(field: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!(INSTANCE_MEMORY_MB as readonly number[]).includes(value)) {
    throw new InvalidArgumentError(
      field,
      `must be one of ${INSTANCE_MEMORY_MB.join(", ")} (MB), not ${String(value)}`,
    );
  }
  return value;
}

/** Headers with lower-case names, checked; values are never echoed (they may be secrets). */
export function normalizeHeaders(
  field: string,
  headers: Record<string, string> | undefined,
): Record<string, string> | undefined {
  if (headers === undefined) return undefined;
  if (headers === null || typeof headers !== "object") {
    throw new InvalidArgumentError(field, "must be an object of header names to string values");
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) {
      throw new InvalidArgumentError(field, `"${name}" is not a valid header name`);
    }
    if (typeof value !== "string" || HEADER_VALUE_BAD.test(value)) {
      throw new InvalidArgumentError(
        field,
        `the value of "${name}" must be a string without line breaks`,
      );
    }
    out[name.toLowerCase()] = value;
  }
  return out;
}
