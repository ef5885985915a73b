import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

  it("with fire-all, fires the ticks that come due while missed ones are delivered, after them", async () => {
    const opts = {
      schedules: [{ name: "s", schedule: "* * * * * *" }],
      misfire: "fire-all" as const,
      maxMissed: 3,
    };
    const first = fakeEngine("delivered");
    const a = connector(opts);
    await a.start(first.ctx);
    await vi.advanceTimersByTimeAsync(1000);
    await flush();
    await a.stop();

    vi.setSystemTime(new Date("2024-01-01T00:00:10.700Z"));
    const second = fakeEngine();
    const b = connector(opts);
    await b.start(second.ctx);
    expect(second.times()).toEqual([
      "2024-01-01T00:00:08.000Z",
      "2024-01-01T00:00:09.000Z",
      "2024-01-01T00:00:10.000Z",
    ]);
    // 11 s and 12 s come due while the missed ticks are still being delivered.
    await vi.advanceTimersByTimeAsync(2000);
    for (const p of second.pushed) p.settle("delivered");
    await flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(second.times()).toEqual([
      "2024-01-01T00:00:08.000Z",
      "2024-01-01T00:00:09.000Z",
      "2024-01-01T00:00:10.000Z",
      "2024-01-01T00:00:11.000Z",
      "2024-01-01T00:00:12.000Z",
    ]);
    for (const p of second.pushed) p.settle("delivered");
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    expect(second.times().at(-1)).toBe("2024-01-01T00:00:13.000Z");
    await b.stop();
  });

  it("with fire-all, a tick that comes due while the previous one is delivered waits for it, up to maxMissed", async () => {
    const engine = fakeEngine();
    const c = connector({
      schedules: [{ name: "s", schedule: "* * * * * *" }],
      misfire: "fire-all",
      maxMissed: 2,
    });
    await c.start(engine.ctx);
    await vi.advanceTimersByTimeAsync(1000);
    expect(engine.times()).toEqual(["2024-01-01T00:00:01.000Z"]);
    // Four more ticks come due while the first is delivered: the latest two are kept.
    await vi.advanceTimersByTimeAsync(4000);
    expect(engine.times()).toEqual(["2024-01-01T00:00:01.000Z"]);
    engine.pushed[0]!.settle("delivered");
    await flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(engine.times()).toEqual([
      "2024-01-01T00:00:01.000Z",
      "2024-01-01T00:00:04.000Z",
      "2024-01-01T00:00:05.000Z",
    ]);
    await c.stop();
  });

  it("logs a state file it cannot write once, as a warning with the reason, and once when it can again", async () => {
    const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
    const log =
      (level: string) =>
      (obj: object, msg?: string): void => {
        lines.push({ level, obj: obj as Record<string, unknown>, msg });
      };
    const engine = fakeEngine("delivered");
    const ctx = {
      ...engine.ctx,
      logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    };
    const blocker = join(dir, "blocked");
    const c = connector({
      schedules: [{ name: "s", schedule: "* * * * * *" }],
      stateFile: join(blocker, "state.json"),
    });
    await c.start(ctx);
    // The state file's directory becomes a plain file: every write fails.
    writeFileSync(blocker, "");
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(1000);
      await vi.waitFor(() => expect(lines.some((l) => l.level === "warn")).toBe(true));
    }
    const trouble = lines.filter((l) => l.level === "warn" || l.level === "error");
    expect(trouble).toHaveLength(1);
    expect(trouble[0]!.msg).toMatch(/could not save the cron state file/);
    expect(trouble[0]!.obj.err).toMatch(/EEXIST|ENOTDIR/);
    expect(typeof trouble[0]!.obj.err).toBe("string");

    rmSync(blocker);
    await vi.advanceTimersByTimeAsync(1000);
    await vi.waitFor(() =>
      expect(lines.filter((l) => l.msg === "cron state file written again")).toHaveLength(1),
    );
    await vi.advanceTimersByTimeAsync(1000);
    await c.stop();
    expect(
      lines.filter((l) => l.level === "info" && l.msg !== "cron connector started"),
    ).toHaveLength(1);
    expect(lines.filter((l) => l.level === "warn" || l.level === "error")).toHaveLength(1);
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
