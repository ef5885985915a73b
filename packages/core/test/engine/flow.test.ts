import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../src/client/errors.js";
import type { AsyncInvokeResult, InvokeResult } from "../../src/client/types.js";
import type { SourceRecord } from "../../src/connector.js";
import { createEngine } from "../../src/engine/engine.js";
import { EngineConfigError } from "../../src/engine/router.js";
import type { BatchConfigInput } from "../../src/engine/schema.js";
import {
  advance,
  FakeConnector,
  FakeInvoker,
  MemorySink,
  record,
  settle,
  startEngine,
} from "./fakes.js";

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2024, 0, 1) });
});
afterEach(() => {
  vi.useRealTimers();
});

const ids = (calls: { payload: { ids: string[] } }[]) => calls.map((c) => c.payload.ids.join(","));

describe("ordering", () => {
  it("delivers records of one key one after another, in push order; other keys in parallel", async () => {
    const h = await startEngine();
    h.invoker.hold();
    for (const id of ["a1", "a2", "a3"]) void h.connector.push(record(id, { orderingKey: "a" }));
    void h.connector.push(record("b1", { orderingKey: "b" }));
    await settle();
    expect(ids(h.invoker.held)).toEqual(["a1", "b1"]);
    h.invoker.release(); // a1
    await settle();
    expect(ids(h.invoker.held)).toEqual(["b1", "a2"]);
    expect(h.connector.outcomes.get("a1")).toBe("delivered");
    expect(h.connector.outcomes.has("a2")).toBe(false);
    h.invoker.release(); // b1
    h.invoker.release(); // a2
    await settle();
    expect(ids(h.invoker.held)).toEqual(["a3"]);
    h.invoker.release();
    await settle();
    expect(ids(h.invoker.calls)).toEqual(["a1", "b1", "a2", "a3"]);
    expect([...h.connector.outcomes.values()]).toEqual(Array(4).fill("delivered"));
  });

  it("holds a key's later records while its first one is being retried", async () => {
    const h = await startEngine();
    let failures = 1;
    h.invoker.behaviour = (call) => {
      if (call.payload.ids[0] === "a1" && failures-- > 0) {
        throw new ApiError(500, "FSS.0500", "x", undefined, true, "h");
      }
    };
    void h.connector.push(record("a1", { orderingKey: "a" }));
    void h.connector.push(record("a2", { orderingKey: "a" }));
    await settle();
    expect(ids(h.invoker.calls)).toEqual(["a1"]);
    await advance(100);
    expect(ids(h.invoker.calls)).toEqual(["a1", "a1", "a2"]);
  });
});

describe("concurrency", () => {
  it("never runs more invocations than maxInFlight, and starts the next as one ends", async () => {
    const h = await startEngine({ limits: { maxInFlight: 3 } });
    h.invoker.hold();
    for (let i = 0; i < 10; i += 1)
      void h.connector.push(record(`r${i}`, { orderingKey: `k${i}` }));
    await settle();
    expect(h.invoker.held).toHaveLength(3);
    expect(h.engine.health().inFlight).toBe(3);
    h.invoker.release();
    await settle();
    expect(h.invoker.held).toHaveLength(3);
    expect(h.invoker.calls).toHaveLength(4);
    while (h.invoker.held.length > 0) {
      h.invoker.release();
      await settle();
    }
    expect(h.invoker.calls).toHaveLength(10);
    expect(h.invoker.maxActive).toBe(3);
    expect(h.connector.outcomes.size).toBe(10);
    expect(h.metrics.filter(([m]) => m === "inFlight").map(([, n]) => n)).toContain(3);
  });

  it("runs records without an ordering key in parallel", async () => {
    const h = await startEngine();
    h.invoker.hold();
    for (let i = 0; i < 5; i += 1) void h.connector.push(record(`r${i}`));
    await settle();
    expect(h.invoker.held).toHaveLength(5);
  });
});

