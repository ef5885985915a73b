import { describe, expect, it } from "vitest";
import { createMqttConnector, type MqttRecord } from "../src/index.js";

const PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const connector = createMqttConnector("mq", {
  url: "mqtt://127.0.0.1:1",
  topics: [{ filter: "a/#" }],
});
// The record building of a received message (private: the client library delivers messages).
// biome-ignore lint/complexity/useLiteralKeys: a private method, reached by element access.
const toRecord = (message: MqttRecord["message"]): MqttRecord => connector["toRecord"](message);
const message = (properties?: MqttRecord["message"]["properties"]): MqttRecord["message"] => ({
  topic: "a/1",
  payload: Buffer.from("{}"),
  qos: 1,
  retain: false,
  dup: false,
  ...(properties ? { properties } : {}),
});

describe("an MQTT record's trace context", () => {
  it("comes from the MQTT 5 user properties traceparent and tracestate", () => {
    const r = toRecord(message({ userProperties: { traceparent: PARENT, tracestate: "v=1" } }));
    expect(r.traceContext).toEqual({ traceparent: PARENT, tracestate: "v=1" });
  });

  it("takes the first of a repeated user property", () => {
    const r = toRecord(message({ userProperties: { traceparent: [PARENT, "00-x"] } }));
    expect(r.traceContext).toEqual({ traceparent: PARENT });
  });

  it("is absent without properties or without a traceparent (MQTT 3.1.1 has none)", () => {
    expect(toRecord(message()).traceContext).toBeUndefined();
    expect(toRecord(message({ userProperties: { k: "v" } })).traceContext).toBeUndefined();
  });
});
