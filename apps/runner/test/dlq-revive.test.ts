import { type Connector, type DeadLetterEntry, defineConnector } from "@fgconnect/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { registry } from "../src/connectors.js";
import { reviverFor } from "../src/dlq/store.js";

// A plugin's type that declares no revive.
registry.add(
  defineConnector({
    type: "tail",
    summary: "Tails a file.",
    options: z.object({}).strict(),
    create: (name) => ({ name, type: "tail" }) as unknown as Connector,
  }),
  "fgconnect-plugin-tail",
);

const entry = (source: string, body: DeadLetterEntry["record"]["body"], encoding = "json") =>
  ({
    version: 1,
    id: `e-${source}`,
    reason: "retries exhausted",
    route: "r",
    target: "urn:x",
    mode: "sync",
    attempts: 1,
    firstAttemptAt: null,
    deadLetteredAt: new Date(0).toISOString(),
    error: null,
    record: {
      id: "r1",
      source,
      timestamp: new Date(0).toISOString(),
      size: 1,
      attributes: {
        topic: "t",
        partition: 0,
        offset: "5",
        key: null,
        keyEncoding: "utf8",
        headers: {},
        headerEncodings: {},
      },
      bodyEncoding: encoding,
      body,
    },
  }) as DeadLetterEntry;

const config = {
  connectors: {
    api: { type: "http" },
    ticks: { type: "cron" },
    orders: { type: "kafka" },
    logs: { type: "tail" },
  },
} as never;

describe("reviving dead letters for a replay", () => {
  it("gives each connector type's own record back, and refuses types without a revive and entries that are not whole", () => {
    const revive = reviverFor(config);
    expect(revive(entry("ticks", { time: "t" })).body).toEqual({ time: "t" });
    const kafka = revive(entry("orders", "hello", "utf8")) as unknown as {
      body: Buffer;
      bodyIsUtf8: boolean;
    };
    expect(kafka.body).toEqual(Buffer.from("hello"));
    expect(kafka.bodyIsUtf8).toBe(true);
    expect(() => revive(entry("logs", "x", "utf8"))).toThrow(
      /connector "logs" \(tail\) cannot replay/,
    );
    // An entry its type's revive finds incomplete is refused, naming the entry.
    expect(() => revive(entry("api", "x", "utf8"))).toThrow(
      /dead letter e-api: .*does not hold the whole HTTP request/,
    );
    // A connector gone from the config: its record as a plain one.
    expect(revive(entry("gone", { a: 1 })).source).toBe("gone");
  });
});
