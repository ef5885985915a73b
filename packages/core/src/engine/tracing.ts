/**
 * OpenTelemetry spans of deliveries, through `@opentelemetry/api` only: without an SDK
 * registered (the default) a delivery target is untraced and nothing here runs per batch.
 * With one (the runner's `telemetry` config), each batch delivered to a function is a span,
 * parented by the producer's trace context when a record carried one, and each invocation
 * attempt a child span whose context goes to FunctionGraph in the `traceparent` header.
 */
import {
  type Attributes,
  type Context,
  isSpanContextValid,
  type Link,
  ProxyTracer,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type { InvokeOptions } from "../client/types.js";
import type { SourceRecord, TraceContext } from "../connector.js";

const TRACER_NAME = "@fgconnect/core";
const tracer = trace.getTracer(TRACER_NAME);
const BATCH_SPAN = { kind: SpanKind.CONSUMER };
const ATTEMPT_SPAN = { kind: SpanKind.CLIENT };

/** Span attribute names, one place (documented in the runner's README). */
export const ATTR = {
  route: "fgconnect.route",
  function: "fgconnect.function",
  mode: "fgconnect.mode",
  source: "fgconnect.source",
  records: "fgconnect.records",
  attempt: "fgconnect.attempt",
  outcome: "fgconnect.outcome",
  errorCode: "fgconnect.error_code",
  requestId: "functiongraph.request_id",
  delivered: "fgconnect.delivered",
  deadLettered: "fgconnect.dead_lettered",
} as const;

/** How an attempt ended: the metrics' outcomes, `partial` (batchItemFailures), or a hard stop. */
export type AttemptOutcome = "success" | "partial" | "function-error" | "error" | "aborted";

/** What spans name a delivery by; built once per route × function (names included). */
export interface TracedTarget {
  route: string;
  urn: string;
  mode: "sync" | "async";
  batchName: string;
  attemptName: string;
}

/**
 * What spans name a delivery by, or undefined while no SDK is registered: decided when the
 * engine builds its targets (at start and at each reconfigure), so an untraced batch costs no
 * no-op span, no context and no check. Register the SDK before starting the engine.
 */
export function tracedTarget(
  route: string,
  urn: string,
  mode: "sync" | "async",
): TracedTarget | undefined {
  if (!tracerRegistered()) return undefined;
  return { route, urn, mode, batchName: `deliver ${route}`, attemptName: `invoke ${urn}` };
}

/** The API hands out proxies until an SDK registers a provider; then the provider's own tracer. */
function tracerRegistered(): boolean {
  return !(trace.getTracer(TRACER_NAME) instanceof ProxyTracer);
}

/** The span of one batch for one function, and what its records became. */
export interface BatchTrace {
  /** Undefined when tracing is off (no SDK registered): every helper here then does nothing. */
  readonly span: Span | undefined;
  /** The batch span as the parent of its attempts. */
  readonly context: Context;
  delivered: number;
  deadLettered: number;
}

/** Shared by every batch while tracing is off: nothing is allocated per batch. */
const OFF: BatchTrace = Object.freeze({
  span: undefined,
  context: ROOT_CONTEXT,
  delivered: 0,
  deadLettered: 0,
});

/** The producer's context (the registered propagator parses and validates it). */
const parentOf = (tc: TraceContext): Context => propagation.extract(ROOT_CONTEXT, tc);

/**
 * Starts the span of a batch. Its parent is the trace context of the first record that carried
 * one; every other record's distinct context becomes a link (a batch joins several traces).
 */
export function startBatch(
  target: TracedTarget | undefined,
  records: readonly { readonly record: SourceRecord }[],
): BatchTrace {
  if (!target) return OFF;
  let first: TraceContext | undefined;
  for (const p of records) {
    if (p.record.traceContext) {
      first = p.record.traceContext;
      break;
    }
  }
  const parent = first ? parentOf(first) : ROOT_CONTEXT;
  const span = tracer.startSpan(target.batchName, BATCH_SPAN, parent);
  // A registered no-op provider gives an invalid context; an SDK's tracer always a valid one.
  if (!isSpanContextValid(span.spanContext())) return OFF;
  if (span.isRecording()) {
    span.setAttributes({
      [ATTR.route]: target.route,
      [ATTR.function]: target.urn,
      [ATTR.mode]: target.mode,
      [ATTR.source]: records[0]?.record.source ?? "",
      [ATTR.records]: records.length,
    });
    if (first && records.length > 1) span.addLinks(linksOf(records, first));
  }
  return { span, context: trace.setSpan(ROOT_CONTEXT, span), delivered: 0, deadLettered: 0 };
}

/** The distinct contexts of the batch's records but the parent's. */
function linksOf(
  records: readonly { readonly record: SourceRecord }[],
  parent: TraceContext,
): Link[] {
  const links: Link[] = [];
  const seen = new Set([parent.traceparent]);
  for (const p of records) {
    const tc = p.record.traceContext;
    if (!tc || seen.has(tc.traceparent)) continue;
    seen.add(tc.traceparent);
    const linked = trace.getSpanContext(parentOf(tc));
    if (linked && isSpanContextValid(linked)) links.push({ context: linked });
  }
  return links;
}

export function noteDelivered(batch: BatchTrace, records: number): void {
  if (batch !== OFF) batch.delivered += records;
}

export function noteDeadLettered(batch: BatchTrace, records: number): void {
  if (batch !== OFF) batch.deadLettered += records;
}

export function endBatch(batch: BatchTrace): void {
  const { span } = batch;
  if (!span) return;
  if (span.isRecording()) {
    span.setAttribute(ATTR.delivered, batch.delivered);
    span.setAttribute(ATTR.deadLettered, batch.deadLettered);
    if (batch.deadLettered > 0)
      span.setStatus({ code: SpanStatusCode.ERROR, message: "records dead-lettered" });
  }
  span.end();
}

/** Notes on the batch span what happened between attempts (a retry, a split, a dead letter). */
export function batchEvent(batch: BatchTrace, name: string, attributes: Attributes): void {
  if (batch.span?.isRecording()) batch.span.addEvent(name, attributes);
}

/** Starts the span of one invocation attempt (none when tracing is off). */
export function startAttempt(
  batch: BatchTrace,
  target: TracedTarget | undefined,
  attempt: number,
  records: number,
): Span | undefined {
  if (!batch.span || !target) return undefined;
  const span = tracer.startSpan(target.attemptName, ATTEMPT_SPAN, batch.context);
  if (span.isRecording())
    span.setAttributes({
      [ATTR.route]: target.route,
      [ATTR.function]: target.urn,
      [ATTR.mode]: target.mode,
      [ATTR.attempt]: attempt,
      [ATTR.records]: records,
    });
  return span;
}

/**
 * The options to invoke with: the target's, plus the attempt span's `traceparent` and
 * `tracestate` (the same object when tracing is off).
 */
export function withTraceHeaders(span: Span | undefined, options: InvokeOptions): InvokeOptions {
  if (!span) return options;
  const headers: Record<string, string> = { ...options.headers };
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), headers);
  return { ...options, headers };
}

/** Ends an attempt's span; the request id is the result's, or the failure's when it has one. */
export function endAttempt(
  span: Span | undefined,
  outcome: AttemptOutcome,
  requestId: string | undefined,
  error: unknown,
  errorCode: string | undefined,
): void {
  if (!span) return;
  if (span.isRecording()) {
    requestId ??= requestIdOf(error);
    span.setAttribute(ATTR.outcome, outcome);
    if (requestId !== undefined) span.setAttribute(ATTR.requestId, requestId);
    if (errorCode !== undefined) {
      span.setAttribute(ATTR.errorCode, errorCode);
      span.setAttribute("error.type", errorCode);
    }
    if (outcome !== "success") span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode });
  }
  span.end();
}

function requestIdOf(error: unknown): string | undefined {
  const id = (error as { requestId?: unknown } | undefined)?.requestId;
  return typeof id === "string" ? id : undefined;
}
