import { afterEach, describe, expect, it } from "vitest";
import { ChaosDaemon, KILLS } from "./chaos.js";

/** How long the daemon stays down after each SIGKILL: a few missed ticks each time. */
const DOWN_MS = 3_000;

let run: ChaosDaemon | undefined;
afterEach(() => run?.close());

describe("a cron schedule every second with misfire fire-all", () => {
  it(`SIGKILLed ${KILLS} times for a few seconds, with a function failing 30% of calls: every tick from the first to the last fired, none twice beyond the one in flight at each kill`, async () => {
    run = new ChaosDaemon(
      "cron fire-all",
      // The timer event's `time` is the tick's due time: its id.
      { ids: "(event) => [{ id: event.time }]" },
      {
        connectors: {
          ticks: {
            type: "cron",
            misfire: "fire-all",
            stateFile: "./cron-state.json",
            schedules: [{ name: "every-second", schedule: "* * * * * *" }],
          },
        },
        // Failed calls are retried within milliseconds, so a tick is never still in flight
        // when the next one is due (which allowOverlap false would skip, by design).
        routes: [
          { from: "ticks", delivery: { firstDelayMs: 10, maxDelayMs: 50, maxAttempts: 30 } },
        ],
      },
    );
    const ticks = () => [...run!.tally().counts.keys()].map((t) => Date.parse(t));
    // Each kill lands in the steady state, a few scheduled ticks after the catch-up: then only
    // the tick in flight (delivered, its state not yet saved) may fire again.
    const scheduledTicks = async (n: number) => {
      const from = Date.now();
      await run!.until(
        `${n} ticks due after ${new Date(from).toISOString()}`,
        () => ticks().filter((t) => t > from).length >= n,
      );
    };
    await run.start();
    for (let i = 0; i < KILLS; i++) {
      await scheduledTicks(3);
      await run.kill();
      await new Promise((r) => setTimeout(r, DOWN_MS));
      await run.start();
    }
    await scheduledTicks(3);
    expect(await run.stop()).toBe(0);

    const t = run.tally();
    const fired = ticks().sort((a, b) => a - b);
    const first = fired[0]!;
    const last = fired.at(-1)!;
    const gaps: string[] = [];
    const have = new Set(fired);
    for (let s = first; s <= last; s += 1_000)
      if (!have.has(s)) gaps.push(new Date(s).toISOString());
    const twice = [...t.counts].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
    run.report(
      (last - first) / 1_000 + 1,
      KILLS,
      `ticks ${new Date(first).toISOString()} … ${new Date(last).toISOString()}; missing: ${gaps.join(", ") || "none"}; twice: ${twice.join(", ") || "none"}`,
    );
    // Down time covered: each kill's missed ticks lie between the first and the last tick.
    expect(first).toBeLessThan(run.kills[0]!.at);
    expect(last).toBeGreaterThan(run.kills.at(-1)!.at + DOWN_MS);
    expect(run.deadLetters()).toEqual([]);
    const skipped = run.incarnations.flatMap((d) =>
      d.lines.filter((l) => l.msg.startsWith("tick skipped")).map((l) => JSON.stringify(l)),
    );
    expect(gaps, skipped.join("\n")).toEqual([]);
    // A tick delivered just before a kill, before its state was saved, fires again: one per kill.
    expect(t.duplicates).toBeLessThanOrEqual(KILLS);
    expect(run.stackTraces()).toEqual([]);
  });
});
