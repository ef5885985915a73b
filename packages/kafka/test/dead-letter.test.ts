import { reviveRecord, toDeadLetterEntry } from "@fgconnect/core";
import { describe, expect, it } from "vitest";
import { deadLetterMessage } from "../src/dead-letter.js";
import { decodeMarks, encodeMarks, PartitionMarks } from "../src/dead-letter-marks.js";
import { entryOfMessage, reviveKafkaRecord } from "../src/dead-letter-reader.js";
import { toRecord } from "../src/record.js";

const failure = {
  reason: "retries exhausted" as const,
  route: "r",
  target: "urn:x",
  mode: "sync" as const,
  attempts: 3,
  firstAttemptAt: undefined,
  error: Object.assign(new Error("boom"), { name: "FunctionError" }),
  now: Date.UTC(2024, 0, 1),
};

const kafkaRecord = () =>
  toRecord(
    "orders",
    "t",
    1,
    {
      offset: "9",
      key: Buffer.from([0xff]),
      value: Buffer.from([1, 2, 255]),
      headers: { h: "v" },
      timestamp: String(Date.UTC(2023, 5, 1)),
    },
    "partition",
    { maxRecordBytes: 1_000_000, requireUtf8: false },
  );

describe("dead-letter messages", () => {
  it("carry the record's own key, value and headers, the error headers, and the entry", () => {
    const record = kafkaRecord();
    const entry = toDeadLetterEntry(record, failure);
    const m = deadLetterMessage(entry, record);
    expect(m.key).toEqual(Buffer.from([0xff]));
    // The very bytes the connector read, not a copy decoded from the entry.
    expect(m.value).toBe(record.body);
    expect(m.headers.h!.toString()).toBe("v");
    expect(m.headers["fgconnect-dlq-error-message"]!.toString()).toBe("boom");
    expect(m.headers["fgconnect-dlq-original-offset"]!.toString()).toBe("9");
    expect(m.headers["fgconnect-dlq-attempts"]!.toString()).toBe("3");
    expect(m.headers["fgconnect-dlq-id"]!.toString()).toBe(entry.id);
  });

  it("are read back as the same entry, and revive the same Kafka record", () => {
    const record = kafkaRecord();
    const entry = { ...toDeadLetterEntry(record, failure), replayOf: "earlier" };
    const m = deadLetterMessage(entry, record);
    const back = entryOfMessage({ offset: "0", timestamp: "0", ...m });
    expect(back).toEqual(entry);
    expect(reviveKafkaRecord(back!)).toEqual(record);
  });

  it("hold the whole entry as JSON for records that are not Kafka's", () => {
    const other = {
      id: "x",
      source: "cron",
      attributes: {},
      body: { a: 1 },
      timestamp: 0,
      size: 1,
    };
    const entry = toDeadLetterEntry(other, failure);
    const m = deadLetterMessage(entry, other);
    expect(JSON.parse(m.value!.toString())).toEqual(entry);
    const back = entryOfMessage({ offset: "0", timestamp: "0", ...m })!;
    expect(reviveRecord(back)).toEqual(other);
  });
});

describe("replay marks of a partition", () => {
  it("encode offsets as ranges and back", () => {
    expect(encodeMarks([9, 3, 4, 5, 12])).toBe("fgconnect-replayed:3-5,9,12");
    expect(decodeMarks("fgconnect-replayed:3-5,9,12")).toEqual([3, 4, 5, 9, 12]);
    expect(decodeMarks("someone else's")).toEqual([]);
    expect(decodeMarks(null)).toEqual([]);
  });

  it("commit the first offset not replayed, and list what was replayed past it", () => {
    const m = new PartitionMarks(0, -1);
    for (const o of [0, 1, 2, 3, 4]) m.read(o);
    m.mark(1);
    m.mark(3);
    expect(m.commit()).toEqual({ offset: "0", metadata: "fgconnect-replayed:1,3" });
    m.mark(0);
    expect(m.commit()).toEqual({ offset: "2", metadata: "fgconnect-replayed:3" });
    // The next replay starts from that commit and knows 3 was replayed.
    const next = new PartitionMarks(0, 2, "fgconnect-replayed:3");
    expect([1, 2, 3, 4].map((o) => next.isReplayed(o))).toEqual([true, false, true, false]);
    for (const o of [2, 3, 4]) next.read(o);
    next.mark(2);
    next.mark(4);
    expect(next.commit()).toEqual({ offset: "5", metadata: "" });
  });

  it("refuse to record more scattered marks than a commit's metadata holds", () => {
    const m = new PartitionMarks(0, 0);
    m.read(0);
    for (let o = 1; o < 4000; o += 2) {
      m.read(o);
      m.mark(o);
    }
    expect(() => m.commit()).toThrow(/too many replayed dead letters/);
  });
});
