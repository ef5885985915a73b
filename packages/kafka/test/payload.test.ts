import { describe, expect, it } from "vitest";
import { kafkaTriggerEvent } from "../src/native-event-reference.js";
import { kafkaTriggerEventJson } from "../src/native-event-writer.js";
import { PoisonRecordError, richKafkaEvent } from "../src/payload.js";
import { type RawMessage, toRecord } from "../src/record.js";

const limits = { maxRecordBytes: 1000, requireUtf8: true };
const info = { region: "eu-de", instanceId: "08fd3e1b-cf56-401f-b4c6-81fd2a1d3ae6" };

function msg(
  offset: number,
  value: string | Buffer | null,
  key: string | null = null,
  headers: RawMessage["headers"] = {},
): RawMessage {
  return {
    offset: String(offset),
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.isBuffer(value) ? value : Buffer.from(value),
    headers,
    timestamp: String(1576737962000 + offset),
  };
}

describe("the native Kafka-trigger event", () => {
  it("matches FunctionGraph's documented shape", () => {
    const records = [msg(0, "kafka message1"), msg(1, "kafka message2")].map((m) =>
      toRecord("c", "topic-test", 0, m, "partition", limits),
    );
    expect(kafkaTriggerEvent(records, info)).toEqual({
      event_version: "v1.0",
      event_time: 1576737962,
      trigger_type: "KAFKA",
      region: "eu-de",
      instance_id: "08fd3e1b-cf56-401f-b4c6-81fd2a1d3ae6",
      records: [{ messages: ["kafka message1", "kafka message2"], topic_id: "topic-test" }],
    });
  });

  it("groups by topic and turns a tombstone into an empty message", () => {
    const records = [
      toRecord("c", "a", 0, msg(0, "x"), "partition", limits),
      toRecord("c", "b", 1, msg(0, null), "partition", limits),
    ];
    expect(kafkaTriggerEvent(records, info).records).toEqual([
      { messages: ["x"], topic_id: "a" },
      { messages: [""], topic_id: "b" },
    ]);
  });

  it("refuses a non-UTF-8 value it was not told about", () => {
    const r = toRecord("c", "t", 0, msg(0, Buffer.from([0xff])), "partition", {
      ...limits,
      requireUtf8: false,
    });
    expect(() => kafkaTriggerEvent([r], info)).toThrow(PoisonRecordError);
  });
});

describe("the rich event", () => {
  it("keeps key, headers, partition, offset, timestamp, and binary values as base64", () => {
    const binary = Buffer.from([0xff, 0x00]);
    const r = toRecord(
      "c",
      "t",
      3,
      msg(7, binary, "k1", { h: "v", b: Buffer.from([0xfe]) }),
      "partition",
      { ...limits, requireUtf8: false },
    );
    expect(richKafkaEvent([r], info).records).toEqual([
      {
        topic: "t",
        partition: 3,
        offset: "7",
        timestamp: 1576737962007,
        key: "k1",
        keyEncoding: "utf8",
        headers: { h: "v", b: "/g==" },
        headerEncodings: { b: "base64" },
        value: binary.toString("base64"),
        valueEncoding: "base64",
      },
    ]);
  });
});

describe("records", () => {
  it("order per partition by default and per key on request", () => {
    expect(toRecord("c", "t", 2, msg(0, "v", "k"), "partition", limits).orderingKey).toBe("t/2");
    expect(toRecord("c", "t", 2, msg(0, "v", "k"), "key", limits).orderingKey).toBe("t/2#k");
    expect(toRecord("c", "t", 2, msg(0, "v", null), "key", limits).orderingKey).toBe("t/2");
  });

  it("flag poison records and give each a lane of its own", () => {
    const big = toRecord("c", "t", 0, msg(4, "x".repeat(2000)), "partition", limits);
    expect(big.attributes.poison).toMatch(/over the 1000-byte limit/);
    expect(big.orderingKey).toBe("t/0@4");
    const binary = toRecord("c", "t", 0, msg(5, Buffer.from([0xc3])), "partition", limits);
    expect(binary.attributes.poison).toMatch(/not UTF-8/);
    expect(() => kafkaTriggerEvent([binary], info)).toThrow(/t\/0\/5: value is not UTF-8/);
    expect(() => richKafkaEvent([big], info)).toThrow(PoisonRecordError);
  });
});

describe("the native event as JSON bytes", () => {
  const values: (string | null)[] = [
    "plain text",
    '{"json":"with quotes"}',
    "back\\slash",
    "tab\tnew\nline\u0001",
    "ünïcødé ✓ 😀 \u2028",
    "",
    null,
    "x".repeat(5_000),
  ];

  it("are exactly JSON.stringify of the event, whatever the values hold", () => {
    const records = values.map((v, i) =>
      toRecord("k", i % 2 ? "orders" : "payments", 0, msg(i, v), "partition", {
        maxRecordBytes: 1_000_000,
        requireUtf8: true,
      }),
    );
    const bytes = kafkaTriggerEventJson(records, info);
    expect(bytes.toString("utf8")).toBe(JSON.stringify(kafkaTriggerEvent(records, info)));
    for (const r of records) {
      const one = kafkaTriggerEventJson([r], info);
      expect(JSON.parse(one.toString("utf8"))).toEqual(kafkaTriggerEvent([r], info));
    }
  });

  it("escape a quote, a backslash or a control byte wherever it sits in a value's words", () => {
    const records = [];
    const shared = Buffer.alloc(64 * 1024, "a");
    let at = 0;
    for (const special of ['"', "\\", "\u0000", "\u001f", " ", "\u007f", "é"]) {
      for (let position = 0; position < 12; position++) {
        for (let offset = 0; offset < 4; offset++) {
          at += 16 + offset;
          const text = `${"v".repeat(position)}${special}${"w".repeat(11 - position)}`;
          const length = shared.write(text, at);
          const value = shared.subarray(at, at + length);
          records.push(toRecord("k", "t", 0, msg(records.length, value), "partition", limits));
        }
      }
    }
    const bytes = kafkaTriggerEventJson(records, info);
    expect(bytes.toString("utf8")).toBe(JSON.stringify(kafkaTriggerEvent(records, info)));
  });

  it("refuse what the object form refuses", () => {
    const binary = toRecord("k", "t", 0, msg(5, Buffer.from([0xff, 0xfe])), "partition", {
      maxRecordBytes: 1000,
      requireUtf8: false,
    });
    expect(() => kafkaTriggerEventJson([binary], info)).toThrow(PoisonRecordError);
  });
});
