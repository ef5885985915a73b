import type { IncomingHttpHeaders } from "node:http";
import { inspect } from "node:util";
import type { Dispatcher } from "undici";
import { asyncQuery } from "./async-query.js";
import { parseAsyncAccepted, parseAsyncInvocationPage } from "./async-response.js";
import type { AuthHeaders, AuthRequest } from "./auth/provider.js";
import { classifyHttpError, classifyTransportError, header } from "./classify.js";
import { AuthError, ClientClosedError, FunctionGraphError, TimeoutError } from "./errors.js";
import { type HeaderSlot, headersFor, type Kind, mergeAuth } from "./headers.js";
import { createDispatcher } from "./http-agent.js";
import {
  type ClientOptions,
  checkInstanceMemory,
  checkTimeout,
  normalizeHeaders,
  type ResolvedOptions,
  resolveClientOptions,
} from "./options.js";
import { FunctionPathCache } from "./paths.js";
import { ASYNC_PAYLOAD_LIMIT, encodePayload, SYNC_PAYLOAD_LIMIT } from "./payload.js";
import { stripUrlCredentials } from "./redact.js";
import { parseSyncResponse } from "./response.js";
import { type Answer, send } from "./send.js";
import type {
  AsyncInvocationPage,
  AsyncInvocationQuery,
  AsyncInvokeResult,
  InvokeOptions,
  InvokeResult,
  Invoker,
} from "./types.js";

/** Options of `listAsyncInvocations` (no body, so no log tail or instance memory). */
export type RequestOptions = Pick<InvokeOptions, "timeoutMs" | "signal" | "headers">;

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
  readonly #paths: FunctionPathCache;
  readonly #slots: Record<Kind, HeaderSlot>;
  #closed = false;

  constructor(options: ClientOptions) {
    this.#o = resolveClientOptions(options);
    this.#ownsDispatcher = this.#o.dispatcher === undefined;
    this.#dispatcher = this.#o.dispatcher ?? createDispatcher({ connections: this.#o.connections });
    this.#paths = new FunctionPathCache(this.#o);
    // Not frozen: undici's ProxyAgent writes `host` into headers that lack it (ours have it).
    const slot = (base: Record<string, string>): HeaderSlot => ({
      base,
      auth: undefined,
      merged: undefined,
    });
    this.#slots = {
      sync: slot(headersFor(this.#o, "sync", this.#o.logTail, this.#o.instanceMemoryMb, undefined)),
      async: slot(headersFor(this.#o, "async", false, this.#o.instanceMemoryMb, undefined)),
      legacy: slot(
        headersFor(this.#o, "legacy", this.#o.logTail, this.#o.instanceMemoryMb, undefined),
      ),
      status: slot(headersFor(this.#o, "status", false, undefined, undefined)),
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
    const path = this.#paths.of(urn).sync;
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
    const path = this.#paths.of(urn).async;
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
    const path = this.#paths.of(urn).legacy;
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
    const path = this.#paths.of(urn).status;
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
          base: headersFor(
            this.#o,
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
}

/** Creates a client; validates `options` (InvalidArgumentError names the bad field). */
export function createClient(options: ClientOptions): FunctionGraphClient {
  return new FunctionGraphClient(options);
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
