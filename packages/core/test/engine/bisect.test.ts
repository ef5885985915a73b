import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError, FunctionError } from "../../src/client/errors.js";
import type { RouteInput } from "../../src/engine/schema.js";
import { advance, type Call, record, settle, startEngine } from "./fakes.js";

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2024, 0, 1) });
});
afterEach(() => {
  vi.useRealTimers();
});

const thrown = () => new FunctionError("req-3", "Error", "boom", "{}", "1");
const unavailable = () => new ApiError(503, "FSS.0503", "unavailable", "req-1", true, "hint");
const tooBig = () => new ApiError(413, "FSS.0413", "too big", "req-2", false, "hint");

function route(fields: Partial<RouteInput> = {}): { routes: RouteInput[] } {
  return { routes: [{ name: "r", from: "src", to: ["fn"], mode: "sync", ...fields }] };
}

/** 300 records; every tenth is bad (30), so every batch of 50 holds five bad ones. */
const ids300 = Array.from({ length: 300 }, (_, i) => (i % 10 === 3 ? `bad${i}` : `ok${i}`));
const isBad = (id: string) => id.startsWith("bad");
const badIds = ids300.filter(isBad);

/** A function that throws when its batch holds a bad record. */
const throwsOnBad = (call: Call) => {
  if (call.payload.ids.some(isBad)) throw thrown();
};

/** Each record's outcome, and how many times each good record was in a successful call. */
function outcomes(h: Awaited<ReturnType<typeof startEngine>>) {
  const dead = h.sink.entries.map((e) => e.record.id);
  const delivered = [...h.connector.outcomes]
    .filter(([, o]) => o === "delivered")
    .map(([id]) => id);
  return { dead, delivered };
}

