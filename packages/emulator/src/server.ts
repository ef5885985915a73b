import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { INSTANCE_MEMORY_MB } from "@fgconnect/core";
import type { AsyncJob, AsyncQueue } from "./async-queue.js";
import type { AsyncStatusStore } from "./async-status.js";
import type { Authenticate } from "./auth.js";
import { readBody } from "./body.js";
import { ASYNC_BODY_LIMIT, STATUS_BODY_LIMIT, SYNC_BODY_LIMIT } from "./constants.js";
import { ApiError, badRequest, sendError, tooMany } from "./errors.js";
import { invoke } from "./invoker.js";
import {
  type BoundedList,
  formatRecordLine,
  type InvocationMode,
  type InvocationRecord,
  type LogSink,
} from "./records.js";
import type { Registry, Target } from "./registry.js";
import { matchRoute, ROUTE_METHOD, type Route } from "./route.js";
import { sampleEvent, sampleEvents } from "./sample-events.js";
import { type ResponseVersion, writeSyncResponse } from "./sync-response.js";

export interface ServerDeps {
  registry: Registry;
  authenticate: Authenticate;
  queue: AsyncQueue;
  store: AsyncStatusStore;
  records: BoundedList<InvocationRecord>;
  sink: LogSink | undefined;
}

const MEMORY = new Set<number>(INSTANCE_MEMORY_MB);
const SAMPLES = "/sample-events";

/** `GET /sample-events`: the kinds; `GET /sample-events/<kind>`: that sample trigger event. */
function serveSample(rest: string, res: ServerResponse, requestId: string): void {
  const kinds = sampleEvents().map(({ kind, connector, summary }) => ({
    kind,
    connector,
    summary,
  }));
  if (rest === "" || rest === "/") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ kinds }));
    return;
  }
  const sample = rest.startsWith("/") ? sampleEvent(rest.slice(1)) : undefined;
  if (!sample) {
    const names = kinds.map((k) => k.kind).join(", ");
    sendError(
      res,
      new ApiError(404, "FSS.0404", `no sample event here; kinds: ${names}`),
      requestId,
    );
    return;
  }
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify(sample.event));
}

/** The HTTP request handler: routing, then the one pipeline every invocation goes through. */
export function createRequestHandler(deps: ServerDeps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const requestId = randomUUID();
    const route = matchRoute(req.url ?? "/");
    if (!route) {
      if (req.method === "GET" && req.url === "/healthz") {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end('{"status":"ok"}');
        return;
      }
      if (req.method === "GET" && req.url?.startsWith(SAMPLES)) {
        serveSample(req.url.slice(SAMPLES.length), res, requestId);
        return;
      }
      req.resume();
      sendError(
        res,
        new ApiError(404, "FSS.0404", `no such API: ${req.method} ${req.url}`),
        requestId,
      );
      return;
    }
    if (req.method !== ROUTE_METHOD[route.kind]) {
      req.resume();
      sendError(
        res,
        new ApiError(
          405,
          "FSS.0405",
          `${req.method} is not allowed here; use ${ROUTE_METHOD[route.kind]}`,
        ),
        requestId,
      );
      return;
    }
    handle(deps, route, req, res, requestId).catch((err: unknown) => {
      // Only a bug gets here; answer rather than leave the caller hanging.
      if (!res.headersSent) sendError(res, new ApiError(500, "FSS.0500", String(err)), requestId);
    });
  };
}

