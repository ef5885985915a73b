import type {
  AsyncInvokeResult,
  Connector,
  ConnectorContext,
  ConnectorHealth,
  FormatInfo,
  InvokeResult,
  PayloadFormat,
  RecordOutcome,
} from "@fgconnect/core";
import { traceContextOf } from "@fgconnect/core";
import { PauseGate } from "@fgconnect/core/internal";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type Authorizer, authorizer } from "./auth.js";
import { apigEvent, type HttpRecord, requestAttributes } from "./event.js";
import type { HttpRouteOptions, ResolvedHttpOptions } from "./options.js";
import { pathParameters, type RoutePath } from "./paths.js";
import { answerFor, type Delivery, errorAnswer, type HttpAnswer, stopping } from "./response.js";
import { openServer } from "./server.js";

/** Headers the server computes itself; a function's own values would corrupt the answer. */
const HOP_BY_HOP = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);
/** Longest `stop()` waits for answers still being written before closing every connection. */
const FLUSH_WAIT_MS = 5_000;

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
  /** Header names as Node gives them: lower case. */
  readonly #privateHeaders: readonly string[];
  readonly #deliveries = new Map<string, Delivery>();
  /** Requests wait out a pause (backpressure) before they are pushed. */
  readonly #pauses = new PauseGate();
  #ctx?: ConnectorContext<HttpRecord>;
  #app?: FastifyInstance;
  #url?: string;
  #stopping = false;
  #open = 0;
  #idle?: () => void;

  constructor(
    readonly name: string,
    readonly options: ResolvedHttpOptions,
  ) {
    this.#authorize = authorizer(options.auth);
    this.#privateHeaders = options.privateHeaders.map((h) => h.toLowerCase());
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
    const server = await openServer(this.name, o, ctx.logger, {
      handle: (route, path, request, reply) => this.#handle(route, path, request, reply),
      send: (reply, answer) => this.#send(reply, answer),
      opened: () => {
        this.#open += 1;
      },
      closed: () => {
        this.#open -= 1;
        if (this.#open === 0) this.#idle?.();
      },
    });
    this.#app = server.app;
    this.#url = server.url;
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
    if (!this.#stopping) await this.#pauses.wait();
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
      attributes: requestAttributes(route.name, event, this.#privateHeaders),
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
    this.#pauses.pause();
  }

  resume(): void {
    this.#pauses.resume();
  }

  /** Answers 503 to requests not yet pushed, lets answers finish, then closes the server. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#pauses.release();
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

  health(): ConnectorHealth {
    const listening = this.#app?.server.listening ?? false;
    return listening && this.#url
      ? { connected: true, detail: `listening on ${this.#url}` }
      : { connected: false, detail: "not listening" };
  }
}
