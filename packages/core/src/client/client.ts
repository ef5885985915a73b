import type { IncomingHttpHeaders } from "node:http";
import { inspect } from "node:util";
import type { Dispatcher } from "undici";
import type { AuthHeaders, AuthRequest } from "./auth/provider.js";
import { classifyHttpError, classifyTransportError, header } from "./classify.js";
import {
  AuthError,
  ClientClosedError,
  FunctionGraphError,
  InvalidArgumentError,
  TimeoutError,
} from "./errors.js";
import { createDispatcher } from "./http-agent.js";
import {
  type ClientOptions,
  checkInstanceMemory,
  checkTimeout,
  normalizeHeaders,
  type ResolvedOptions,
  resolveClientOptions,
} from "./options.js";
import { ASYNC_PAYLOAD_LIMIT, encodePayload, SYNC_PAYLOAD_LIMIT } from "./payload.js";
import { stripUrlCredentials } from "./redact.js";
import { parseAsyncAccepted, parseAsyncInvocationPage, parseSyncResponse } from "./response.js";
import { type Answer, send } from "./send.js";
import type {
  AsyncInvocationPage,
  AsyncInvocationQuery,
  AsyncInvokeResult,
  InvokeOptions,
  InvokeResult,
  Invoker,
} from "./types.js";
import { formatUrn, parseUrn } from "./urn.js";

/** Options of `listAsyncInvocations` (no body, so no log tail or instance memory). */
export type RequestOptions = Pick<InvokeOptions, "timeoutMs" | "signal" | "headers">;

/** The request paths of one function, built once per URN string and cached. */
interface FunctionPaths {
  sync: string;
  async: string;
  legacy: string;
  status: string;
}

/**
 * Request headers of one kind of call (sync, async, legacy, status) with the client's
 * defaults, built once, plus the last merge with the auth provider's headers: a provider that
 * returns the same object (a token) costs no allocation per call.
 */
interface HeaderSlot {
  readonly base: Readonly<Record<string, string>>;
  auth: AuthHeaders | undefined;
  merged: Readonly<Record<string, string>> | undefined;
}

type Kind = "sync" | "async" | "legacy" | "status";

const MAX_CACHED_URNS = 4096;
const ASYNC_STATUSES = new Set(["WAIT", "RUNNING", "SUCCESS", "FAIL", "DISCARD"]);

/**
 * FunctionGraph's invocation API over one pooled keep-alive connection set. Implements the
 * engine's `Invoker`. Create with `createClient`; `close()` when done.
 *
 * Timeouts: `timeoutMs` bounds the whole call, from the request (queued for a pooled
 * connection included) to the answer's last byte, with one timer per request. The answer's body
 * is read up to `maxResponseBytes`; past it the call fails with ResponseTooLargeError and the
 * connection is closed.
 */
export class FunctionGraphClient implements Invoker {
  readonly #o: ResolvedOptions;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #paths = new Map<string, FunctionPaths>();
  readonly #slots: Record<Kind, HeaderSlot>;
  readonly #urnDefaults: { region?: string; projectId: string };
  #closed = false;

