import { isUtf8 } from "node:buffer";
import type { RecordAttributes, SourceRecord } from "@fgconnect/core";

/** FunctionGraph's APIG trigger event, as an APIG-triggered function receives it. */
export interface ApigEvent {
  /** The route's path pattern, e.g. `/orders/{id}`. */
  resource: string;
  path: string;
  httpMethod: string;
  headers: Record<string, string>;
  queryStringParameters: Record<string, string>;
  pathParameters: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
  requestContext: { apiId: string; requestId: string; stage: string; sourceIp: string };
}

/** One HTTP request as the engine sees it: the APIG event travels with the record. */
export interface HttpRecord extends SourceRecord {
  readonly event: ApigEvent;
}

export interface RequestParts {
  method: string;
  /** The path as requested, without the query string. */
  path: string;
  resource: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string | string[] | undefined>;
  pathParameters: Record<string, string>;
  body: Buffer | undefined;
  sourceIp: string;
  requestId: string;
}

export interface EventSettings {
  apiId: string;
  stage: string;
  base64Body: "binary" | "always";
}

/** Repeated headers and query keys are joined with commas, as HTTP folds repeated headers. */
function single(values: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(",") : v;
  }
  return out;
}

export function apigEvent(req: RequestParts, settings: EventSettings): ApigEvent {
  const body = req.body ?? Buffer.alloc(0);
  const base64 = settings.base64Body === "always" || !isUtf8(body);
  return {
    resource: req.resource,
    path: req.path,
    httpMethod: req.method,
    headers: single(req.headers),
    queryStringParameters: single(req.query),
    pathParameters: req.pathParameters,
    body: body.toString(base64 ? "base64" : "utf8"),
    isBase64Encoded: base64,
    requestContext: {
      apiId: settings.apiId,
      requestId: req.requestId,
      stage: settings.stage,
      sourceIp: req.sourceIp,
    },
  };
}

/**
 * A request's attributes: what route filters and `dlq --pattern` see, and everything but the body
 * that a dead letter needs to rebuild the event. The event's own objects, shared, not copied —
 * but for `privateHeaders` (lower case), the callers' credentials, which a dead letter must not
 * keep.
 */
export function requestAttributes(
  route: string,
  event: ApigEvent,
  privateHeaders: readonly string[],
): RecordAttributes {
  return {
    route,
    method: event.httpMethod,
    path: event.path,
    resource: event.resource,
    headers: withoutHeaders(event.headers, privateHeaders),
    query: event.queryStringParameters,
    pathParameters: event.pathParameters,
    isBase64Encoded: event.isBase64Encoded,
    requestContext: event.requestContext,
  };
}

/** `headers` without `names`; the same object when it has none of them (the usual case). */
function withoutHeaders(
  headers: Record<string, string>,
  names: readonly string[],
): Record<string, string> {
  if (!names.some((n) => n in headers)) return headers;
  const kept = { ...headers };
  for (const n of names) delete kept[n];
  return kept;
}