describe("bisect on error", () => {
  it("dead-letters exactly the 30 bad records among 300 sent in batches of 50", async () => {
    const h = await startEngine(route({ batch: { maxRecords: 50 } }));
    h.invoker.behaviour = throwsOnBad;
    for (const id of ids300) void h.connector.push(record(id));
    await advance(10 * 60_000);
    const { dead, delivered } = outcomes(h);
    expect(dead.sort()).toEqual([...badIds].sort());
    expect(delivered).toHaveLength(270);
    expect(h.connector.outcomes.size).toBe(300);
    expect(h.sink.entries.every((e) => e.reason === "retries exhausted")).toBe(true);
  });

  it("splits a batch at its first function error, without waiting out retries", async () => {
    const h = await startEngine(route({ batch: { maxRecords: 100 } }));
    h.invoker.behaviour = throwsOnBad;
    for (let i = 0; i < 100; i += 1) void h.connector.push(record(i === 70 ? "bad" : `ok${i}`));
    await advance(50); // less than the first retry's wait
    // 100 → 50 → 25 → 12 → 6 → 3 → 2 → 1 hold the bad record; four halves before it passed.
    expect(
      h.invoker.calls.map((c) => `${c.payload.ids.length}${c.payload.ids.some(isBad) ? "!" : ""}`),
    ).toEqual(["100!", "50", "50!", "25!", "13", "12!", "6", "6!", "3!", "2!", "1", "1!"]);
    // Every record before the bad one is delivered; those after it wait for it, in order.
    expect(outcomes(h).delivered).toHaveLength(70);
    // Alone, the bad record gets the route's whole retry policy; then the rest go.
    await advance(10 * 60_000);
    expect(h.sink.entries.map((e) => [e.record.id, e.reason, e.attempts])).toEqual([
      ["bad", "retries exhausted", 7 + 10],
    ]);
    expect(outcomes(h).delivered).toHaveLength(99);
  });

  it("keeps the order of the records: each half goes once the one before it is done", async () => {
    const h = await startEngine(route({ batch: { maxRecords: 8 } }));
    h.invoker.behaviour = throwsOnBad;
    const ids = ["a", "b", "bad", "c", "d", "e", "f", "g"];
    for (const id of ids) void h.connector.push(record(id, { orderingKey: "k" }));
    void h.connector.push(record("later", { orderingKey: "k" }));
    await advance(10 * 60_000);
    const passed = h.invoker.calls
      .filter((c) => !c.payload.ids.some(isBad))
      .flatMap((c) => c.payload.ids);
    expect(passed).toEqual(["a", "b", "c", "d", "e", "f", "g", "later"]);
    // The later batch of the key went only after the bad record was dead-lettered.
    const laterAt = h.invoker.calls.findIndex((c) => c.payload.ids.includes("later"));
    const lastBad = h.invoker.calls.findLastIndex((c) => c.payload.ids.includes("bad"));
    expect(laterAt).toBeGreaterThan(lastBad);
    expect(outcomes(h).dead).toEqual(["bad"]);
  });

  it("after a retryable error uses up the attempts, gives each half half as many", async () => {
    const h = await startEngine(
      route({ mode: "async", batch: { maxRecords: 8 }, delivery: { maxAttempts: 4 } }),
    );
    h.invoker.behaviour = (call) => {
      if (call.payload.ids.some(isBad)) throw unavailable();
    };
    const t0 = Date.now();
    for (const id of ["bad", "b", "c", "d", "e", "f", "g", "h"]) void h.connector.push(record(id));
    await settle();
    // random() = 0.5: the batch of 8 waits 100 + 200 + 400 ms between its 4 attempts; the half
    // holding the bad record gets 2 attempts (100 ms between), the quarters 1 each.
    await advance(799);
    expect(h.sink.entries).toHaveLength(0);
    await advance(1);
    expect(h.invoker.calls.map((c) => [c.payload.ids.join(""), c.at - t0])).toEqual([
      ["badbcdefgh", 0],
      ["badbcdefgh", 100],
      ["badbcdefgh", 300],
      ["badbcdefgh", 700],
      ["badbcd", 700],
      ["badbcd", 800],
      ["badb", 800],
      ["bad", 800],
      ["b", 800],
      ["cd", 800],
      ["efgh", 800],
    ]);
    expect(h.sink.entries.map((e) => [e.record.id, e.reason, e.attempts])).toEqual([
      ["bad", "retries exhausted", 4 + 2 + 1 + 1],
    ]);
    expect(outcomes(h).delivered).toHaveLength(7);
  });

  it("splits at once after a non-retryable error", async () => {
    const h = await startEngine(route({ mode: "async", batch: { maxRecords: 4 } }));
    h.invoker.behaviour = (call) => {
      if (call.payload.ids.some(isBad)) throw tooBig();
    };
    for (const id of ["a", "bad", "c", "d"]) void h.connector.push(record(id));
    await settle();
    expect(h.invoker.calls.map((c) => c.payload.ids.join(""))).toEqual([
      "abadcd",
      "abad",
      "a",
      "bad",
      "cd",
    ]);
    expect(h.sink.entries.map((e) => [e.record.id, e.reason])).toEqual([
      ["bad", "non-retryable error"],
    ]);
  });

  it("splits a batch its format cannot build, without invoking the parts that fail", async () => {
    const h = await startEngine(
      route({ mode: "async", format: "picky", batch: { maxRecords: 4 } }),
    );
    for (const id of ["a", "b", "bad", "d"]) void h.connector.push(record(id));
    await settle();
    expect(h.invoker.calls.map((c) => c.payload.ids.join(""))).toEqual(["ab", "d"]);
    expect(h.sink.entries.map((e) => [e.record.id, e.reason, e.attempts])).toEqual([
      ["bad", "format failed", 0],
    ]);
  });

  it("still dead-letters records that grow too old while their batch is split", async () => {
    const h = await startEngine(
      route({
        mode: "async",
        batch: { maxRecords: 4 },
        delivery: { maxAttempts: 2, maxEventAgeMs: 250 },
      }),
    );
    h.invoker.behaviour = () => {
      throw unavailable();
    };
    void h.connector.push(record("old", { timestamp: Date.now() - 200 }));
    for (const id of ["b", "c", "d"]) void h.connector.push(record(id));
    // At the second attempt (100 ms) "old" is 300 ms old: it leaves; the rest is split.
    await advance(60_000);
    expect(h.sink.entries.map((e) => [e.record.id, e.reason])).toEqual([
      ["old", "max age exceeded"],
      ["b", "retries exhausted"],
      ["c", "retries exhausted"],
      ["d", "retries exhausted"],
    ]);
    expect(h.invoker.calls.map((c) => c.payload.ids.join(""))).toEqual([
      "oldbcd",
      "bcd",
      "bc",
      "b",
      "c",
      "d",
    ]);
  });

  it("with bisectOnError false, dead-letters the whole batch", async () => {
    const h = await startEngine(
      route({ batch: { maxRecords: 4, bisectOnError: false }, delivery: { maxAttempts: 1 } }),
    );
    h.invoker.behaviour = throwsOnBad;
    for (const id of ["a", "bad", "c", "d"]) void h.connector.push(record(id));
    await settle();
    expect(h.invoker.calls).toHaveLength(1);
    expect(outcomes(h).dead).toEqual(["a", "bad", "c", "d"]);
  });
});