  constructor(options: ClientOptions) {
    this.#o = resolveClientOptions(options);
    this.#ownsDispatcher = this.#o.dispatcher === undefined;
    this.#dispatcher = this.#o.dispatcher ?? createDispatcher({ connections: this.#o.connections });
    this.#urnDefaults = { projectId: this.#o.projectId };
    if (this.#o.region !== undefined) this.#urnDefaults.region = this.#o.region;
    // Not frozen: undici's ProxyAgent writes `host` into headers that lack it (ours have it).
    const slot = (base: Record<string, string>): HeaderSlot => ({
      base,
      auth: undefined,
      merged: undefined,
    });
    this.#slots = {
      sync: slot(this.#headersFor("sync", this.#o.logTail, this.#o.instanceMemoryMb, undefined)),
      async: slot(this.#headersFor("async", false, this.#o.instanceMemoryMb, undefined)),
      legacy: slot(
        this.#headersFor("legacy", this.#o.logTail, this.#o.instanceMemoryMb, undefined),
      ),
      status: slot(this.#headersFor("status", false, undefined, undefined)),
    };
  }

  /** The origin requests go to (`https://host[:port]`). */
  get endpoint(): string {
    return this.#o.origin;
  }

  get projectId(): string {
    return this.#o.projectId;
  }

  /** The region used for short URNs, when known. */
  get region(): string | undefined {
    return this.#o.region;
  }

  /**
   * Synchronous invocation (v2, v1 envelope). Resolves when the function returned; throws
   * FunctionError when it failed, ApiError for an error answer, and the transport errors.
   * `payload`: JSON-serialisable value, or a Buffer/string of JSON sent as is; ≤ 6 MB.
   */
  async invoke(urn: string, payload?: unknown, options?: InvokeOptions): Promise<InvokeResult> {
    const path = this.#pathsFor(urn).sync;
    const body = encodePayload(payload, "sync", SYNC_PAYLOAD_LIMIT);
    const a = await this.#call("sync", "POST", path, undefined, body, options);
    if ((a.status >= 200 && a.status < 300) || isFuncErr(a.headers)) {
      return parseSyncResponse(a.status, a.headers, a.text, true);
    }
    throw classifyHttpError(a.status, a.headers, a.text);
  }

  /**
   * Asynchronous invocation: resolves with FunctionGraph's request id once it accepted the
   * event (202). `payload` as for `invoke`, ≤ 256 KB. `logTail` does not apply. A 202 whose body
   * cannot be read (reset, deadline, not JSON) is still accepted: it resolves with `requestId`
   * undefined and `requestIdUnknown: true`, since sending the event again would duplicate it.
   */
  async invokeAsync(
    urn: string,
    payload?: unknown,
    options?: InvokeOptions,
  ): Promise<AsyncInvokeResult> {
    const path = this.#pathsFor(urn).async;
    const body = encodePayload(payload, "async", ASYNC_PAYLOAD_LIMIT);
    const a = await this.#call("async", "POST", path, undefined, body, options);
    if (a.status >= 200 && a.status < 300) {
      return parseAsyncAccepted(a.status, a.headers, a.text, a.bodyError);
    }
    throw classifyHttpError(a.status, a.headers, a.text);
  }

  /**
   * Synchronous invocation through the legacy v1.0 API: the body is the function's raw result
   * (`status` is the HTTP status; the request id comes from `X-Cff-Request-Id`).
   */
  async invokeLegacy(
    urn: string,
    payload?: unknown,
    options?: InvokeOptions,
  ): Promise<InvokeResult> {
    const path = this.#pathsFor(urn).legacy;
    const body = encodePayload(payload, "sync", SYNC_PAYLOAD_LIMIT);
    const a = await this.#call("legacy", "POST", path, undefined, body, options);
    if ((a.status >= 200 && a.status < 300) || isFuncErr(a.headers)) {
      return parseSyncResponse(a.status, a.headers, a.text, false);
    }
    throw classifyHttpError(a.status, a.headers, a.text);
  }

  /** Lists a function's asynchronous invocations and their status (one page). */
  async listAsyncInvocations(
    urn: string,
    query: AsyncInvocationQuery = {},
    options?: RequestOptions,
  ): Promise<AsyncInvocationPage> {
    const path = this.#pathsFor(urn).status;
    const q = asyncQuery(query);
    const a = await this.#call("status", "GET", path, q, undefined, options);
    if (a.status >= 200 && a.status < 300) return parseAsyncInvocationPage(a.text);
    throw classifyHttpError(a.status, a.headers, a.text);
  }

  /** Waits for in-flight calls, then closes the connection pool (unless it was given). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  /** Printable without credentials: never shows headers or the auth provider's secrets. */
  toJSON(): object {
    return {
      endpoint: this.#o.origin + this.#o.basePath,
      projectId: this.#o.projectId,
      region: this.#o.region,
      auth: this.#o.auth?.kind ?? "none",
      timeoutMs: this.#o.timeoutMs,
      maxResponseBytes: this.#o.maxResponseBytes,
      closed: this.#closed,
    };
  }

  [inspect.custom](_depth: number, options: object): string {
    return `FunctionGraphClient ${inspect(this.toJSON(), options)}`;
  }

  /**
   * Sends one request (and, after a 401 the provider can fix, once more, within what is left of
   * the deadline); reads the body. A body that could not be read fails the call, except after an
   * async 202: that answer is returned with its `bodyError`, classified.
   */
  async #call(
    kind: Kind,
    method: "GET" | "POST",
    path: string,
    query: Record<string, string> | undefined,
    body: string | Uint8Array | undefined,
    options: InvokeOptions | undefined,
  ): Promise<Answer> {
    if (this.#closed) throw new ClientClosedError();
    const o = this.#o;
    let timeoutMs = o.timeoutMs;
    let signal: AbortSignal | undefined;
    let slot = this.#slots[kind];
    if (options !== undefined) {
      if (options.timeoutMs !== undefined)
        timeoutMs = checkTimeout("timeoutMs", options.timeoutMs)!;
      signal = options.signal;
      if (
        options.headers !== undefined ||
        options.logTail !== undefined ||
        options.instanceMemoryMb !== undefined
      ) {
        slot = {
          base: this.#headersFor(
            kind,
            options.logTail ?? o.logTail,
            checkInstanceMemory("instanceMemoryMb", options.instanceMemoryMb) ?? o.instanceMemoryMb,
            normalizeHeaders("headers", options.headers),
          ),
          auth: undefined,
          merged: undefined,
        };
      }
    }
    const fullPath = query === undefined ? path : `${path}?${new URLSearchParams(query)}`;
    const auth = o.auth;
    let deadlineMs = timeoutMs;
    const started = performance.now();
    try {
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0) {
          const left = Math.ceil(timeoutMs - (performance.now() - started));
          if (left < 1) throw new TimeoutError(timeoutMs);
          deadlineMs = left;
        }
        let headers = slot.base;
        let sent: AuthHeaders | undefined;
        if (auth !== undefined) {
          const request: AuthRequest = {
            method,
            origin: o.origin,
            host: o.host,
            path,
            query,
            headers: slot.base,
            body: body ?? "",
            projectId: o.projectId,
          };
          try {
            const got = auth.headers(request);
            sent = isPromise(got) ? await got : got;
          } catch (err) {
            throw providerFailure(auth.kind, err);
          }
          headers = mergeAuth(slot, sent);
        }
        const answer = await send(
          this.#dispatcher,
          {
            origin: o.origin,
            path: fullPath,
            method,
            headers,
            body,
            // Our timer is the deadline; undici's own (300 s by default) must not cut it shorter.
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs,
          },
          signal,
          deadlineMs,
          o.maxResponseBytes,
        );
        if (answer.bodyError !== undefined) {
          const err = classifyTransportError(answer.bodyError, o.origin, timeoutMs, signal);
          if (kind !== "async" || answer.status !== 202) throw err;
          answer.bodyError = err;
        }
        if (
          answer.status === 401 &&
          attempt === 0 &&
          sent !== undefined &&
          auth?.onUnauthorized !== undefined &&
          (await auth.onUnauthorized(sent))
        ) {
          continue;
        }
        return answer;
      }
    } catch (err) {
      throw classifyTransportError(err, o.origin, timeoutMs, signal);
    }
  }