describe("backpressure", () => {
  it("pauses sources at the limit and resumes them at the low-water mark", async () => {
    const h = await startEngine({ limits: { maxBufferedRecords: 4, resumeAt: 0.5 } });
    h.invoker.hold();
    for (let i = 0; i < 3; i += 1) void h.connector.push(record(`r${i}`));
    expect(h.connector.calls).toEqual([]);
    void h.connector.push(record("r3"));
    expect(h.connector.calls).toEqual(["pause"]);
    // Overshoot: a source that has not paused yet is still accepted, never refused.
    const late = h.connector.push(record("r4"));
    expect(h.engine.health()).toMatchObject({ paused: true, buffered: { records: 5, bytes: 50 } });
    await settle();
    h.invoker.release(); // 4 left
    h.invoker.release(); // 3 left
    await settle();
    expect(h.connector.calls).toEqual(["pause"]);
    h.invoker.release(); // 2 left = 50%
    await settle();
    expect(h.connector.calls).toEqual(["pause", "resume"]);
    h.invoker.release();
    h.invoker.release();
    expect(await late).toBe("delivered");
    expect(h.metrics.filter(([m]) => m === "paused" || m === "resumed").map(([m]) => m)).toEqual([
      "paused",
      "resumed",
    ]);
  });

  it("counts bytes as well as records", async () => {
    const h = await startEngine({ limits: { maxBufferedBytes: 100 } });
    h.invoker.hold();
    void h.connector.push(record("a", { size: 60 }));
    expect(h.connector.calls).toEqual([]);
    void h.connector.push(record("b", { size: 60 }));
    expect(h.connector.calls).toEqual(["pause"]);
  });
});

describe("fan-out", () => {
  const routes = [
    { name: "r1", from: "src", to: ["fnA", "fnB"], mode: "async" as const },
    { name: "r2", from: "src", to: ["fnC"], mode: "sync" as const },
  ];

  it("acknowledges a record only after every route and every function has it", async () => {
    const h = await startEngine({ routes });
    h.invoker.hold();
    void h.connector.push(record("x"));
    await settle();
    expect(h.invoker.held.map((c) => `${c.urn}:${c.mode}`).sort()).toEqual([
      "fnA:async",
      "fnB:async",
      "fnC:sync",
    ]);
    h.invoker.release();
    h.invoker.release();
    await settle();
    expect(h.connector.outcomes.has("x")).toBe(false);
    h.invoker.release();
    await settle();
    expect(h.connector.outcomes.get("x")).toBe("delivered");
  });

  it("reports dead-lettered when one delivery was dead-lettered, after all are done", async () => {
    const h = await startEngine({ routes });
    h.invoker.hold();
    void h.connector.push(record("x"));
    await settle();
    // The oldest held call fails for good; the other two succeed.
    const failed = h.invoker.release(new ApiError(404, "FSS.1051", "gone", undefined, false, "h"));
    await settle();
    expect(h.connector.outcomes.has("x")).toBe(false);
    h.invoker.release();
    h.invoker.release();
    await settle();
    expect(h.connector.outcomes.get("x")).toBe("dead-lettered");
    expect(h.sink.entries).toHaveLength(1);
    expect(h.sink.entries.map((e) => [e.route, e.target, e.reason])).toEqual([
      [failed.urn === "fnC" ? "r2" : "r1", failed.urn, "non-retryable error"],
    ]);
  });

  it("delivers only to the routes whose filter matches", async () => {
    const h = await startEngine({
      routes: [
        {
          name: "eu",
          from: "src",
          to: ["fnEu"],
          mode: "async",
          filter: { attributes: { region: ["eu"] } },
        },
        {
          name: "us",
          from: "src",
          to: ["fnUs"],
          mode: "async",
          filter: { attributes: { region: ["us"] } },
        },
      ],
    });
    void h.connector.push(record("x", { attributes: { region: "us" } }));
    await settle();
    expect(h.invoker.calls.map((c) => c.urn)).toEqual(["fnUs"]);
  });

  it("acknowledges an unrouted record at once and counts it", async () => {
    const h = await startEngine({
      routes: [
        { from: "src", to: ["fn"], mode: "async", filter: { attributes: { region: ["eu"] } } },
      ],
    });
    expect(await h.connector.push(record("x", { attributes: { region: "us" } }))).toBe("delivered");
    expect(h.invoker.calls).toHaveLength(0);
    expect(h.metrics.filter(([m]) => m === "unrouted")).toEqual([["unrouted", { source: "src" }]]);
    expect(h.engine.health().buffered.records).toBe(0);
  });
});

