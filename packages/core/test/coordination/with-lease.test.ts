import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type Clock,
  type Connector,
  type ConnectorContext,
  LeaseKeeper,
  type LeaseTerm,
  leaseTimings,
  type RecordOutcome,
  type SourceRecord,
  withLease,
} from "../../src/index.js";
import { FakeDriver } from "./fake-driver.js";

const clock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** A source that records its lifecycle and pushes when told. */
class FakeSource implements Connector {
  readonly name = "ticks";
  readonly type = "cron";
  readonly formats = { raw: { description: "raw", build: (r: readonly SourceRecord[]) => r } };
  readonly defaultFormat = "raw";
  readonly events: string[] = [];
  ctx?: ConnectorContext;
  constructor(readonly term: LeaseTerm | undefined) {}
  async start(ctx: ConnectorContext) {
    this.ctx = ctx;
    this.events.push("start");
  }
  pause() {
    this.events.push("pause");
  }
  resume() {
    this.events.push("resume");
  }
  async stop() {
    this.events.push("stop");
  }
  health() {
    return { connected: true, detail: "fine" };
  }
  push(id: string): Promise<RecordOutcome> {
    return this.ctx!.push({
      id,
      source: "ticks",
      attributes: {},
      body: null,
      timestamp: 0,
      size: 1,
    });
  }
}

let driver: FakeDriver;
let lease: LeaseKeeper;
let sources: FakeSource[];
let settle: Map<string, (o: RecordOutcome) => void>;
let engineCtx: ConnectorContext;

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  driver = new FakeDriver();
  lease = new LeaseKeeper({
    name: "ticks",
    holder: "me",
    driver,
    timings: leaseTimings(3000),
    clock,
  });
  sources = [];
  settle = new Map();
  engineCtx = {
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    push: (r) => new Promise((resolve) => settle.set(r.id, resolve)),
  };
});
afterEach(() => {
  vi.useRealTimers();
});

function leased(): Connector {
  return withLease(lease, (term) => {
    const s = new FakeSource(term);
    if (term) sources.push(s);
    return s;
  });
}

describe("a connector under a lease", () => {
  it("starts only when the lease is gained, and presents one connector to the engine", async () => {
    driver.takeOver("ticks", "other", 3000);
    const c = leased();
    expect(c.name).toBe("ticks");
    await c.start(engineCtx);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sources).toHaveLength(0);
    expect(c.health()).toEqual({
      connected: true,
      detail: "standby: another replica holds the lease",
    });
    await vi.advanceTimersByTimeAsync(3000);
    expect(sources).toHaveLength(1);
    expect(sources[0]!.events).toEqual(["start"]);
    expect(sources[0]!.term!.token).toBe(2);
    expect(c.health().detail).toMatch(/^lease held \(token 2\); fine/);
  });

  it("on losing the lease pauses the source, waits for every pushed record's outcome, then stops it and releases the lease", async () => {
    const c = leased();
    await c.start(engineCtx);
    await vi.advanceTimersByTimeAsync(1);
    const s = sources[0]!;
    const first = s.push("a");
    lease.connectionLost("connection closed");
    await vi.advanceTimersByTimeAsync(10);
    expect(s.events).toEqual(["start", "pause"]);
    // Still held in the engine: the drain is not over.
    expect(driver.leases.has("ticks")).toBe(true);
    // A record pushed after the term ended never reaches the engine: it is given back.
    expect(await s.push("late")).toBe("abandoned");
    expect(settle.has("late")).toBe(false);
    settle.get("a")!("delivered");
    expect(await first).toBe("delivered");
    await vi.advanceTimersByTimeAsync(10);
    expect(s.events).toEqual(["start", "pause", "stop"]);
    expect(driver.leases.has("ticks")).toBe(false);
    // Then it competes again, and a fresh source runs the next term.
    await vi.advanceTimersByTimeAsync(1000);
    expect(sources).toHaveLength(2);
    expect(sources[1]!.term!.token).toBe(2);
    await c.stop();
    expect(sources[1]!.events).toEqual(["start", "pause", "stop"]);
    expect(driver.leases.has("ticks")).toBe(false);
  });

  it("passes the engine's pause and resume to the running source, and keeps a pause across a new term", async () => {
    const c = leased();
    await c.start(engineCtx);
    await vi.advanceTimersByTimeAsync(1);
    c.pause();
    c.resume();
    expect(sources[0]!.events).toEqual(["start", "pause", "resume"]);
    c.pause();
    lease.connectionLost("connection closed");
    await vi.advanceTimersByTimeAsync(1500);
    expect(sources[0]!.events).toEqual(["start", "pause", "resume", "pause", "stop"]);
    expect(sources[1]!.events).toEqual(["start", "pause"]);
    c.resume();
    expect(sources[1]!.events).toEqual(["start", "pause", "resume"]);
    await c.stop();
  });
});
