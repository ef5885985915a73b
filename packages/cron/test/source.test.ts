import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConnectorContext, RecordOutcome } from "@fgconnect/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type CronOptions, cronOptionsSchema } from "../src/options.js";
import { CronConnector, type CronRecord } from "../src/source.js";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A fake engine: records pushes and settles them when told. */
function fakeEngine(autoOutcome?: RecordOutcome) {
  const pushed: { record: CronRecord; settle: (o: RecordOutcome) => void }[] = [];
  const ctx: ConnectorContext<CronRecord> = {
    logger: silent,
    push(record) {
      return new Promise<RecordOutcome>((resolve) => {
        pushed.push({ record, settle: resolve });
        if (autoOutcome) resolve(autoOutcome);
      });
    },
  };
  return { ctx, pushed, times: () => pushed.map((p) => p.record.attributes.scheduledAt) };
}

let dir: string;
const connector = (options: Partial<CronOptions> & Pick<CronOptions, "schedules">) =>
  new CronConnector(
    "ticks",
    cronOptionsSchema.parse({ stateFile: join(dir, "state.json"), ...options }),
  );
const flush = () => new Promise((r) => setImmediate(r));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "fgconnect-cron-"));
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  vi.setSystemTime(new Date("2024-01-01T00:00:00.500Z"));
});
afterEach(() => {
  vi.useRealTimers();
});

describe("CronConnector", () => {
  it("fires each tick with the timer event", async () => {
    const engine = fakeEngine("delivered");
    const c = connector({
      schedules: [{ name: "every-second", schedule: "* * * * * *", userEvent: "hi" }],
    });
    await c.start(engine.ctx);
    await vi.advanceTimersByTimeAsync(3000);
    expect(engine.times()).toEqual([
      "2024-01-01T00:00:01.000Z",
      "2024-01-01T00:00:02.000Z",
      "2024-01-01T00:00:03.000Z",
    ]);
    expect(engine.pushed[0]!.record.body).toEqual({
      version: "v1.0",
      time: "2024-01-01T00:00:01+00:00",
      trigger_type: "TIMER",
      trigger_name: "every-second",
      user_event: "hi",
    });
    expect(engine.pushed[0]!.record.orderingKey).toBe("every-second");
    await c.stop();
  });

  it("keeps the last delivered tick in the state file, and not abandoned ones", async () => {
    const engine = fakeEngine();
    const c = connector({
      schedules: [{ name: "s", schedule: "* * * * * *" }],
      allowOverlap: true,
    });
    await c.start(engine.ctx);
    await vi.advanceTimersByTimeAsync(2000);
    engine.pushed[0]!.settle("delivered");
    engine.pushed[1]!.settle("abandoned");
    await flush();
    await c.stop();
    const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8"));
    expect(state.lastFire.s).toBe("2024-01-01T00:00:01.000Z");
  });

  it.each([
    ["skip", []],
    ["fire-once", ["2024-01-01T00:00:10.000Z"]],
    [
      "fire-all",
      ["2024-01-01T00:00:08.000Z", "2024-01-01T00:00:09.000Z", "2024-01-01T00:00:10.000Z"],
    ],
  ] as const)("after downtime, misfire %s fires %j", async (misfire, expected) => {
    const first = fakeEngine("delivered");
    const opts = { schedules: [{ name: "s", schedule: "* * * * * *" }], misfire, maxMissed: 3 };
    const a = connector(opts);
    await a.start(first.ctx);
    await vi.advanceTimersByTimeAsync(1000);
    await flush();
    await a.stop();
    expect(first.times()).toEqual(["2024-01-01T00:00:01.000Z"]);

    // Down for nine and a half seconds.
    vi.setSystemTime(new Date("2024-01-01T00:00:10.700Z"));
    const second = fakeEngine("delivered");
    const b = connector(opts);
    await b.start(second.ctx);
    expect(second.times()).toEqual(expected);
    await vi.advanceTimersByTimeAsync(500);
    expect(second.times().at(-1)).toBe("2024-01-01T00:00:11.000Z");
    await b.stop();
  });

  it("skips a tick while the previous one is in flight, unless overlap is allowed", async () => {
    const serial = fakeEngine();
    const a = connector({ schedules: [{ name: "s", schedule: "* * * * * *" }] });
    await a.start(serial.ctx);
    await vi.advanceTimersByTimeAsync(3000);
    expect(serial.times()).toEqual(["2024-01-01T00:00:01.000Z"]);
    serial.pushed[0]!.settle("delivered");
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    expect(serial.times()).toEqual(["2024-01-01T00:00:01.000Z", "2024-01-01T00:00:04.000Z"]);
    await a.stop();

    const overlapping = fakeEngine();
    const b = connector({
      schedules: [{ name: "s", schedule: "* * * * * *" }],
      allowOverlap: true,
      stateFile: join(dir, "b.json"),
    });
    await b.start(overlapping.ctx);
    await vi.advanceTimersByTimeAsync(3000);
    expect(overlapping.pushed).toHaveLength(3);
    expect(overlapping.pushed[0]!.record.orderingKey).toBeUndefined();
    await b.stop();
  });

  it("treats ticks due during a stall as missed", async () => {
    const engine = fakeEngine("delivered");
    const c = connector({ schedules: [{ name: "s", schedule: "* * * * * *" }], misfire: "skip" });
    await c.start(engine.ctx);
    // The event loop is blocked for five seconds: the clock moves, no timer runs.
    vi.setSystemTime(new Date("2024-01-01T00:00:06.200Z"));
    await vi.advanceTimersByTimeAsync(1000);
    expect(engine.times()).toEqual(["2024-01-01T00:00:07.000Z"]);
    await c.stop();
  });

  it("pauses and applies the misfire policy on resume", async () => {
    const engine = fakeEngine("delivered");
    const c = connector({
      schedules: [{ name: "s", schedule: "* * * * * *" }],
      misfire: "fire-once",
    });
    await c.start(engine.ctx);
    c.pause();
    await vi.advanceTimersByTimeAsync(3000);
    expect(engine.pushed).toHaveLength(0);
    c.resume();
    expect(engine.times()).toEqual(["2024-01-01T00:00:03.000Z"]);
    await c.stop();
  });
});

describe("cronOptionsSchema", () => {
  it("names the bad field", () => {
    const result = cronOptionsSchema.safeParse({
      schedules: [
        { name: "a", schedule: "* * *" },
        { name: "a", schedule: "* * * * *", timezone: "Nowhere/City" },
      ],
    });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(
      expect.arrayContaining(["schedules.0.schedule", "schedules.1.timezone", "schedules.1.name"]),
    );
  });
});