describe("batching", () => {
  const batched = (batch: BatchConfigInput) => ({
    routes: [{ name: "r", from: "src", to: ["fn"], mode: "async" as const, batch }],
  });

  it("sends a batch when it has maxRecords records", async () => {
    const h = await startEngine(batched({ maxRecords: 3, maxWaitMs: 1_000 }));
    for (let i = 1; i <= 7; i += 1) void h.connector.push(record(`${i}`));
    await settle();
    expect(ids(h.invoker.calls)).toEqual(["1,2,3", "4,5,6"]);
    await advance(999);
    expect(h.invoker.calls).toHaveLength(2);
    await advance(1);
    expect(ids(h.invoker.calls)).toEqual(["1,2,3", "4,5,6", "7"]);
    expect(h.connector.outcomes.size).toBe(7);
  });

  it("keeps a batch within maxBytes", async () => {
    const h = await startEngine(batched({ maxRecords: 100, maxBytes: 25, maxWaitMs: 1_000 }));
    for (let i = 1; i <= 5; i += 1) void h.connector.push(record(`${i}`, { size: 10 }));
    await settle();
    expect(ids(h.invoker.calls)).toEqual(["1,2", "3,4"]);
    await advance(1_000);
    expect(ids(h.invoker.calls)).toEqual(["1,2", "3,4", "5"]);
  });

  it("sends what it has after maxWaitMs, per ordering key", async () => {
    const h = await startEngine(batched({ maxRecords: 100, maxWaitMs: 500 }));
    void h.connector.push(record("a1", { orderingKey: "a" }));
    void h.connector.push(record("b1", { orderingKey: "b" }));
    void h.connector.push(record("a2", { orderingKey: "a" }));
    await advance(499);
    expect(h.invoker.calls).toHaveLength(0);
    await advance(1);
    expect(ids(h.invoker.calls).sort()).toEqual(["a1,a2", "b1"]);
  });

  it("groups records pushed together when maxWaitMs is 0", async () => {
    const h = await startEngine(batched({ maxRecords: 10 }));
    for (const id of ["1", "2", "3"]) void h.connector.push(record(id));
    await settle();
    expect(ids(h.invoker.calls)).toEqual(["1,2,3"]);
  });

  it("without bisectOnError, dead-letters every record of a failed batch, one entry each", async () => {
    const h = await startEngine(batched({ maxRecords: 2, bisectOnError: false }));
    h.invoker.behaviour = () => {
      throw new ApiError(413, "FSS.0413", "too big", undefined, false, "h");
    };
    void h.connector.push(record("1"));
    void h.connector.push(record("2"));
    await settle();
    expect(h.invoker.calls).toHaveLength(1);
    expect(h.sink.entries.map((e) => e.record.id)).toEqual(["1", "2"]);
    expect([...h.connector.outcomes.values()]).toEqual(["dead-lettered", "dead-lettered"]);
  });
});

