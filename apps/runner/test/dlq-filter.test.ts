import type { DeadLetterEntry } from "@fgconnect/core";
import { describe, expect, it } from "vitest";
import { compileEntryFilter, parseTime, patternView } from "../src/dlq/filter.js";

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);

function entry(over: Partial<DeadLetterEntry> = {}): DeadLetterEntry {
  return {
    version: 1,
    id: "e1",
    reason: "retries exhausted",
    route: "orders",
    target: "urn:fss:cn-north-4:0123456789abcdef0123456789abcdef:function:default:handle:latest",
    mode: "sync",
    attempts: 3,
    firstAttemptAt: null,
    deadLetteredAt: new Date(NOW - 3_600_000).toISOString(),
    error: { name: "FunctionError", code: "FUNCTION_ERROR", message: "boom" },
    record: {
      id: "t/0/1",
      source: "kafka-in",
      timestamp: new Date(NOW).toISOString(),
      size: 10,
      attributes: { topic: "orders.eu" },
      bodyEncoding: "utf8",
      body: '{"kind":"refund","amount":12}',
    },
    ...over,
  };
}

describe("dlq filters", () => {
  it("match by route, function (URN, package:name, name), reason or error code, and id", () => {
    const e = entry();
    const yes = (o: Parameters<typeof compileEntryFilter>[0]) => compileEntryFilter(o, NOW)(e);
    expect(yes({})).toBe(true);
    expect(yes({ route: ["other", "orders"] })).toBe(true);
    expect(yes({ route: ["other"] })).toBe(false);
    expect(yes({ function: ["handle"] })).toBe(true);
    expect(yes({ function: ["default:handle"] })).toBe(true);
    expect(yes({ function: [e.target] })).toBe(true);
    expect(yes({ function: ["handler"] })).toBe(false);
    expect(yes({ reason: ["retries exhausted"] })).toBe(true);
    expect(yes({ reason: ["FUNCTION_ERROR"] })).toBe(true);
    expect(yes({ reason: ["function error"] })).toBe(false);
    expect(yes({ id: ["e1"] })).toBe(true);
    expect(yes({ id: ["e2"] })).toBe(false);
    expect(yes({ route: ["orders"], reason: ["nope"] })).toBe(false);
  });

  it("match a time range, absolute or ago", () => {
    const match = (o: { since?: string; until?: string }) => compileEntryFilter(o, NOW)(entry());
    expect(match({ since: "2h" })).toBe(true);
    expect(match({ since: "30m" })).toBe(false);
    expect(match({ until: "30m" })).toBe(true);
    expect(match({ since: "2024-05-01T10:00:00Z", until: "2024-05-01T11:30:00Z" })).toBe(true);
    expect(parseTime("7d", "--since", NOW)).toBe(NOW - 7 * 86_400_000);
    expect(() => parseTime("yesterday", "--since", NOW)).toThrow(/--since "yesterday"/);
  });

  it("match an EventBridge pattern over the entry, its attributes and its body as JSON", () => {
    const match = (p: unknown) => compileEntryFilter({ pattern: JSON.stringify(p) }, NOW)(entry());
    expect(match({ attributes: { topic: [{ prefix: "orders." }] } })).toBe(true);
    expect(match({ body: { kind: ["refund"], amount: [{ numeric: [">", 10] }] } })).toBe(true);
    expect(match({ body: { kind: ["sale"] } })).toBe(false);
    expect(match({ error: { code: ["FUNCTION_ERROR"] }, route: ["orders"] })).toBe(true);
    expect(
      patternView(entry({ record: { ...entry().record, bodyEncoding: "base64", body: "/w==" } }))
        .body,
    ).toBe("\ufffd");
    expect(() => compileEntryFilter({ pattern: "{" }, NOW)).toThrow(/--pattern must be JSON/);
    expect(() => compileEntryFilter({ pattern: '{"route": "orders"}' }, NOW)).toThrow(/--pattern/);
  });
});
