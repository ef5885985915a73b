import { describe, expect, it } from "vitest";
import { type RawMessage, toRecord } from "../src/index.js";

const PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const limits = { maxRecordBytes: 1024 * 1024, requireUtf8: false };
const message = (headers?: RawMessage["headers"]): RawMessage => ({
  offset: "7",
  key: null,
  value: Buffer.from("{}"),
  timestamp: "1700000000000",
  ...(headers ? { headers } : {}),
});

describe("a Kafka record's trace context", () => {
  it("comes from the traceparent and tracestate headers, as bytes or text", () => {
    const r = toRecord(
      "k",
      "orders",
      0,
      message({ traceparent: Buffer.from(PARENT), tracestate: "v=1" }),
      "partition",
      limits,
    );
    expect(r.traceContext).toEqual({ traceparent: PARENT, tracestate: "v=1" });
  });

  it("is absent without a traceparent header", () => {
    expect(toRecord("k", "orders", 0, message(), "partition", limits).traceContext).toBeUndefined();
    const other = toRecord("k", "orders", 0, message({ x: "1" }), "partition", limits);
    expect(other.traceContext).toBeUndefined();
  });
});
