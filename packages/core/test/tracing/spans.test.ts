/**
 * The engine's spans, with the OpenTelemetry SDK registered here (an in-memory exporter) as
 * the runner registers it: before that, the API is a no-op and invocations carry no header.
 */
import { context, propagation, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../src/client/errors.js";
import type { RouteInput } from "../../src/engine/schema.js";
import { tracedTarget } from "../../src/engine/tracing.js";
import { record, startEngine } from "../engine/fakes.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";
const parentHeader = (trace = TRACE, span = PARENT) => `00-${trace}-${span}-01`;

function routes(fields: Partial<RouteInput> = {}): { routes: RouteInput[] } {
  return { routes: [{ name: "r", from: "src", to: ["fn"], mode: "sync", ...fields }] };
}

describe("without an OpenTelemetry SDK", () => {
  it("invokes with the target's options, adding no trace header", async () => {
    const h = await startEngine(routes());
    await h.connector.push(record("a", { traceContext: { traceparent: parentHeader() } }));
    expect(h.invoker.calls).toHaveLength(1);
    expect(h.invoker.calls[0]!.options?.headers).toBeUndefined();
  });

  it("leaves a delivery target untraced: batches skip every span call", () => {
    expect(tracedTarget("r", "fn", "sync")).toBeUndefined();
  });
});

describe("with an SDK registered", () => {
  const exporter = new InMemorySpanExporter();
  beforeAll(() => {
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    trace.setGlobalTracerProvider(provider);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  afterAll(() => {
    trace.disable();
    propagation.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  const spans = () => exporter.getFinishedSpans();
  const named = (prefix: string) => spans().filter((s) => s.name.startsWith(prefix));
  /** The batch span ends just after its records' outcomes are handed back. */
  const batchSpan = () =>
    vi.waitFor(() => {
      const [batch] = named("deliver ");
      if (!batch) throw new Error("no batch span yet");
      return batch;
    });
  const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

  it("traces a delivery target built once the SDK is registered", () => {
    expect(tracedTarget("r", "fn", "async")).toEqual({
      route: "r",
      urn: "fn",
      mode: "async",
      batchName: "deliver r",
      attemptName: "invoke fn",
    });
  });

  it("parents the batch span on the record's context and sends the attempt's context on", async () => {
    const h = await startEngine(routes());
    const outcome = await h.connector.push(
      record("a", { traceContext: { traceparent: parentHeader(), tracestate: "v=1" } }),
    );
    expect(outcome).toBe("delivered");
    const batch = await batchSpan();
    const [attempt] = named("invoke ");
    expect(batch.spanContext().traceId).toBe(TRACE);
    expect(parentOf(batch)).toBe(PARENT);
    expect(batch.attributes).toMatchObject({
      "fgconnect.route": "r",
      "fgconnect.function": "fn",
      "fgconnect.mode": "sync",
      "fgconnect.source": "src",
      "fgconnect.records": 1,
      "fgconnect.delivered": 1,
      "fgconnect.dead_lettered": 0,
    });
    expect(parentOf(attempt!)).toBe(batch.spanContext().spanId);
    expect(attempt!.attributes).toMatchObject({
      "fgconnect.attempt": 1,
      "fgconnect.outcome": "success",
      "functiongraph.request_id": "req",
    });
    expect(h.invoker.calls[0]!.options?.headers).toEqual({
      traceparent: parentHeader(TRACE, attempt!.spanContext().spanId),
      tracestate: "v=1",
    });
  });

  it("links the other records' traces of a batch, once each", async () => {
    const h = await startEngine(routes({ batch: { maxRecords: 4, maxWaitMs: 10 } }));
    const other = "0af7651916cd43dd8448eb211c80319c";
    const pushes = [
      record("a"),
      record("b", { traceContext: { traceparent: parentHeader() } }),
      record("c", { traceContext: { traceparent: parentHeader(other, "b7ad6b7169203331") } }),
      record("d", { traceContext: { traceparent: parentHeader(other, "b7ad6b7169203331") } }),
    ].map((r) => h.connector.push(r));
    await Promise.all(pushes);
    const batch = await batchSpan();
    expect(parentOf(batch)).toBe(PARENT);
    expect(batch.links.map((l) => l.context.traceId)).toEqual([other]);
  });

  it("makes each attempt a span with its error code, and notes the retry and dead letter", async () => {
    const h = await startEngine(routes({ delivery: { maxAttempts: 2, firstDelayMs: 1 } }));
    h.invoker.behaviour = () => {
      throw new ApiError(503, "FSS.0503", "unavailable", "req-503", true, "hint");
    };
    expect(await h.connector.push(record("a"))).toBe("dead-lettered");
    const attempts = named("invoke ");
    expect(attempts.map((a) => a.attributes["fgconnect.attempt"])).toEqual([1, 2]);
    for (const a of attempts) {
      expect(a.attributes).toMatchObject({
        "fgconnect.outcome": "error",
        "fgconnect.error_code": "FSS.0503",
        "functiongraph.request_id": "req-503",
      });
      expect(a.status.code).toBe(2);
    }
    const batch = await batchSpan();
    expect(parentOf(batch)).toBeUndefined();
    expect(batch.events.map((e) => e.name)).toEqual(["retry", "dead-letter"]);
    expect(batch.attributes["fgconnect.dead_lettered"]).toBe(1);
  });

  it("starts a trace of its own when the record's traceparent is malformed", async () => {
    const h = await startEngine(routes());
    await h.connector.push(record("a", { traceContext: { traceparent: "00-nonsense-01" } }));
    const batch = await batchSpan();
    expect(parentOf(batch)).toBeUndefined();
    expect(h.invoker.calls[0]!.options?.headers?.traceparent).toMatch(
      new RegExp(`^00-${batch.spanContext().traceId}-[0-9a-f]{16}-01$`),
    );
  });
});
