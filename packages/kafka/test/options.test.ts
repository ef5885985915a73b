import { describe, expect, it } from "vitest";
import { z } from "zod";
import { deadLetterMessage } from "../src/dead-letter.js";
import { deadLetterConnection, kafkaOptionsSchema, subscriptions } from "../src/options.js";

describe("kafka options", () => {
  it("fills defaults", () => {
    const o = kafkaOptionsSchema.parse({ brokers: ["b:9092"], topics: ["t"], groupId: "g" });
    expect(o).toMatchObject({
      clientId: "fgconnect",
      startFrom: "latest",
      ordering: "partition",
      commitIntervalMs: 500,
    });
    expect(o.poison.maxRecordBytes).toBeLessThan(6 * 1024 * 1024);
  });

  it("names the field that is wrong", () => {
    const r = kafkaOptionsSchema.safeParse({
      brokers: ["b"],
      topics: ["/(/"],
      groupId: "g",
      sasl: { mechanism: "gssapi" },
      extra: 1,
    });
    expect(r.success).toBe(false);
    const text = z.prettifyError(r.error!);
    expect(text).toMatch(/brokers\[0\]/);
    expect(text).toMatch(/topics\[0\]/);
    expect(text).toMatch(/sasl\.mechanism/);
    expect(text).toMatch(/extra/);
  });

  it("dead-letter topic: inherits the connection unless it names other brokers", () => {
    const base = {
      brokers: ["a:9093"],
      topics: ["t"],
      groupId: "g",
      tls: true,
      sasl: { mechanism: "plain", username: "u", password: "p" },
    } as const;
    const same = kafkaOptionsSchema.parse({ ...base, deadLetter: { topic: "dlq" } });
    expect(deadLetterConnection(same, same.deadLetter!)).toMatchObject({
      brokers: ["a:9093"],
      tls: true,
      sasl: { username: "u" },
    });
    const other = kafkaOptionsSchema.parse({
      ...base,
      deadLetter: { topic: "dlq", brokers: ["b:9092"] },
    });
    const c = deadLetterConnection(other, other.deadLetter!);
    expect(c.brokers).toEqual(["b:9092"]);
    expect(c.tls).toBeUndefined();
    expect(c.sasl).toBeUndefined();
    const bad = kafkaOptionsSchema.safeParse({ ...base, deadLetter: { topic: "" } });
    expect(z.prettifyError(bad.error!)).toMatch(/deadLetter\.topic/);
  });

  it("reads /…/ entries as regular expressions", () => {
    expect(subscriptions(["orders", "/^audit\\..*/"])).toEqual(["orders", /^audit\..*/]);
  });
});

describe("dead-letter messages", () => {
  it("restore the original key, value and headers and add the error headers", () => {
    const m = deadLetterMessage({
      version: 1,
      reason: "retries exhausted",
      route: "r",
      target: "urn:x",
      mode: "sync",
      attempts: 3,
      firstAttemptAt: null,
      deadLetteredAt: "2024-01-01T00:00:00.000Z",
      error: { name: "FunctionError", code: "FUNCTION_ERROR", message: "boom" },
      record: {
        id: "t/1/9",
        source: "orders",
        timestamp: "2024-01-01T00:00:00.000Z",
        size: 3,
        attributes: {
          topic: "t",
          partition: 1,
          offset: "9",
          key: "/w==",
          keyEncoding: "base64",
          headers: { h: "v" },
          headerEncodings: {},
        },
        bodyEncoding: "base64",
        body: Buffer.from([1, 2, 255]).toString("base64"),
      },
    });
    expect(m.key).toEqual(Buffer.from([0xff]));
    expect(m.value).toEqual(Buffer.from([1, 2, 255]));
    expect(m.headers.h!.toString()).toBe("v");
    expect(m.headers["fgconnect-dlq-error-message"]!.toString()).toBe("boom");
    expect(m.headers["fgconnect-dlq-original-offset"]!.toString()).toBe("9");
    expect(m.headers["fgconnect-dlq-attempts"]!.toString()).toBe("3");
  });
});
