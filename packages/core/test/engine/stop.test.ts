import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../src/client/errors.js";
import { createEngine } from "../../src/engine/engine.js";
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

describe("stop()", () => {
  it("stops intake, finishes in-flight work within the deadline, then stops connectors", async () => {
    const h = await startEngine();
    h.invoker.hold();
    void h.connector.push(record("a"));
    void h.connector.push(record("b"));
    await settle();
    let result: unknown;
    const stopping = h.engine.stop({ deadlineMs: 1_000 }).then((r) => {
      result = r;
    });
    expect(h.connector.calls).toEqual(["pause"]);
    expect(await h.connector.push(record("late"))).toBe("abandoned");
    expect(h.engine.health().state).toBe("stopping");
    h.invoker.release();
    await advance(500);
    expect(result).toBeUndefined();
    expect(h.connector.calls).toEqual(["pause"]);
    h.invoker.release();
    await settle();
    await stopping;
    expect(result).toEqual({ drained: true, abandoned: 0 });
    expect(h.connector.outcomes.get("a")).toBe("delivered");
    expect(h.connector.outcomes.get("b")).toBe("delivered");
    expect(h.connector.calls).toEqual(["pause", "stop"]);
    expect(h.connector.outcomesAtStop).toBe(3); // a, b and late: all told before stop()
    expect(h.invoker.calls).toHaveLength(2);
    expect(h.engine.health().state).toBe("stopped");
  });

  it("abandons — never acknowledges — what is not done at the deadline", async () => {
    const h = await startEngine();
    h.invoker.hold();
    for (const id of ["a1", "a2", "a3"]) void h.connector.push(record(id, { orderingKey: "a" }));
    await settle();
    expect(h.invoker.held).toHaveLength(1);
    const inFlight = h.invoker.held[0]!;
    let result: unknown;
    void h.engine.stop({ deadlineMs: 1_000 }).then((r) => {
      result = r;
    });
    await advance(999);
    expect(result).toBeUndefined();
    expect(h.connector.outcomes.size).toBe(0);
    await advance(1);
    expect(result).toEqual({ drained: false, abandoned: 3 });
    expect([...h.connector.outcomes.values()]).toEqual(["abandoned", "abandoned", "abandoned"]);
    expect(inFlight.options?.signal?.aborted).toBe(true);
    await advance(60_000);
    expect(h.invoker.calls).toHaveLength(1);
    expect(h.connector.calls).toEqual(["pause", "stop"]);
    expect(h.metrics.filter(([m]) => m === "abandoned").length).toBe(3);
    expect(h.connector.outcomesAtStop).toBe(3); // told before its stop()
  });

  it("abandons a record waiting out a retry, and does not invoke again", async () => {
    const h = await startEngine({
      routes: [
        { name: "r", from: "src", to: ["fn"], mode: "async", delivery: { firstDelayMs: 10_000 } },
      ],
    });
    h.invoker.behaviour = () => {
      throw new ApiError(503, "FSS.0503", "x", undefined, true, "h");
    };
    const outcome = h.connector.push(record("a"));
    await settle();
    const result = h.engine.stop({ deadlineMs: 1_000 });
    await advance(1_000);
    expect(await result).toEqual({ drained: false, abandoned: 1 });
    expect(await outcome).toBe("abandoned");
    await advance(20_000);
    expect(h.invoker.calls).toHaveLength(1);
    expect(h.sink.entries).toHaveLength(0);
  });

  it("abandons a record whose dead-letter write keeps failing", async () => {
    const h = await startEngine();
    h.invoker.behaviour = () => {
      throw new ApiError(400, "FSS.0400", "bad", undefined, false, "h");
    };
    h.sink.failures = Number.POSITIVE_INFINITY;
    const outcome = h.connector.push(record("a"));
    const result = h.engine.stop({ deadlineMs: 5_000 });
    await advance(5_000);
    expect(await result).toEqual({ drained: false, abandoned: 1 });
    expect(await outcome).toBe("abandoned");
    const attempts = h.sink.attempts;
    expect(attempts).toBeGreaterThan(3);
    await advance(60_000);
    expect(h.sink.attempts).toBe(attempts);
  });

  it("sends open batches at once instead of waiting for them to fill", async () => {
    const h = await startEngine({
      routes: [
        {
          name: "r",
          from: "src",
          to: ["fn"],
          mode: "async",
          batch: { maxRecords: 10, maxWaitMs: 60_000 },
        },
      ],
    });
    void h.connector.push(record("a"));
    void h.connector.push(record("b"));
    await settle();
    expect(h.invoker.calls).toHaveLength(0);
    const result = h.engine.stop({ deadlineMs: 1_000 });
    await settle();
    expect(await result).toEqual({ drained: true, abandoned: 0 });
    expect(h.invoker.calls.map((c) => c.payload.ids)).toEqual([["a", "b"]]);
  });

  it("returns the same promise when called twice", async () => {
    const h = await startEngine();
    expect(h.engine.stop()).toBe(h.engine.stop());
    await h.engine.stop();
    expect(h.connector.calls).toEqual(["pause", "stop"]);
  });
});

describe("stop() before start()", () => {
  it("touches no connector", async () => {
    const connector = new FakeConnector();
    const engine = createEngine({
      invoker: new FakeInvoker(),
      connectors: [connector],
      routes: [],
      deadLetter: new MemorySink(),
    });
    expect(await engine.stop()).toEqual({ drained: true, abandoned: 0 });
    expect(connector.calls).toEqual([]);
    await expect(engine.start()).rejects.toThrow("it is stopped");
  });
});
