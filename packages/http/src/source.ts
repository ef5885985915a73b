import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import cors from "@fastify/cors";
import type {
  AsyncInvokeResult,
  Connector,
  ConnectorContext,
  ConnectorHealth,
  FormatInfo,
  InvocationMode,
  InvokeResult,
  PayloadFormat,
  RecordOutcome,
} from "@fgconnect/core";
import { traceContextOf } from "@fgconnect/core";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { type Authorizer, authorizer } from "./auth.js";
import { HttpConnectorError } from "./errors.js";
import { apigEvent, type HttpRecord } from "./event.js";
import type { HttpRouteOptions, ResolvedHttpOptions } from "./options.js";
import { pathParameters, type RoutePath, routePath } from "./paths.js";
import { answerOf, errorAnswer, type HttpAnswer } from "./response.js";

const EVERY_METHOD = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];
/** Headers the server computes itself; a function's own values would corrupt the answer. */
const HOP_BY_HOP = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);
/** Longest `stop()` waits for answers still being written before closing every connection. */
const FLUSH_WAIT_MS = 5_000;

/** What became of a request's record, as far as the connector saw it. */
interface Delivery {
  /** The mode of the first route the record was formatted for (unset: no route took it). */
  mode?: InvocationMode;
  /** The first sync result. */
  result?: InvokeResult;
  /** FunctionGraph's request id for the first accepted async invocation. */
  requestId?: string;
}

/**
 * An HTTP server: each request that matches a configured route becomes one record carrying
 * FunctionGraph's APIG trigger event, and the caller is answered once the record's delivery
 * is settled — with the function's result (sync), 202 (async), or an error.
 */
export class HttpConnector implements Connector<HttpRecord> {
  readonly type = "http";
  readonly defaultFormat = "apig";
  readonly formats: Readonly<Record<string, PayloadFormat<HttpRecord>>>;
  readonly #authorize: Authorizer;
  readonly #deliveries = new Map<string, Delivery>();
  /** Requests waiting for `resume()` (backpressure) before they are pushed. */
  readonly #waiting = new Set<() => void>();
  #ctx?: ConnectorContext<HttpRecord>;
  #app?: FastifyInstance;
  #url?: string;
  #paused = false;
  #stopping = false;
  #open = 0;
  #idle?: () => void;

  constructor(
    readonly name: string,
    readonly options: ResolvedHttpOptions,
  ) {
    this.#authorize = authorizer(options.auth);
    const deliveries = this.#deliveries;
    this.formats = {
      apig: {
        description:
          "FunctionGraph's APIG trigger event (an array of them when a route batches several requests).",
        build(records, info) {
          for (const r of records) {
            const d = deliveries.get(r.id);
            if (d && (d.mode === undefined || info.mode === "sync")) d.mode = info.mode;
          }
          return records.length === 1 ? records[0]!.event : records.map((r) => r.event);
        },
      },
    };
  }

  /** The server's base URL once started, e.g. `http://127.0.0.1:8080`. */
  get url(): string | undefined {
    return this.#url;
  }

