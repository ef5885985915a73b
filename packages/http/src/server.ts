/** The Fastify server of an HTTP connector: its limits, TLS, CORS, error answers and routes. */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import cors from "@fastify/cors";
import type { Logger } from "@fgconnect/core";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { HttpConnectorError } from "./errors.js";
import type { HttpRouteOptions, ResolvedHttpOptions } from "./options.js";
import { type RoutePath, routePath } from "./paths.js";
import { errorAnswer, type HttpAnswer } from "./response.js";

const EVERY_METHOD = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

/** What the server calls back into its connector. */
export interface ServerHooks {
  /** Answers a request that matched `route`. */
  handle(
    route: HttpRouteOptions,
    path: RoutePath,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply>;
  send(reply: FastifyReply, answer: HttpAnswer): FastifyReply;
  /** A request came in. */
  opened(): void;
  /** A request was answered or aborted. */
  closed(): void;
}

/** Listens; resolves with the server and its base URL, e.g. `http://127.0.0.1:8080`. */
export async function openServer(
  name: string,
  o: ResolvedHttpOptions,
  logger: Logger,
  hooks: ServerHooks,
): Promise<{ app: FastifyInstance; url: string }> {
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
          `connector "${name}": cannot read the TLS certificate or key`,
          "check that tls.cert and tls.key name readable PEM files",
          { cause: error },
        );
      },
    );
    app = Fastify({ ...base, https: { cert, key } }) as unknown as FastifyInstance;
  } else app = Fastify(base);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
  // Counted so that `stop()` closes connections only after every answer was written.
  app.addHook("onRequest", (_request, _reply, done) => {
    hooks.opened();
    done();
  });
  app.addHook("onResponse", (_request, _reply, done) => {
    hooks.closed();
    done();
  });
  app.addHook("onRequestAbort", (_request, done) => {
    hooks.closed();
    done();
  });
  if (o.cors)
    await app.register(cors, {
      origin: o.cors.origins.includes("*") ? "*" : o.cors.origins,
      credentials: o.cors.credentials,
      maxAge: o.cors.maxAgeSeconds,
    });
  app.setNotFoundHandler((request, reply) =>
    hooks.send(
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
      logger.warn(
        { connector: name, requestId: request.id, reason: error.message },
        "http request failed",
      );
    const code = status === 413 ? "FSS.0413" : `FSS.0${status}`;
    const message =
      status === 413
        ? `the body is larger than ${o.maxBodyBytes} bytes (maxBodyBytes)`
        : error.message;
    return hooks.send(reply, errorAnswer(status, code, message, request.id));
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
      handler: (request, reply) => hooks.handle(route, path, request, reply),
    });
  }
  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (error) {
    throw new HttpConnectorError(
      "HTTP_LISTEN",
      `connector "${name}": cannot listen on ${o.host}:${o.port} (${(error as Error).message})`,
      "pick a free port, or a host address of this machine",
      { cause: error, retryable: true },
    );
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : o.port;
  const host = o.host === "0.0.0.0" || o.host === "::" ? "127.0.0.1" : o.host;
  const url = `${o.tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return { app, url };
}
