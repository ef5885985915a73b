import { describe, expect, it } from "vitest";
import { mqttEvent } from "../src/mqtt-event-reference.js";
import { mqttEventJson } from "../src/mqtt-event-writer.js";
import type { MqttMessage } from "../src/payload.js";

const message = (payload: Buffer | string, extra: Partial<MqttMessage> = {}): MqttMessage => ({
  topic: "plant/line-1",
  payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
  qos: 1,
  retain: false,
  dup: false,
  ...extra,
});

const payloads: (Buffer | string)[] = [
  "",
  "plain text",
  'say "hi"',
  "back\\slash",
  "tab\there",
  "line\nbreak",
  "del\u007f and é 中 😀",
  '{"a": 1, "b": [true, null]}',
  "  [1, 2]",
  "42",
  "1abc",
  "true story",
  Buffer.from([0xff, 0xfe, 0x00]),
  Buffer.from([0xc3]),
];

function same(messages: { message: MqttMessage; receivedAt: number }[], name = "plant") {
  expect(mqttEventJson(name, messages).toString("utf8")).toBe(
    JSON.stringify(mqttEvent(name, messages)),
  );
}

describe("mqttEventJson", () => {
  it("writes the same bytes as JSON.stringify of the event, for every kind of payload", () => {
    for (const p of payloads) same([{ message: message(p), receivedAt: 1_700_000_001_234 }]);
  });

  it("puts a quote, a backslash or a control byte at every position of a text payload", () => {
    for (const special of ['"', "\\", "\u0001", "\u001f"]) {
      for (let at = 0; at < 12; at++) {
        const text = `${"x".repeat(at)}${special}${"y".repeat(11 - at)}`;
        same([{ message: message(text), receivedAt: 1 }]);
      }
    }
  });

  it("writes a batch with MQTT 5 properties, topics and a name that need escaping", () => {
    same(
      [
        { message: message("a", { topic: 'odd "topic"\\é' }), receivedAt: 1_700_000_005_000 },
        {
          message: message('{"v":1}', {
            qos: 2,
            retain: true,
            properties: {
              contentType: "application/json",
              userProperties: { site: "x", tag: ["1", "2"] },
              responseTopic: "replies/1",
              correlationData: Buffer.from([1, 2, 3]),
              messageExpiryInterval: 60,
              payloadFormatIndicator: true,
            },
          }),
          receivedAt: 1_700_000_009_999,
        },
        { message: message(Buffer.from([0x80])), receivedAt: 1_700_000_001_000 },
      ],
      'line "1"',
    );
  });
});
