import { describe, expect, it } from "vitest";
import { z } from "zod";
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
