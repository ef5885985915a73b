import { describe, expect, it } from "vitest";
import { traceContextOf } from "../../src/index.js";

const PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("traceContextOf", () => {
  it("reads traceparent and tracestate as strings (HTTP headers, MQTT user properties, Kafka headers as text)", () => {
    expect(traceContextOf({ traceparent: PARENT, tracestate: "a=1", other: "x" })).toEqual({
      traceparent: PARENT,
      tracestate: "a=1",
    });
    expect(traceContextOf({ traceparent: PARENT })).toEqual({ traceparent: PARENT });
  });

  it("reads Buffers (AMQP headers) and the first of repeated values", () => {
    expect(traceContextOf({ traceparent: Buffer.from(PARENT), tracestate: [" b=2 "] })).toEqual({
      traceparent: PARENT,
      tracestate: "b=2",
    });
    expect(traceContextOf({ traceparent: [PARENT, "00-other"] })?.traceparent).toBe(PARENT);
  });

  it("is undefined without a usable traceparent, and drops an oversized tracestate", () => {
    expect(traceContextOf(undefined)).toBeUndefined();
    expect(traceContextOf(null)).toBeUndefined();
    expect(traceContextOf({})).toBeUndefined();
    expect(traceContextOf({ tracestate: "a=1" })).toBeUndefined();
    expect(traceContextOf({ traceparent: 42 })).toBeUndefined();
    expect(traceContextOf({ traceparent: "" })).toBeUndefined();
    expect(traceContextOf({ traceparent: "x".repeat(300) })).toBeUndefined();
    expect(traceContextOf({ traceparent: PARENT, tracestate: "a".repeat(600) })).toEqual({
      traceparent: PARENT,
    });
  });
});
