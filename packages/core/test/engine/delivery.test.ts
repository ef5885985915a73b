import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ApiError,
  FunctionError,
  InvalidUrnError,
  PayloadTooLargeError,
} from "../../src/client/errors.js";
import { advance, record, settle, startEngine } from "./fakes.js";

const unavailable = () => new ApiError(503, "FSS.0503", "unavailable", "req-1", true, "hint");
const badRequest = () => new ApiError(400, "FSS.0400", "bad", "req-2", false, "hint");
const thrown = () => new FunctionError("req-3", "Error", "boom", "{}", "1");

/** A behaviour that throws the given errors in turn, then succeeds. */
function failing(...errors: unknown[]) {
  return () => {
    const next = errors.shift();
    if (next !== undefined) throw next;
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2024, 0, 1) });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("retries", () => {
  it("retries a retryable error with full-jitter backoff, then delivers and acknowledges", async () => {
    const h = await startEngine();
    h.invoker.behaviour = failing(unavailable(), unavailable());
    const t0 = Date.now();
    void h.connector.push(record("a"));
    await settle();
    expect(h.invoker.calls).toHaveLength(1);
    expect(h.connector.outcomes.get("a")).toBeUndefined();
    // random() = 0.5: floor(0.5 × (200 + 1)) = 100 ms, then floor(0.5 × (400 + 1)) = 200 ms.
    await advance(99);
    expect(h.invoker.calls).toHaveLength(1);
    await advance(1);
    expect(h.invoker.calls).toHaveLength(2);
    await advance(200);
    expect(h.invoker.calls.map((c) => c.at - t0)).toEqual([0, 100, 300]);
    expect(h.connector.outcomes.get("a")).toBe("delivered");
    expect(h.metrics.filter(([m]) => m === "retried").map(([, , delay]) => delay)).toEqual([
      100, 200,
    ]);
    // Each attempt is reported as it starts and as it ends, so a status view can count in flight.
    expect(
      h.metrics.filter(([m]) => m === "invoking" || m === "invocation").map(([m]) => m),
    ).toEqual(["invoking", "invocation", "invoking", "invocation", "invoking", "invocation"]);
    expect(h.sink.entries).toHaveLength(0);
  });

  it("waits at least the server's Retry-After", async () => {
    const h = await startEngine();
    h.invoker.behaviour = failing(
      new ApiError(429, "FSS.0429", "slow down", undefined, true, "hint", 5_000),
    );
    void h.connector.push(record("a"));
    await advance(4_999);
    expect(h.invoker.calls).toHaveLength(1);
    await advance(1);
    expect(h.invoker.calls).toHaveLength(2);
    expect(h.connector.outcomes.get("a")).toBe("delivered");
  });

  it("dead-letters after maxAttempts and only then acknowledges", async () => {
    const h = await startEngine({
      routes: [{ name: "r", from: "src", to: ["fn"], mode: "async", delivery: { maxAttempts: 3 } }],
    });
    h.invoker.behaviour = () => {
      throw unavailable();
    };
    void h.connector.push(record("a"));
    await advance(100 + 200 - 1);
    expect(h.invoker.calls).toHaveLength(2);
    expect(h.connector.outcomes.get("a")).toBeUndefined();
    await advance(1);
    expect(h.invoker.calls).toHaveLength(3);
    expect(h.connector.outcomes.get("a")).toBe("dead-lettered");
    expect(h.sink.entries).toHaveLength(1);
    expect(h.sink.entries[0]).toMatchObject({
      reason: "retries exhausted",
      route: "r",
      target: "fn",
      attempts: 3,
      firstAttemptAt: new Date(Date.UTC(2024, 0, 1)).toISOString(),
      error: { code: "FSS.0503", httpStatus: 503, requestId: "req-1" },
      record: { id: "a" },
    });
    await advance(60_000);
    expect(h.invoker.calls).toHaveLength(3);
  });

  it.each([
    ["a non-retryable ApiError (400)", badRequest()],
    ["PayloadTooLargeError", new PayloadTooLargeError(300_000, 262_144, "async")],
    ["InvalidUrnError", new InvalidUrnError("fn", "bad")],
  ])("sends %s straight to the dead-letter sink", async (_name, error) => {
    const h = await startEngine();
    h.invoker.behaviour = failing(error);
    void h.connector.push(record("a"));
    await settle();
    expect(h.invoker.calls).toHaveLength(1);
    expect(h.sink.entries.map((e) => [e.reason, e.attempts, e.error?.code])).toEqual([
      ["non-retryable error", 1, error.code],
    ]);
    expect(h.connector.outcomes.get("a")).toBe("dead-lettered");
    await advance(60_000);
    expect(h.invoker.calls).toHaveLength(1);
  });

  it("dead-letters a function error at once when onFunctionError is dead-letter", async () => {
    const h = await startEngine({
      routes: [
        {
          name: "r",
          from: "src",
          to: ["fn"],
          mode: "sync",
          delivery: { onFunctionError: "dead-letter" },
        },
      ],
    });
    h.invoker.behaviour = failing(thrown());
    void h.connector.push(record("a"));
    await settle();
    expect(h.invoker.calls.map((c) => c.mode)).toEqual(["sync"]);
    expect(h.sink.entries[0]).toMatchObject({
      reason: "function error",
      mode: "sync",
      error: { code: "FUNCTION_ERROR", requestId: "req-3" },
    });
    expect(h.connector.outcomes.get("a")).toBe("dead-lettered");
  });

  it("retries a function error when onFunctionError is retry", async () => {
    const h = await startEngine({
      routes: [
        {
          name: "r",
          from: "src",
          to: ["fn"],
          mode: "sync",
          delivery: { onFunctionError: "retry" },
        },
      ],
    });
    h.invoker.behaviour = failing(thrown());
    void h.connector.push(record("a"));
    await advance(100);
    expect(h.invoker.calls).toHaveLength(2);
    expect(h.sink.entries).toHaveLength(0);
    expect(h.connector.outcomes.get("a")).toBe("delivered");
  });

  it("dead-letters the batch when the payload format throws", async () => {
    const h = await startEngine({
      routes: [{ name: "r", from: "src", to: ["fn"], mode: "async", format: "broken" }],
    });
    void h.connector.push(record("a"));
    await settle();
    expect(h.invoker.calls).toHaveLength(0);
    expect(h.sink.entries[0]).toMatchObject({
      reason: "format failed",
      attempts: 0,
      error: { message: "cannot format" },
    });
    expect(h.connector.outcomes.get("a")).toBe("dead-lettered");
  });
});