describe("partial batch results", () => {
  /** A function that answers with the bad records of its batch as failures. */
  const reportsBad =
    (idOf: (id: string) => string = (id) => id) =>
    (call: Call) => ({
      batchItemFailures: call.payload.ids.filter(isBad).map((id) => ({ itemIdentifier: idOf(id) })),
    });

  it("dead-letters exactly the 30 reported records among 300 sent in batches of 50", async () => {
    const h = await startEngine(route({ batch: { maxRecords: 50, bisectOnError: false } }));
    h.invoker.answer = reportsBad();
    for (const id of ids300) void h.connector.push(record(id));
    await advance(10 * 60_000);
    const { dead, delivered } = outcomes(h);
    expect(dead.sort()).toEqual([...badIds].sort());
    expect(delivered).toHaveLength(270);
    // Only the reported records were sent again: each good record went once.
    const sent = h.invoker.calls.flatMap((c) => c.payload.ids).filter((id) => !isBad(id));
    expect(sent).toHaveLength(270);
    expect(h.sink.entries[0]).toMatchObject({
      reason: "retries exhausted",
      attempts: 10,
      error: { code: "BATCH_ITEM_FAILED" },
    });
  });

  it("retries only the reported records, and delivers them when they pass", async () => {
    const h = await startEngine(route({ batch: { maxRecords: 4 } }));
    let answers = 0;
    h.invoker.answer = (call) => (answers++ === 0 ? reportsBad()(call) : { batchItemFailures: [] });
    for (const id of ["a", "bad1", "c", "bad2"]) void h.connector.push(record(id));
    await settle();
    expect([...h.connector.outcomes.keys()].sort()).toEqual(["a", "c"]);
    await advance(100);
    expect(h.invoker.calls.map((c) => c.payload.ids.join(","))).toEqual([
      "a,bad1,c,bad2",
      "bad1,bad2",
    ]);
    expect(h.connector.outcomes.size).toBe(4);
    expect(h.sink.entries).toHaveLength(0);
  });

  it("dead-letters reported records at once with onFunctionError dead-letter", async () => {
    const h = await startEngine(
      route({ batch: { maxRecords: 4 }, delivery: { onFunctionError: "dead-letter" } }),
    );
    h.invoker.answer = reportsBad();
    for (const id of ["a", "bad1", "c"]) void h.connector.push(record(id));
    await settle();
    expect(h.invoker.calls).toHaveLength(1);
    expect(outcomes(h).dead).toEqual(["bad1"]);
    expect(h.sink.entries[0]?.reason).toBe("function error");
  });

  it("matches identifiers by the format's itemId", async () => {
    const h = await startEngine(route({ format: "named", batch: { maxRecords: 3 } }));
    h.invoker.answer = reportsBad((id) => `item:${id}`);
    for (const id of ["a", "bad", "c"]) void h.connector.push(record(id));
    await advance(10 * 60_000);
    expect(outcomes(h).dead).toEqual(["bad"]);
    expect(outcomes(h).delivered.sort()).toEqual(["a", "c"]);
  });

  it("fails the whole batch, with a warning, when an identifier names no record of it", async () => {
    const warn = vi.fn();
    const h = await startEngine({
      ...route({ batch: { maxRecords: 2, bisectOnError: false } }),
      logger: { debug() {}, info() {}, warn, error() {} },
    });
    let answers = 0;
    h.invoker.answer = () =>
      answers++ === 0 ? { batchItemFailures: [{ itemIdentifier: "nope" }] } : "ok";
    void h.connector.push(record("a"));
    void h.connector.push(record("b"));
    await settle();
    expect(h.connector.outcomes.size).toBe(0);
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ err: expect.stringContaining('"nope"') }),
      "invalid batch answer",
    );
    await advance(100);
    expect(h.invoker.calls.map((c) => c.payload.ids.join(","))).toEqual(["a,b", "a,b"]);
    expect(outcomes(h).delivered.sort()).toEqual(["a", "b"]);
  });

  it("ignores the list with reportBatchItemFailures false", async () => {
    const h = await startEngine(
      route({ batch: { maxRecords: 2, reportBatchItemFailures: false } }),
    );
    h.invoker.answer = reportsBad();
    for (const id of ["a", "bad"]) void h.connector.push(record(id));
    await settle();
    expect(outcomes(h).delivered.sort()).toEqual(["a", "bad"]);
  });
});