async function handle(
  deps: ServerDeps,
  route: Route,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
): Promise<void> {
  const arrived = performance.now();
  const mode: InvocationMode | undefined = route.kind === "status" ? undefined : route.kind;
  let target: Target | undefined;
  let payload: unknown;
  let status: number;
  let functionError = false;
  let errorCode: string | undefined;
  try {
    const limit =
      route.kind === "async"
        ? ASYNC_BODY_LIMIT
        : route.kind === "status"
          ? STATUS_BODY_LIMIT
          : SYNC_BODY_LIMIT;
    const body = await readBody(req, limit);
    deps.authenticate({
      method: req.method ?? "POST",
      path: route.path,
      query: route.query,
      headers: req.headers,
      body,
    });
    const projectHeader = req.headers["x-project-id"];
    if (typeof projectHeader === "string" && projectHeader !== route.projectId) {
      throw badRequest(`X-Project-Id (${projectHeader}) differs from the path's project id`);
    }
    target = deps.registry.resolve(route.projectId, route.urn);

    if (route.kind === "status") {
      const answer = deps.store.query(
        `${target.fn.package}:${target.fn.name}`,
        new URLSearchParams(route.query),
      );
      const text = JSON.stringify(answer);
      res.writeHead(200, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(text),
        "X-Request-Id": requestId,
      });
      res.end(text);
      return;
    }

    const memoryMb = instanceMemory(req, target.fn.memoryMb);
    const version = route.kind === "sync" ? requestVersion(req) : "v0";
    const text = body.length === 0 ? "" : body.toString("utf8");
    payload = parseEvent(text);

    const fault = deps.registry.fault(target.fn);
    if (fault) {
      const latency = fault.fault.latencyMs;
      if (latency) await new Promise((r) => setTimeout(r, latency));
      if (fault.failureHits()) {
        const f = fault.fault.failure!;
        const s = f.status ?? 503;
        throw new ApiError(s, f.code ?? `FSS.0${s}`, f.message ?? "fault injected by the emulator");
      }
    }

    if (route.kind === "async") {
      const job: AsyncJob = {
        target,
        event: payload,
        body: text,
        memoryMb,
        acceptedAt: Date.now(),
        record: {
          requestId,
          urn: target.urn,
          functionId: `${target.fn.package}:${target.fn.name}`,
          status: "WAIT",
          errorCode: "",
          errorMessage: "",
          startTime: "",
          endTime: "",
          attempts: 0,
          payload,
        },
      };
      if (!deps.queue.enqueue(job)) throw tooMany("the async invocation queue is full");
      const answer = `{"request_id":"${requestId}"}`;
      res.writeHead(202, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(answer),
        "X-Cff-Request-Id": requestId,
        "X-Request-Id": requestId,
      });
      res.end(answer);
      status = 202;
    } else {
      const fn = target.fn;
      const max = fault?.fault.maxConcurrency ?? fn.concurrency;
      if (fn.running >= Math.min(max, fn.concurrency)) {
        throw tooMany(
          `function ${target.urn} is at its concurrency limit (${Math.min(max, fn.concurrency)})`,
        );
      }
      const outcome = await invoke({
        fn,
        event: payload,
        requestId,
        projectId: route.projectId,
        version: target.version,
        alias: target.alias,
        memoryMb,
        injectError: fault ? fault.functionErrorHits() : false,
      });
      const tail = isTail(req);
      status = writeSyncResponse(res, requestId, outcome, version, tail);
      functionError = outcome.isError;
    }
  } catch (err) {
    const apiError = err instanceof ApiError ? err : new ApiError(500, "FSS.0500", String(err));
    sendError(res, apiError, requestId);
    status = apiError.status;
    errorCode = apiError.code;
    if (!mode) return;
  }
  if (!mode) return;

  const record: InvocationRecord = {
    time: new Date(performance.timeOrigin + arrived).toISOString(),
    mode,
    urn: target?.urn ?? route.urn,
    payload,
    status,
    requestId,
    duration: performance.now() - arrived,
  };
  if (functionError) record.functionError = true;
  if (errorCode !== undefined) record.errorCode = errorCode;
  const traceparent = req.headers.traceparent;
  if (typeof traceparent === "string") record.traceparent = traceparent;
  deps.records.push(record);
  deps.sink?.(formatRecordLine(record));
}

function instanceMemory(req: IncomingMessage, fallback: number): number {
  const header = req.headers["x-cff-instance-memory"];
  if (header === undefined) return fallback;
  const mb = Number(header);
  if (!MEMORY.has(mb)) {
    throw badRequest(`X-Cff-Instance-Memory must be one of ${INSTANCE_MEMORY_MB.join(", ")} (MB)`);
  }
  return mb;
}

function requestVersion(req: IncomingMessage): ResponseVersion {
  const header = req.headers["x-cff-request-version"];
  if (header === undefined || header === "") return "v0";
  const v = String(header).toLowerCase();
  if (v === "v0" || v === "v1") return v;
  throw badRequest("X-CFF-Request-Version must be v0 or v1");
}

function isTail(req: IncomingMessage): boolean {
  const h = req.headers["x-cff-log-type"];
  return typeof h === "string" && h.toLowerCase() === "tail";
}

/** The event: the JSON body; an empty body is taken as `{}`; anything else is 406 FSS.0406. */
function parseEvent(text: string): unknown {
  if (text === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(406, "FSS.0406", "the request body is not valid JSON");
  }
}
