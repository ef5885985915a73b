import { describe, expect, it } from "vitest";
import { mqttEvent } from "../src/mqtt-event-reference.js";
import { decodePayload, rawEvent } from "../src/payload.js";

const msg = (payload: string | Buffer, extra = {}) => ({
  topic: "plant/1/temp",
  payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
  qos: 1 as const,
  retain: false,
  dup: false,
  ...extra,
});

describe("decodePayload", () => {
  it("parses JSON, keeps text, base64-encodes binary", () => {
    expect(decodePayload(Buffer.from('{"a":[1,2]}'))).toEqual({
      payload: { a: [1, 2] },
      encoding: "json",
    });
    expect(decodePayload(Buffer.from("42"))).toEqual({ payload: 42, encoding: "json" });
    expect(decodePayload(Buffer.from("on"))).toEqual({ payload: "on", encoding: "text" });
    expect(decodePayload(Buffer.from(" \n\t[true, null, -1.5]"))).toEqual({
      payload: [true, null, -1.5],
      encoding: "json",
    });
    expect(decodePayload(Buffer.from('"quoted"'))).toEqual({ payload: "quoted", encoding: "json" });
    expect(decodePayload(Buffer.from("false"))).toEqual({ payload: false, encoding: "json" });
    // Starts like JSON, is not: text.
    expect(decodePayload(Buffer.from("nope"))).toEqual({ payload: "nope", encoding: "text" });
    expect(decodePayload(Buffer.from("{oops"))).toEqual({ payload: "{oops", encoding: "text" });
    expect(decodePayload(Buffer.from("  "))).toEqual({ payload: "  ", encoding: "text" });
    expect(decodePayload(Buffer.alloc(0))).toEqual({ payload: "", encoding: "text" });
    expect(decodePayload(Buffer.from([0xc3, 0x28]))).toEqual({
      payload: "wyg=",
      encoding: "base64",
    });
  });
});

describe("mqttEvent", () => {
  it("builds the MQTT trigger envelope for a batch, with MQTT 5 properties", () => {
    const event = mqttEvent("plant", [
      { message: msg("21.5"), receivedAt: 1_700_000_000_500 },
      {
        message: msg("hello", {
          retain: true,
          properties: {
            contentType: "text/plain",
            userProperties: { site: "north" },
            responseTopic: "r/1",
            correlationData: Buffer.from("c1"),
          },
        }),
        receivedAt: 1_700_000_001_900,
      },
    ]);
    expect(event).toEqual({
      event_version: "v1.0",
      event_time: 1_700_000_001,
      trigger_type: "MQTT",
      trigger_name: "plant",
      records: [
        { topic: "plant/1/temp", payload: 21.5, encoding: "json", qos: 1, retain: false },
        {
          topic: "plant/1/temp",
          payload: "hello",
          encoding: "text",
          qos: 1,
          retain: true,
          properties: {
            content_type: "text/plain",
            user_properties: { site: "north" },
            response_topic: "r/1",
            correlation_data: Buffer.from("c1").toString("base64"),
          },
        },
      ],
    });
  });

  it("is pure: the same messages give the same event", () => {
    const input = [{ message: msg('{"x":1}'), receivedAt: 5000 }];
    expect(mqttEvent("a", input)).toEqual(mqttEvent("a", input));
  });
});

describe("rawEvent", () => {
  it("gives the payload alone, or an array for a batch", () => {
    expect(rawEvent([msg('{"x":1}')])).toEqual({ x: 1 });
    expect(rawEvent([msg("a"), msg("2")])).toEqual(["a", 2]);
  });
});
