import { describe, expect, it } from "vitest";
import { missedTicks } from "../src/misfire.js";
import { timerEvent } from "../src/payload.js";
import { InvalidScheduleError, parseSchedule } from "../src/schedule.js";

const iso = (d: Date | null) => d?.toISOString();
const seq = (s: ReturnType<typeof parseSchedule>, from: string, n: number) => {
  const out: string[] = [];
  let t: Date | null = new Date(from);
  for (let i = 0; i < n && t; i++) {
    t = s.next(t);
    if (t) out.push(t.toISOString());
  }
  return out;
};

describe("parseSchedule", () => {
  it("reads 6-field cron with seconds", () => {
    const s = parseSchedule("*/15 * * * * *");
    expect(seq(s, "2024-01-01T00:00:00Z", 3)).toEqual([
      "2024-01-01T00:00:15.000Z",
      "2024-01-01T00:00:30.000Z",
      "2024-01-01T00:00:45.000Z",
    ]);
  });

  it("reads 5-field cron at minute precision", () => {
    const s = parseSchedule("*/5 * * * *");
    expect(iso(s.next(new Date("2024-01-01T00:02:30Z")))).toBe("2024-01-01T00:05:00.000Z");
  });

  it("reads cron in the schedule's time zone", () => {
    const s = parseSchedule("0 30 8 * * *", "Asia/Shanghai");
    expect(iso(s.next(new Date("2024-01-01T00:00:00Z")))).toBe("2024-01-01T00:30:00.000Z");
  });

  it.each([
    ["3m", 180_000],
    ["1h", 3_600_000],
    ["1d", 86_400_000],
    ["@every 2h30m", 9_000_000],
    ["@every 90s", 90_000],
  ])("reads the interval form %s", (expr, ms) => {
    const anchor = Date.UTC(2024, 0, 1);
    const s = parseSchedule(expr, "UTC", anchor);
    expect(s.intervalMs).toBe(ms);
    expect(s.next(new Date(anchor))?.getTime()).toBe(anchor + ms);
    expect(s.next(new Date(anchor + ms + 1))?.getTime()).toBe(anchor + 2 * ms);
  });

  it.each([
    ["* * *", "5 fields"],
    ["61 * * * * *", "61"],
    ["@every", "duration"],
    ["@every 0s", "at least 1s"],
    ["0m", "greater than zero"],
    ["every day", "5 fields"],
  ])("rejects %s", (expr, reason) => {
    expect(() => parseSchedule(expr)).toThrow(InvalidScheduleError);
    expect(() => parseSchedule(expr)).toThrow(reason);
  });

  it("rejects an unknown time zone", () => {
    expect(() => parseSchedule("* * * * *", "Mars/Olympus")).toThrow("unknown time zone");
  });
});

// America/New_York: 2024-03-10 02:00 EST jumps to 03:00 EDT; 2024-11-03 02:00 EDT falls back to 01:00 EST.
describe("daylight saving time", () => {
  const tz = "America/New_York";

  it("fires a fixed-time job in the skipped hour at the first valid time after the gap", () => {
    const s = parseSchedule("0 30 2 * * *", tz);
    // 03:00 EDT = 07:00Z, on the same day.
    expect(iso(s.next(new Date("2024-03-10T05:00:00Z")))).toBe("2024-03-10T07:00:00.000Z");
  });

  it("skips the missing times of an interval job in the skipped hour", () => {
    const s = parseSchedule("0 0 * * * *", tz);
    // 01:00 EST (06:00Z) is followed by 03:00 EDT (07:00Z): there is no 02:00.
    expect(seq(s, "2024-03-10T05:30:00Z", 2)).toEqual([
      "2024-03-10T06:00:00.000Z",
      "2024-03-10T07:00:00.000Z",
    ]);
  });

  it("fires a fixed-time job in the repeated hour once, at its first occurrence", () => {
    const s = parseSchedule("0 30 1 * * *", tz);
    // 01:30 EDT = 05:30Z; the next is the following day, not 01:30 EST (06:30Z).
    expect(seq(s, "2024-11-03T04:00:00Z", 2)).toEqual([
      "2024-11-03T05:30:00.000Z",
      "2024-11-04T06:30:00.000Z",
    ]);
  });

  it("fires an interval job on both occurrences of the repeated hour", () => {
    const s = parseSchedule("0 */30 * * * *", tz);
    expect(seq(s, "2024-11-03T04:50:00Z", 4)).toEqual([
      "2024-11-03T05:00:00.000Z",
      "2024-11-03T05:30:00.000Z",
      "2024-11-03T06:00:00.000Z",
      "2024-11-03T06:30:00.000Z",
    ]);
  });

  it("writes the event time with the offset in force", () => {
    const tick = (at: string) =>
      timerEvent({ schedule: "t", scheduledAt: new Date(at), timezone: tz, userEvent: "" }).time;
    expect(tick("2024-11-03T05:30:00Z")).toBe("2024-11-03T01:30:00-04:00");
    expect(tick("2024-11-03T06:30:00Z")).toBe("2024-11-03T01:30:00-05:00");
  });
});

describe("timerEvent", () => {
  it("has FunctionGraph's timer-trigger shape", () => {
    expect(
      timerEvent({
        schedule: "Timer_001",
        scheduledAt: new Date("2023-06-01T00:30:00Z"),
        timezone: "Asia/Shanghai",
        userEvent: "hello",
      }),
    ).toEqual({
      version: "v1.0",
      time: "2023-06-01T08:30:00+08:00",
      trigger_type: "TIMER",
      trigger_name: "Timer_001",
      user_event: "hello",
    });
  });
});

describe("missedTicks", () => {
  const s = parseSchedule("0 * * * * *");
  const last = new Date("2024-01-01T00:00:00Z");
  const now = new Date("2024-01-01T00:05:30Z");

  it("skip fires nothing", () => {
    expect(missedTicks(s, last, now, "skip", 10)).toEqual([]);
  });
  it("fire-once fires the latest missed tick", () => {
    expect(missedTicks(s, last, now, "fire-once", 10).map(iso)).toEqual([
      "2024-01-01T00:05:00.000Z",
    ]);
  });
  it("fire-all fires every missed tick, oldest first, up to the bound", () => {
    expect(missedTicks(s, last, now, "fire-all", 10).map(iso)).toEqual([
      "2024-01-01T00:01:00.000Z",
      "2024-01-01T00:02:00.000Z",
      "2024-01-01T00:03:00.000Z",
      "2024-01-01T00:04:00.000Z",
      "2024-01-01T00:05:00.000Z",
    ]);
    expect(missedTicks(s, last, now, "fire-all", 2).map(iso)).toEqual([
      "2024-01-01T00:04:00.000Z",
      "2024-01-01T00:05:00.000Z",
    ]);
  });
  it("is bounded after a long outage", () => {
    const yearLater = new Date("2025-01-01T00:00:00Z");
    const started = performance.now();
    expect(missedTicks(parseSchedule("* * * * * *"), last, yearLater, "fire-all", 3)).toHaveLength(
      3,
    );
    // A few ms when bounded; walking the year's 31.6 M ticks one by one would take hours.
    expect(performance.now() - started).toBeLessThan(5000);
  }, 15_000);
  it("fires nothing when nothing was missed", () => {
    expect(missedTicks(s, new Date("2024-01-01T00:05:00Z"), now, "fire-all", 10)).toEqual([]);
  });
});
