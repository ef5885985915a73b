import { type DeadLetterEntry, defineConnector } from "@fgconnect/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { reviverFor } from "../src/dlq/store.js";
import { ConnectorRegistry } from "../src/registry.js";

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
    polled: { type: "poll" },
    revived: { type: "poll-revived" },
  },
} as never;

/** Plugin types, one whose definition revives its records and one that does not. */
const plugin = (type: string, deadLetters?: { revive(e: DeadLetterEntry): never }) =>
  defineConnector({
    type,
    summary: "a plugin",
    options: z.object({}),
    create: () => {
      throw new Error("not started here");
    },
    ...(deadLetters ? { deadLetters } : {}),
  });
const types = new ConnectorRegistry();
types.add(plugin("poll"), "plugin poll");
types.add(
  plugin("poll-revived", {
    revive: (e) => ({ id: e.record.id, source: e.record.source, revivedBy: "plugin" }) as never,
  }),
  "plugin poll-revived",
);

describe("reviving dead letters for a replay", () => {
  it("gives each connector type's own record back, and refuses types without a revive and entries that are not whole", () => {
    const revive = reviverFor(config, types);
    expect(revive(entry("ticks", { time: "t" })).body).toEqual({ time: "t" });
    const kafka = revive(entry("orders", "hello", "utf8")) as unknown as {
      body: Buffer;
      bodyIsUtf8: boolean;
    };
    expect(kafka.body).toEqual(Buffer.from("hello"));
    expect(kafka.bodyIsUtf8).toBe(true);
    // An entry its type's revive finds incomplete is refused, naming the entry.
    expect(() => revive(entry("api", "x", "utf8"))).toThrow(
      /dead letter e-api: .*does not hold the whole HTTP request/,
    );
    // A plugin type's records: revived by its definition, or refused when it has no revive.
    expect(revive(entry("revived", "x", "utf8"))).toMatchObject({ revivedBy: "plugin" });
    expect(() => revive(entry("polled", "x", "utf8"))).toThrow(
      /connector "polled" \(poll\) cannot replay/,
    );
    // A connector gone from the config: its record as a plain one.
    expect(revive(entry("gone", { a: 1 })).source).toBe("gone");
  });
});
