import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ConnectorContext, SourceRecord } from "../../src/connector.js";
import { createEngine } from "../../src/engine/engine.js";
import { advance, FakeConnector, FakeInvoker, MemorySink, record, startEngine } from "./fakes.js";

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2024, 0, 1) });
});
afterEach(() => {
  vi.useRealTimers();
});

const T0 = Date.UTC(2024, 0, 1);
/** Every invocation takes 10 ms. */
const takes10ms = () => new Promise<void>((resolve) => setTimeout(resolve, 10));

/** When each record's invocation started, and the records in invocation order, per key. */
function progress(calls: { at: number; payload: { ids: string[] } }[]) {
  const byKey = new Map<string, { id: string; at: number }[]>();
  for (const c of calls)
    for (const id of c.payload.ids) {
      const key = id.split(":")[0]!;
      byKey.set(key, [...(byKey.get(key) ?? []), { id, at: c.at - T0 }]);
    }
  return byKey;
}

/** Longest wait of a key between its pushes at time 0 and its invocations. */
function longestGap(starts: { at: number }[]): number {
  let last = 0;
  let gap = 0;
  for (const { at } of starts) {
    gap = Math.max(gap, at - last);
    last = at;
  }
  return gap;
}

describe("fair dispatch between ordering keys", () => {
  it("gives every key with records buffered a slot each round, however skewed the backlog", async () => {
    const h = await startEngine({ limits: { maxInFlight: 4, maxBufferedRecords: 10_000 } });
    h.invoker.behaviour = takes10ms;
    // A flood of records without a key, a hot key, and 30 keys with a few records each.
    for (let i = 0; i < 600; i += 1) void h.connector.push(record(`none:${i}`));
    for (let i = 0; i < 600; i += 1)
      void h.connector.push(record(`hot:${i}`, { orderingKey: "hot" }));
    for (let k = 0; k < 30; k += 1)
      for (let i = 0; i < 5; i += 1)
        void h.connector.push(record(`k${k}:${i}`, { orderingKey: `k${k}` }));
    await advance(2_000);

    const byKey = progress(h.invoker.calls);
    // 32 queues share 4 slots of 10 ms: each key's next record starts within ~8 rounds.
    for (let k = 0; k < 30; k += 1) {
      const starts = byKey.get(`k${k}`)!;
      expect(starts.map((s) => s.id)).toEqual([0, 1, 2, 3, 4].map((i) => `k${k}:${i}`));
      expect(longestGap(starts)).toBeLessThanOrEqual(120);
    }
    const hot = byKey.get("hot")!;
    expect(hot.map((s) => s.id).slice(0, 50)).toEqual(
      Array.from({ length: 50 }, (_, i) => `hot:${i}`),
    );
    expect(longestGap(hot.slice(0, 50))).toBeLessThanOrEqual(120);
    // Records without a key still use every slot nobody else waits for.
    expect(byKey.get("none")!.length).toBeGreaterThan(300);
  });
});

/**
 * A source that reads like a Kafka consumer: one key's backlog after another, the whole of one
 * before the next, as long as the engine lets it; it can pause one key.
 */
class KeyedSource extends FakeConnector {
  readonly backlog = new Map<string, string[]>();
  readonly pausedKeys = new Set<string>();
  #paused = false;

  override async start(ctx: ConnectorContext): Promise<void> {
    await super.start(ctx);
    queueMicrotask(() => this.feed());
  }
  override pause(): void {
    super.pause();
    this.#paused = true;
  }
  override resume(): void {
    super.resume();
    this.#paused = false;
    this.feed();
  }
  pauseKey(key: string): void {
    this.pausedKeys.add(key);
  }
  resumeKey(key: string): void {
    this.pausedKeys.delete(key);
    this.feed();
  }

  feed(): void {
    for (const [key, ids] of this.backlog) {
      while (ids.length > 0 && !this.pausedKeys.has(key)) {
        if (this.#paused) return;
        const id = ids.shift()!;
        void this.push(record(id, { orderingKey: key }) as SourceRecord);
      }
    }
  }
}

describe("fair shares of the buffer between ordering keys", () => {
  it("pauses a key past its share, so a hot key's backlog cannot starve the others", async () => {
    const source = new KeyedSource();
    source.backlog.set(
      "hot",
      Array.from({ length: 2_000 }, (_, i) => `hot:${i}`),
    );
    for (let k = 0; k < 5; k += 1)
      source.backlog.set(
        `k${k}`,
        Array.from({ length: 20 }, (_, i) => `k${k}:${i}`),
      );
    const invoker = new FakeInvoker();
    invoker.behaviour = takes10ms;
    const engine = createEngine({
      invoker,
      connectors: [source],
      routes: [{ name: "r", from: "src", to: ["fn"], mode: "async" }],
      deadLetter: new MemorySink(),
      limits: { maxInFlight: 4, maxBufferedRecords: 100 },
    });
    await engine.start();
    await advance(3_000);

    const byKey = progress(invoker.calls);
    // The hot key, one record at a time, has thousands to go; the others are all delivered.
    expect(byKey.get("hot")!.length).toBeLessThan(400);
    for (let k = 0; k < 5; k += 1) {
      const starts = byKey.get(`k${k}`)!;
      expect(starts.map((s) => s.id)).toEqual(Array.from({ length: 20 }, (_, i) => `k${k}:${i}`));
      // At worst a key waits for the buffer to drain to its resume mark: 50 records, 4 at a time.
      expect(starts[0]!.at).toBeLessThanOrEqual(300);
      expect(longestGap(starts)).toBeLessThanOrEqual(300);
    }
    const hot = byKey.get("hot")!.map((s) => s.id);
    expect(hot).toEqual(Array.from({ length: hot.length }, (_, i) => `hot:${i}`));
    const stopped = engine.stop({ deadlineMs: 0 });
    await advance(0);
    expect((await stopped).abandoned).toBeGreaterThan(0);
  });
});
