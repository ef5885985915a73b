/**
 * Reading a producer's W3C trace context from a source's headers: Kafka headers, MQTT 5 user
 * properties, AMQP headers and HTTP headers all carry it as `traceparent` / `tracestate`.
 */
import type { TraceContext } from "./connector.js";

/** Longer values are not trace context (W3C: traceparent is 55 chars in version 00, tracestate at most 512). */
const MAX_TRACEPARENT = 256;
const MAX_TRACESTATE = 512;

/**
 * The trace context in `headers`, or undefined when there is no `traceparent`. Names are the
 * lower-case ones the W3C propagators write (HTTP header names arrive lower-cased). A value
 * may be a string, a Buffer (AMQP, Kafka) or a list (a repeated MQTT user property or HTTP
 * header: the first counts). Malformed values are dropped later, when the engine parses them.
 */
export function traceContextOf(
  headers: Readonly<Record<string, unknown>> | null | undefined,
): TraceContext | undefined {
  if (!headers) return undefined;
  const traceparent = text(headers.traceparent, MAX_TRACEPARENT);
  if (traceparent === undefined) return undefined;
  const tracestate = text(headers.tracestate, MAX_TRACESTATE);
  return tracestate === undefined ? { traceparent } : { traceparent, tracestate };
}

function text(value: unknown, max: number): string | undefined {
  const one = Array.isArray(value) ? value[0] : value;
  const s = typeof one === "string" ? one : Buffer.isBuffer(one) ? one.toString("utf8") : undefined;
  return s === undefined || s.length === 0 || s.length > max ? undefined : s.trim();
}
