import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ConnectorContext, RecordOutcome } from "../../src/connector.js";
import { withStartRetry } from "../../src/engine/start-retry.js";
import { FakeConnector, MemorySink, record, settle } from "./fakes.js";

/** Fake connectors whose first `failures` starts reject. */
function factory(failures: number) {
  const made: FakeConnector[] = [];
  const create = () => {
    const c = new FakeConnector("flaky");
    const n = made.length;
    const start = c.start.bind(c);
    c.start = async (ctx: ConnectorContext) => {
      if (n < failures)
        throw Object.assign(new Error(`broker down (${n})`), { hint: "start the broker" });
      return start(ctx);
    };
    made.push(c);
    return c;
  };
  return { made, create };
}

const ctx = (): ConnectorContext & { pushed: string[] } => {
  const pushed: string[] = [];
  return {
    pushed,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    push: (r) => {
      pushed.push(r.id);
      return Promise.resolve<RecordOutcome>("delivered");
    },
  };
};

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("withStartRetry", () => {
  it("logs a failed start as one warn line with the reason and the delay, never an error", async () => {
    const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
    const log =
      (level: string) =>
      (obj: object, msg?: string): void => {
        lines.push({ level, obj: obj as Record<string, unknown>, msg });
      };
    const logger = {
      debug: log("debug"),
      info: log("info"),
      warn: log("warn"),
      error: log("error"),
    };
    const c = withStartRetry(factory(1).create, { firstDelayMs: 1000, logger });
    await c.start(ctx());
    expect(lines).toEqual([
      {
        level: "warn",
        obj: expect.objectContaining({ reason: "broker down (0)", retryInMs: 1000 }),
        msg: "connector could not start; retrying",
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain("\n    at ");
    await c.stop();
  });

  it("reports why it is not connected and retries with fresh instances, backing off", async () => {
    const { made, create } = factory(2);
    const c = withStartRetry(create, { firstDelayMs: 1000 });
    const context = ctx();
    await c.start(context);
    expect(c.health()).toEqual({
      connected: false,
      detail: "could not start: broker down (0); retrying in 1 s",
    });
    expect(made[0]!.calls).toContain("stop");
    await vi.advanceTimersByTimeAsync(1000);
    expect(c.health().detail).toBe("could not start: broker down (1); retrying in 2 s");
    await vi.advanceTimersByTimeAsync(1999);
    expect(made).toHaveLength(3);
    expect(c.health().connected).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(c.health().connected).toBe(true);
    // The running instance pushes through the context the engine gave.
    await made[2]!.push(record("after-start"));
    expect(context.pushed).toEqual(["after-start"]);
    await c.stop();
    expect(made[2]!.calls.at(-1)).toBe("stop");
  });

  it("stops retrying when stopped", async () => {
    const { made, create } = factory(100);
    const c = withStartRetry(create, { firstDelayMs: 1000 });
    await c.start(ctx());
    await c.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(made).toHaveLength(2);
  });

  it("applies a pause that came before the start succeeded", async () => {
    const { made, create } = factory(1);
    const c = withStartRetry(create, { firstDelayMs: 10 });
    await c.start(ctx());
    c.pause();
    await vi.advanceTimersByTimeAsync(10);
    await settle();
    expect(made[1]!.calls).toContain("pause");
    c.resume();
    expect(made[1]!.calls.at(-1)).toBe("resume");
  });

  it("forwards dead letters to the running instance's own sink", async () => {
    const sinks: MemorySink[] = [];
    const c = withStartRetry(() => {
      const sink = new MemorySink();
      sinks.push(sink);
      return Object.assign(new FakeConnector("native"), { deadLetter: sink });
    });
    await c.start(ctx());
    const r = record("x");
    await c.deadLetter!.write({ record: { id: "x" } } as never, r);
    expect(sinks[0]!.entries).toHaveLength(1);
    expect(sinks[0]!.records).toEqual([r]);
  });

  it("forwards pauseKey and resumeKey, and pauses the keys again on a fresh instance", async () => {
    const keys: string[] = [];
    const { made, create } = factory(1);
    const keyed = () =>
      Object.assign(create(), {
        pauseKey: (k: string) => keys.push(`pause ${made.length} ${k}`),
        resumeKey: (k: string) => keys.push(`resume ${made.length} ${k}`),
      });
    const c = withStartRetry(keyed, { firstDelayMs: 1000 });
    expect(typeof c.pauseKey).toBe("function");
    await c.start(ctx());
    c.pauseKey!("a");
    c.pauseKey!("b");
    c.resumeKey!("b");
    expect(keys).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(keys).toEqual(["pause 2 a"]);
    c.resumeKey!("a");
    expect(keys).toEqual(["pause 2 a", "resume 2 a"]);
    expect(typeof withStartRetry(() => new FakeConnector()).pauseKey).toBe("undefined");
  });
});
