import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EngineConfigError } from "../../src/engine/router.js";
import { advance, FakeConnector, record, settle, startEngine } from "./fakes.js";

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2024, 0, 1) });
});
afterEach(() => {
  vi.useRealTimers();
});

const red = (id: string) => record(id, { attributes: { color: "red" } });

describe("reconfigure()", () => {
  it("routes each record by the routes in force when it was pushed", async () => {
    const h = await startEngine();
    h.invoker.hold();
    void h.connector.push(red("before"));
    await settle();
    const result = await h.engine.reconfigure({
      connectors: [h.connector],
      routes: [
        {
          name: "r",
          from: "src",
          to: ["fn"],
          mode: "async",
          filter: { attributes: { color: ["blue"] } },
        },
        { name: "reds", from: "src", to: ["other"], mode: "sync" },
      ],
    });
    expect(result).toEqual({ stopped: [], started: [], failed: [], abandoned: 0 });
    void h.connector.push(red("after"));
    await settle();
    while (h.invoker.held.length > 0) {
      h.invoker.release();
      await settle();
    }
    const calls = h.invoker.calls.map((c) => [c.urn, c.mode, c.payload.ids.join()]);
    expect(calls).toEqual([
      ["fn", "async", "before"],
      ["other", "sync", "after"],
    ]);
    expect(h.connector.outcomes.get("before")).toBe("delivered");
    expect(h.connector.outcomes.get("after")).toBe("delivered");
    expect(h.connector.calls).toEqual([]); // never paused nor stopped: its options did not change
    expect(h.engine.routes.map((r) => r.name)).toEqual(["r", "reds"]);
  });

  it("keeps one key's batches in order across a change of the route's policy", async () => {
    const h = await startEngine();
    h.invoker.hold();
    void h.connector.push(record("k1", { orderingKey: "k" }));
    await settle();
    void h.connector.push(record("k2", { orderingKey: "k" }));
    await settle();
    await h.engine.reconfigure({
      connectors: [h.connector],
      routes: [{ name: "r", from: "src", to: ["fn"], mode: "sync" }],
    });
    void h.connector.push(record("k3", { orderingKey: "k" }));
    await settle();
    expect(h.invoker.held).toHaveLength(1); // k2 and k3 wait behind k1, in the same lane
    while (h.invoker.held.length > 0) {
      h.invoker.release();
      await settle();
    }
    expect(h.invoker.calls.map((c) => [c.payload.ids.join(), c.mode])).toEqual([
      ["k1", "async"],
      ["k2", "async"],
      ["k3", "sync"],
    ]);
  });

  it("drains a replaced connector before it stops, then starts its replacement", async () => {
    const h = await startEngine();
    h.invoker.hold();
    void h.connector.push(record("old"));
    await settle();
    const next = new FakeConnector("src");
    let done = false;
    const reconfiguring = h.engine
      .reconfigure({
        connectors: [next],
        routes: [{ name: "r", from: "src", to: ["fn"], mode: "async" }],
      })
      .then((r) => {
        done = true;
        return r;
      });
    await settle();
    expect(h.connector.calls).toEqual(["pause"]);
    expect(next.ctx).toBeUndefined();
    // What the old instance still pushes while draining is given back: its replacement reads it.
    expect(await h.connector.push(record("late"))).toBe("abandoned");
    await advance(10);
    expect(done).toBe(false);
    while (h.invoker.held.length > 0) {
      h.invoker.release();
      await settle();
    }
    expect(await reconfiguring).toEqual({
      stopped: ["src"],
      started: ["src"],
      failed: [],
      abandoned: 0,
    });
    expect(h.connector.calls).toEqual(["pause", "stop"]);
    expect(h.connector.outcomesAtStop).toBe(2);
    expect(h.engine.connectors).toEqual([next]);
    void next.push(record("new"));
    await settle();
    h.invoker.release();
    await settle();
    expect(next.outcomes.get("new")).toBe("delivered");
    expect(h.invoker.calls.map((c) => c.payload.ids.join())).toEqual(["old", "new"]);
  });

  it("abandons what a replaced connector pushes once paused, so a source that reads on while paused drains", async () => {
    const h = await startEngine();
    h.invoker.hold();
    void h.connector.push(record("old"));
    await settle();
    const next = new FakeConnector("src");
    let done = false;
    void h.engine
      .reconfigure({
        connectors: [next],
        routes: [{ name: "r", from: "src", to: ["fn"], mode: "async" }],
      })
      .then(() => {
        done = true;
      });
    await settle();
    expect(h.connector.calls).toEqual(["pause"]);
    // An MQTT source reads on while paused (the broker sends as acknowledgements free its
    // window): a message comes in as each delivery finishes. Accepted, such a stream never
    // drains, and at the deadline what is being delivered is abandoned and sent again.
    const late: Promise<string>[] = [];
    for (let n = 0; n < 5 && !done; n++) {
      while (h.invoker.held.length > 0) h.invoker.release();
      late.push(h.connector.push(record(`late${n}`)));
      await advance(10);
    }
    expect(done).toBe(true);
    expect(await Promise.all(late)).toEqual(["abandoned"]);
    expect(h.connector.outcomes.get("old")).toBe("delivered");
    expect(h.invoker.calls.map((c) => c.payload.ids.join())).toEqual(["old"]);
    expect(h.engine.connectors).toEqual([next]);
  });

  it("abandons what a replaced connector pushes once drained, so its source gives it back", async () => {
    const h = await startEngine();
    // A broker's delivery that arrives as the channel closes: pushed from within stop().
    const stopping = h.connector.stop.bind(h.connector);
    let late: Promise<string> | undefined;
    h.connector.stop = async () => {
      late = h.connector.ctx!.push(record("late"));
      await stopping();
    };
    const next = new FakeConnector("src");
    const result = await h.engine.reconfigure({
      connectors: [next],
      routes: [{ name: "r", from: "src", to: ["fn"], mode: "async" }],
    });
    expect(result.stopped).toEqual(["src"]);
    // Not delivered by the old instance: it would be delivered again by the new one.
    expect(await late).toBe("abandoned");
    await settle();
    expect(h.invoker.calls).toEqual([]);
    // The new instance's records are taken as usual.
    void next.push(record("late"));
    await settle();
    expect(next.outcomes.get("late")).toBe("delivered");
    expect(h.invoker.calls.map((c) => c.payload.ids.join())).toEqual(["late"]);
  });

  it("abandons what a removed connector has not finished by the deadline", async () => {
    const h = await startEngine();
    h.invoker.hold();
    void h.connector.push(record("stuck"));
    await settle();
    const reconfiguring = h.engine.reconfigure({
      connectors: [],
      routes: [],
      deadlineMs: 1_000,
    });
    await advance(1_000);
    expect(await reconfiguring).toEqual({
      stopped: ["src"],
      started: [],
      failed: [],
      abandoned: 1,
    });
    expect(h.connector.outcomes.get("stuck")).toBe("abandoned");
    expect(h.connector.calls).toEqual(["pause", "stop"]);
    expect(h.engine.health().connectors).toEqual({});
  });

  it("refuses routes that cannot work and changes nothing", async () => {
    const h = await startEngine();
    const added = new FakeConnector("added");
    await expect(
      h.engine.reconfigure({
        connectors: [added],
        routes: [{ name: "r", from: "src", to: ["fn"], mode: "async" }],
      }),
    ).rejects.toThrow(EngineConfigError);
    expect(added.ctx).toBeUndefined();
    expect(h.connector.calls).toEqual([]);
    expect(h.engine.connectors).toEqual([h.connector]);
    void h.connector.push(record("still"));
    await settle();
    expect(h.invoker.calls.map((c) => c.urn)).toEqual(["fn"]);
  });

  it("reports a connector that fails to start and leaves it out", async () => {
    const h = await startEngine();
    const broken = new FakeConnector("broken");
    broken.start = () => Promise.reject(new Error("cannot connect"));
    const result = await h.engine.reconfigure({
      connectors: [h.connector, broken],
      routes: [{ name: "r", from: "src", to: ["fn"], mode: "async" }],
    });
    expect(result.failed).toEqual([{ connector: "broken", error: new Error("cannot connect") }]);
    expect(result.started).toEqual([]);
    expect(h.engine.connectors).toEqual([h.connector]);
  });

  it("leaves a connector being drained to a stop that comes meanwhile, stopped once", async () => {
    const h = await startEngine();
    h.invoker.hold();
    void h.connector.push(record("in-flight"));
    await settle();
    const reconfiguring = h.engine.reconfigure({ connectors: [], routes: [] });
    await settle();
    const stopping = h.engine.stop({ deadlineMs: 5_000 });
    h.invoker.release();
    await settle();
    expect(await stopping).toEqual({ drained: true, abandoned: 0 });
    expect(await reconfiguring).toMatchObject({ stopped: ["src"], abandoned: 0 });
    expect(h.connector.outcomes.get("in-flight")).toBe("delivered");
    expect(h.connector.calls).toEqual(["pause", "stop"]);
  });

  it("is refused unless the engine is running", async () => {
    const h = await startEngine();
    await h.engine.stop({ deadlineMs: 0 });
    await expect(h.engine.reconfigure({ connectors: [], routes: [] })).rejects.toThrow(/stopped/);
  });
});