  async start(ctx: ConnectorContext<HttpRecord>): Promise<void> {
    this.#ctx = ctx;
    const o = this.options;
    const base = {
      logger: false,
      bodyLimit: o.maxBodyBytes,
      requestTimeout: o.requestTimeoutMs,
      exposeHeadRoutes: false,
      forceCloseConnections: "idle" as const,
      genReqId: () => randomUUID().replaceAll("-", ""),
    };
    let app: FastifyInstance;
    if (o.tls) {
      const [cert, key] = await Promise.all([readFile(o.tls.cert), readFile(o.tls.key)]).catch(
        (error: unknown) => {
          throw new HttpConnectorError(
            "HTTP_TLS_FILES",
            `connector "${this.name}": cannot read the TLS certificate or key`,
            "check that tls.cert and tls.key name readable PEM files",
            { cause: error },
          );
        },
      );
      app = Fastify({ ...base, https: { cert, key } }) as unknown as FastifyInstance;
    } else app = Fastify(base);
    this.#app = app;

    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
    // Counted so that `stop()` closes connections only after every answer was written.
    app.addHook("onRequest", (_request, _reply, done) => {
      this.#open += 1;
      done();
    });
    const closed = () => {
      this.#open -= 1;
      if (this.#open === 0) this.#idle?.();
    };
    app.addHook("onResponse", (_request, _reply, done) => {
      closed();
      done();
    });
    app.addHook("onRequestAbort", (_request, done) => {
      closed();
      done();
    });
    if (o.cors)
      await app.register(cors, {
        origin: o.cors.origins.includes("*") ? "*" : o.cors.origins,
        credentials: o.cors.credentials,
        maxAge: o.cors.maxAgeSeconds,
      });
    app.setNotFoundHandler((request, reply) =>
      this.#send(
        reply,
        errorAnswer(
          404,
          "APIG.0101",
          "no API here: no route matches this method and path",
          request.id,
        ),
      ),
    );
    app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
      const status = error.statusCode ?? 500;
      if (status >= 500)
        ctx.logger.warn(
          { connector: this.name, requestId: request.id, reason: error.message },
          "http request failed",
        );
      const code = status === 413 ? "FSS.0413" : `FSS.0${status}`;
      const message =
        status === 413
          ? `the body is larger than ${o.maxBodyBytes} bytes (maxBodyBytes)`
          : error.message;
      return this.#send(reply, errorAnswer(status, code, message, request.id));
    });
    for (const route of o.routes) {
      const path = routePath(route.path);
      const methods =
        route.method !== "ANY"
          ? route.method
          : o.cors
            ? EVERY_METHOD.filter((m) => m !== "OPTIONS")
            : EVERY_METHOD;
      app.route({
        method: methods,
        url: path.url,
        handler: (request, reply) => this.#handle(route, path, request, reply),
      });
    }
    try {
      await app.listen({ host: o.host, port: o.port });
    } catch (error) {
      throw new HttpConnectorError(
        "HTTP_LISTEN",
        `connector "${this.name}": cannot listen on ${o.host}:${o.port} (${(error as Error).message})`,
        "pick a free port, or a host address of this machine",
        { cause: error, retryable: true },
      );
    }
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : o.port;
    const host = o.host === "0.0.0.0" || o.host === "::" ? "127.0.0.1" : o.host;
    this.#url = `${o.tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
    ctx.logger.info({ connector: this.name, url: this.#url }, "http server listening");
  }

  async #handle(
    route: HttpRouteOptions,
    path: RoutePath,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply> {
    const o = this.options;
    const id = request.id;
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (!this.#authorize(request.headers, body))
      return this.#send(reply, errorAnswer(401, "APIG.0301", "authentication failed", id));
    if (this.#paused && !this.#stopping) await new Promise<void>((r) => this.#waiting.add(r));
    if (this.#stopping || !this.#ctx) return this.#send(reply, stopping(id));

    const headers = { ...request.headers };
    // The function needs no API key, and dead letters must not hold one.
    if (o.auth.type === "api-key") delete headers[o.auth.header.toLowerCase()];
    const urlPath = request.url.split("?")[0]!;
    const event = apigEvent(
      {
        method: request.method,
        path: urlPath,
        resource: route.path,
        headers,
        query: request.query as Record<string, string | string[] | undefined>,
        pathParameters: pathParameters(request.params as Record<string, string>, path),
        body,
        sourceIp: request.ip,
        requestId: id,
      },
      o,
    );
    const record: HttpRecord = {
      id,
      source: this.name,
      attributes: { route: route.name, method: request.method, path: urlPath },
      body,
      timestamp: Date.now(),
      size: body.length + 1024,
      event,
      traceContext: traceContextOf(request.headers),
    };
    const delivery: Delivery = {};
    this.#deliveries.set(id, delivery);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), o.requestTimeoutMs);
    });
    let outcome: RecordOutcome | "timeout";
    try {
      outcome = await Promise.race([this.#ctx.push(record), timedOut]);
    } finally {
      clearTimeout(timer);
      this.#deliveries.delete(id);
    }
    return this.#send(reply, answerFor(outcome, delivery, id, o.requestTimeoutMs));
  }

  #send(reply: FastifyReply, answer: HttpAnswer): FastifyReply {
    reply.code(answer.statusCode);
    for (const [k, v] of Object.entries(answer.headers))
      if (!HOP_BY_HOP.has(k.toLowerCase())) reply.header(k, v);
    reply.header("x-request-id", reply.request.id);
    if (this.#stopping) reply.header("connection", "close");
    return reply.send(answer.body);
  }

  async onResult(
    records: readonly HttpRecord[],
    result: InvokeResult,
    _info: FormatInfo,
  ): Promise<void> {
    for (const r of records) {
      const d = this.#deliveries.get(r.id);
      if (d) d.result ??= result;
    }
  }

  async onAccepted(
    records: readonly HttpRecord[],
    result: AsyncInvokeResult,
    _info: FormatInfo,
  ): Promise<void> {
    for (const r of records) {
      const d = this.#deliveries.get(r.id);
      if (d) d.requestId ??= result.requestId;
    }
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#release();
  }

  /** Answers 503 to requests not yet pushed, lets answers finish, then closes the server. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#release();
    const app = this.#app;
    if (!app) return;
    if (this.#open > 0)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, FLUSH_WAIT_MS);
        this.#idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    app.server.closeAllConnections?.();
    await app.close();
  }

  #release(): void {
    for (const r of this.#waiting) r();
    this.#waiting.clear();
  }

  health(): ConnectorHealth {
    const listening = this.#app?.server.listening ?? false;
    return listening && this.#url
      ? { connected: true, detail: `listening on ${this.#url}` }
      : { connected: false, detail: "not listening" };
  }
}

function stopping(id: string): HttpAnswer {
  return errorAnswer(503, "FSS.0503", "fgconnect is stopping; try again", id, {
    "retry-after": "1",
  });
}

/** The caller's answer once the record's delivery settled (or the wait timed out). */
function answerFor(
  outcome: RecordOutcome | "timeout",
  delivery: Delivery,
  id: string,
  timeoutMs: number,
): HttpAnswer {
  switch (outcome) {
    case "timeout":
      return errorAnswer(504, "FSS.0504", `no answer from the function within ${timeoutMs} ms`, id);
    case "abandoned":
      return stopping(id);
    case "dead-lettered":
      return errorAnswer(
        502,
        "FSS.0502",
        "the function failed or could not be invoked; the request was dead-lettered",
        id,
      );
    case "delivered":
      if (delivery.result) return answerOf(delivery.result);
      if (delivery.mode === "async")
        return {
          statusCode: 202,
          headers: { "content-type": "application/json" },
          // FunctionGraph's id; ours when its answer did not carry one.
          body: Buffer.from(JSON.stringify({ request_id: delivery.requestId ?? id })),
        };
      return errorAnswer(404, "APIG.0101", "no function route takes this request", id);
    default:
      return errorAnswer(500, "FSS.0500", `unexpected outcome ${String(outcome)}`, id);
  }
}
