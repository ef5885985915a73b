import { describe, expect, it } from "vitest";
import { type AmqpMessage, createRabbitmqConnector, type RabbitmqRecord } from "../src/index.js";

const PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const connector = createRabbitmqConnector("rb", {
  url: "amqp://127.0.0.1:1",
  queues: ["orders"],
});
// The record building of a delivered message (private: the client library delivers messages).
// biome-ignore lint/complexity/useLiteralKeys: a private method, reached by element access.
const toRecord = (message: AmqpMessage): RabbitmqRecord => connector["toRecord"](message);
const message = (headers?: Record<string, unknown>): AmqpMessage => ({
  id: "orders/1",
  queue: "orders",
  exchange: "",
  routingKey: "orders",
  deliveryTag: 1,
  redelivered: false,
  body: Buffer.from("{}"),
  properties: headers ? { headers } : {},
  receivedAt: 1,
});

describe("a RabbitMQ record's trace context", () => {
  it("comes from the AMQP headers traceparent and tracestate, as text or bytes", () => {
    expect(toRecord(message({ traceparent: PARENT, tracestate: "v=1" })).traceContext).toEqual({
      traceparent: PARENT,
      tracestate: "v=1",
    });
    expect(toRecord(message({ traceparent: Buffer.from(PARENT) })).traceContext).toEqual({
      traceparent: PARENT,
    });
  });

  it("is absent without headers or without a traceparent", () => {
    expect(toRecord(message()).traceContext).toBeUndefined();
    expect(toRecord(message({ "x-retry": 1 })).traceContext).toBeUndefined();
  });
});