  /** The headers of one kind of call, lower-case names; user headers may override ours. */
  #headersFor(
    kind: Kind,
    logTail: boolean,
    memory: number | undefined,
    extra: Record<string, string> | undefined,
  ): Record<string, string> {
    // Host is explicit: AK/SK signs it, and a proxy agent would otherwise add it to our object.
    const h: Record<string, string> = { host: this.#o.host };
    if (kind !== "status") h["content-type"] = "application/json";
    // v1 is the JSON envelope; the default v0 returns the raw result (FUNCTIONGRAPH.md).
    if (kind === "sync") h["x-cff-request-version"] = "v1";
    if (logTail && kind !== "async" && kind !== "status") h["x-cff-log-type"] = "tail";
    if (memory !== undefined && kind !== "status") h["x-cff-instance-memory"] = String(memory);
    Object.assign(h, this.#o.headers, extra);
    return h;
  }

  /**
   * Short URNs are completed with the client's region and project; the canonical URN goes into
   * the path raw (literal `:` and `!`), as the official SDK sends it.
   */
  #pathsFor(urn: string): FunctionPaths {
    let paths = this.#paths.get(urn);
    if (paths === undefined) {
      const full = formatUrn(parseUrn(urn, this.#urnDefaults));
      const v2 = `${this.#o.basePath}/v2/${this.#o.projectId}/fgs/functions/${full}`;
      paths = {
        sync: `${v2}/invocations`,
        async: `${v2}/invocations-async`,
        legacy: `${this.#o.basePath}/v1.0/${this.#o.projectId}/fss/functions/${full}/invocations`,
        status: `${v2}/async-invocations`,
      };
      // A bounded cache: a caller cycling through unbounded URNs must not grow memory forever.
      if (this.#paths.size >= MAX_CACHED_URNS) this.#paths.clear();
      this.#paths.set(urn, paths);
    }
    return paths;
  }
}

/** Creates a client; validates `options` (InvalidArgumentError names the bad field). */
export function createClient(options: ClientOptions): FunctionGraphClient {
  return new FunctionGraphClient(options);
}

function mergeAuth(slot: HeaderSlot, auth: AuthHeaders): Readonly<Record<string, string>> {
  if (slot.auth === auth && slot.merged !== undefined) return slot.merged;
  const merged = { ...slot.base, ...auth };
  slot.auth = auth;
  slot.merged = merged;
  return merged;
}

/** A provider's own typed errors pass; anything else is an AuthError (not a network failure). */
function providerFailure(kind: string, err: unknown): Error {
  if (err instanceof FunctionGraphError) return err;
  return new AuthError(
    `the ${kind} auth provider failed: ${stripUrlCredentials(String((err as Error)?.message ?? err))}`,
    "Check the auth provider's configuration and credentials.",
    { cause: err },
  );
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown })?.then === "function";
}

function isFuncErr(headers: IncomingHttpHeaders): boolean {
  return header(headers, "x-is-func-err")?.toLowerCase() === "true";
}

function asyncQuery(query: AsyncInvocationQuery): Record<string, string> | undefined {
  if (query === null || typeof query !== "object") {
    throw new InvalidArgumentError("query", "must be an object");
  }
  const q: Record<string, string> = {};
  if (query.requestId !== undefined) {
    if (typeof query.requestId !== "string" || query.requestId === "") {
      throw new InvalidArgumentError("query.requestId", "must be a non-empty string");
    }
    q.request_id = query.requestId;
  }
  if (query.status !== undefined) {
    if (!ASYNC_STATUSES.has(query.status)) {
      throw new InvalidArgumentError(
        "query.status",
        `must be one of ${[...ASYNC_STATUSES].join(", ")}`,
      );
    }
    q.status = query.status;
  }
  if (query.limit !== undefined) {
    if (!Number.isInteger(query.limit) || query.limit < 1) {
      throw new InvalidArgumentError("query.limit", "must be a positive integer");
    }
    q.limit = String(query.limit);
  }
  if (query.marker !== undefined) {
    if (typeof query.marker !== "string") {
      throw new InvalidArgumentError("query.marker", "must be a string");
    }
    q.marker = query.marker;
  }
  return Object.keys(q).length === 0 ? undefined : q;
}