describe("a connector's own dead-letter sink", () => {
  it("takes that connector's dead letters, with its own record, instead of the engine's sink", async () => {
    const own = new MemorySink();
    const native = Object.assign(new FakeConnector("native"), { deadLetter: own });
    const plain = new FakeConnector("plain");
    const engineSink = new MemorySink();
    const invoker = new FakeInvoker();
    invoker.behaviour = () => {
      throw new ApiError(404, "FSS.1051", "no such function", undefined, false, "h");
    };
    const engine = createEngine({
      invoker,
      connectors: [native, plain],
      routes: [
        { from: "native", to: ["fn"], mode: "sync" },
        { from: "plain", to: ["fn"], mode: "sync" },
      ],
      deadLetter: engineSink,
    });
    await engine.start();
    const n1 = record("n1", { body: Buffer.from([0xff, 0x01]) });
    void native.push(n1);
    void plain.push(record("p1"));
    await settle();
    expect(own.entries.map((e) => e.record.id)).toEqual(["n1"]);
    // The connector's sink gets the very record it pushed, not a copy decoded from the entry.
    expect(own.records[0]!.id).toBe("n1");
    expect(own.records[0]!.body).toBe(n1.body);
    expect(engineSink.entries.map((e) => e.record.id)).toEqual(["p1"]);
    expect(native.outcomes.get("n1")).toBe("dead-lettered");
    await engine.stop();
  });
});

describe("a connector's result hook", () => {
  it("sees each sync result before the records count as delivered; a rejection is retried", async () => {
    const seen: string[][] = [];
    let failNext = true;
    const connector = Object.assign(new FakeConnector("replies"), {
      async onResult(records: readonly SourceRecord[], result: InvokeResult) {
        seen.push([...records.map((r) => r.id), result.raw]);
        if (failNext) {
          failNext = false;
          throw new Error("response topic unreachable");
        }
      },
    });
    const invoker = new FakeInvoker();
    const engine = createEngine({
      invoker,
      connectors: [connector],
      routes: [{ from: "replies", to: ["fn"], mode: "sync", delivery: { firstDelayMs: 1 } }],
      deadLetter: new MemorySink(),
      random: () => 0.5,
    });
    await engine.start();
    void connector.push(record("q1"));
    await settle();
    expect(connector.outcomes.get("q1")).toBeUndefined();
    await advance(10);
    expect(invoker.calls).toHaveLength(2);
    expect(seen).toEqual([
      ["q1", "ok"],
      ["q1", "ok"],
    ]);
    expect(connector.outcomes.get("q1")).toBe("delivered");
    await engine.stop();
  });
});

describe("a connector's accepted hook", () => {
  it("gets the async request id before the records count as delivered", async () => {
    const seen: string[][] = [];
    const connector = Object.assign(new FakeConnector("accepts"), {
      async onAccepted(records: readonly SourceRecord[], result: AsyncInvokeResult) {
        expect(connector.outcomes.get(records[0]!.id)).toBeUndefined();
        seen.push([...records.map((r) => r.id), String(result.requestId)]);
      },
    });
    const engine = createEngine({
      invoker: new FakeInvoker(),
      connectors: [connector],
      routes: [{ from: "accepts", to: ["fn"], mode: "async" }],
      deadLetter: new MemorySink(),
    });
    await engine.start();
    void connector.push(record("a1"));
    await settle();
    expect(seen).toEqual([["a1", "req"]]);
    expect(connector.outcomes.get("a1")).toBe("delivered");
    await engine.stop();
  });
});

describe("configuration checks", () => {
  const base = { invoker: new FakeInvoker(), deadLetter: new MemorySink() };
  it.each([
    [[{ from: "nope", to: ["fn"], mode: "async" }], 'no connector named "nope"'],
    [
      [{ from: "src", to: ["fn"], mode: "async", format: "xml" }],
      'has no format "xml" (formats: ids, broken, picky, named)',
    ],
    [[{ from: "src", to: [], mode: "async" }], "routes[0] is invalid"],
    [
      [
        { name: "x", from: "src", to: ["f"], mode: "async" },
        { name: "x", from: "src", to: ["g"], mode: "async" },
      ],
      "same name",
    ],
  ])("rejects bad routes at creation (%#)", (routes, message) => {
    expect(() =>
      createEngine({ ...base, connectors: [new FakeConnector()], routes: routes as never }),
    ).toThrow(EngineConfigError);
    expect(() =>
      createEngine({ ...base, connectors: [new FakeConnector()], routes: routes as never }),
    ).toThrow(message);
  });
});