describe("maximum event age", () => {
  it("dead-letters a record already too old without invoking", async () => {
    const h = await startEngine({
      routes: [
        { name: "r", from: "src", to: ["fn"], mode: "async", delivery: { maxEventAgeMs: 1_000 } },
      ],
    });
    void h.connector.push(record("old", { timestamp: Date.now() - 1_001 }));
    void h.connector.push(record("young", { timestamp: Date.now() - 1_000 }));
    await settle();
    expect(h.invoker.calls.map((c) => c.payload.ids)).toEqual([["young"]]);
    expect(
      h.sink.entries.map((e) => [e.record.id, e.reason, e.attempts, e.firstAttemptAt]),
    ).toEqual([["old", "max age exceeded", 0, null]]);
    expect(h.connector.outcomes.get("old")).toBe("dead-lettered");
    expect(h.connector.outcomes.get("young")).toBe("delivered");
  });

  it("stops retrying once the record grows too old", async () => {
    const h = await startEngine({
      random: () => 0.999_999,
      routes: [
        {
          name: "r",
          from: "src",
          to: ["fn"],
          mode: "async",
          delivery: { maxEventAgeMs: 2_500, firstDelayMs: 1_000, maxDelayMs: 1_000 },
        },
      ],
    });
    h.invoker.behaviour = () => {
      throw unavailable();
    };
    void h.connector.push(record("a"));
    await advance(2_000);
    expect(h.invoker.calls).toHaveLength(3); // at 0, 1000, 2000
    expect(h.sink.entries).toHaveLength(0);
    await advance(1_000);
    expect(h.invoker.calls).toHaveLength(3);
    expect(h.sink.entries[0]).toMatchObject({
      reason: "max age exceeded",
      attempts: 3,
      error: null,
    });
    expect(h.connector.outcomes.get("a")).toBe("dead-lettered");
  });

  it("removes only the expired records from a batch", async () => {
    const h = await startEngine({
      routes: [
        {
          name: "r",
          from: "src",
          to: ["fn"],
          mode: "async",
          batch: { maxRecords: 10, maxWaitMs: 500 },
          delivery: { maxEventAgeMs: 1_000 },
        },
      ],
    });
    void h.connector.push(record("old", { timestamp: Date.now() - 600 }));
    void h.connector.push(record("new"));
    await advance(500);
    expect(h.invoker.calls.map((c) => c.payload.ids)).toEqual([["new"]]);
    expect(h.sink.entries.map((e) => e.record.id)).toEqual(["old"]);
  });
});

describe("dead-letter write failures", () => {
  it("does not acknowledge until the entry is written, and retries the write", async () => {
    const h = await startEngine();
    h.invoker.behaviour = failing(badRequest());
    h.sink.failures = 2;
    void h.connector.push(record("a"));
    await settle();
    expect(h.sink.attempts).toBe(1);
    await advance(99); // retry waits max(100, jitter 100)
    expect(h.sink.attempts).toBe(1);
    await advance(1);
    expect(h.sink.attempts).toBe(2);
    expect(h.connector.outcomes.get("a")).toBeUndefined();
    await advance(200); // max(100, jitter 200)
    expect(h.sink.attempts).toBe(3);
    expect(h.sink.entries).toHaveLength(1);
    expect(h.connector.outcomes.get("a")).toBe("dead-lettered");
    expect(h.metrics.filter(([m]) => m === "deadLetterWriteFailed")).toHaveLength(2);
    expect(h.invoker.calls).toHaveLength(1);
  });

  it("shows a failing sink in health until a write succeeds", async () => {
    const h = await startEngine();
    expect(h.engine.health().deadLetter).toEqual({ ok: true });
    h.invoker.behaviour = failing(badRequest());
    h.sink.failures = 1;
    void h.connector.push(record("a"));
    await settle();
    expect(h.engine.health().deadLetter).toEqual({ ok: false, reason: "disk full" });
    expect(h.connector.outcomes.get("a")).toBeUndefined();
    await advance(100);
    expect(h.connector.outcomes.get("a")).toBe("dead-lettered");
    expect(h.engine.health().deadLetter).toEqual({ ok: true });
  });
});
