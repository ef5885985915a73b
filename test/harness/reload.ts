/**
 * For tests that reload a running daemon's config while a stream flows: what each function
 * received and when, the changes made and when they were in force, and the check that every
 * record went where a config in force between its publication and its delivery sends it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, vi } from "vitest";
import type { DaemonProcess } from "./daemon.js";

/** Records are `{i, color}`: the color decides where the routes send them. */
export type Color = "red" | "blue";
export const colorOf = (i: number): Color => (i % 3 === 0 ? "red" : "blue");

/** The functions that get a record of each color under one config; names in sorted order. */
export type Phase = Record<Color, string[]>;

/** What each function received (ids, with repeats, in order), and when each id was first seen. */
export class Deliveries {
  readonly seenAt = new Map<number, number>();
  readonly #ids = new Map<string, number[]>();

  add(fn: string, ids: readonly number[], at = Date.now()): void {
    const list = this.#ids.get(fn) ?? [];
    this.#ids.set(fn, list);
    list.push(...ids);
    for (const i of ids) if (!this.seenAt.has(i)) this.seenAt.set(i, at);
  }

  ids(fn: string): number[] {
    return this.#ids.get(fn) ?? [];
  }
}

/**
 * A function for an emulator in the test process: records the ids `idsOf` finds in the event.
 * Slow (`delayMs`) so that a batch is always in flight when the config changes.
 */
export function recordingSink(
  deliveries: Deliveries,
  fn: string,
  idsOf: (event: unknown) => number[],
  delayMs = 20,
): (event: unknown) => Promise<{ ok: true }> {
  return async (event) => {
    const ids = idsOf(event);
    await new Promise((r) => setTimeout(r, delayMs));
    deliveries.add(fn, ids);
    return { ok: true };
  };
}

/** The same, as a file the daemon's own emulator runs: it appends ids to `received-<fn>.log`. */
export const fileSink = (fn: string) => `import { appendFileSync } from "node:fs";
import { join } from "node:path";
const out = join(import.meta.dirname, "..", "received-${fn}.log");
export async function handler(event) {
  const ids = event.records.flatMap((r) => r.messages.map((m) => JSON.parse(m).i));
  await new Promise((r) => setTimeout(r, 20));
  appendFileSync(out, ids.map((i) => i + "\\n").join(""));
  return { ok: true };
}
`;

/** Deliveries read, every 25 ms, from the `received-<fn>.log` files of `fileSink` in `dir`. */
export function fileDeliveries(dir: string, fns: readonly string[]) {
  const deliveries = new Deliveries();
  const read = new Map<string, number>();
  const poll = () => {
    for (const fn of fns) {
      const file = join(dir, `received-${fn}.log`);
      if (!existsSync(file)) continue;
      const text = readFileSync(file, "utf8");
      // Only whole lines: a write may be under way.
      const lines = text
        .slice(0, text.lastIndexOf("\n") + 1)
        .split("\n")
        .filter(Boolean);
      deliveries.add(fn, lines.slice(read.get(fn) ?? 0).map(Number));
      read.set(fn, lines.length);
    }
  };
  const timer = setInterval(poll, 25);
  return { deliveries, poll, close: () => clearInterval(timer) };
}

/**
 * Publishes records `{i, color}` with `send`, `perTick` at a time every 40 ms, until stopped;
 * `sentAt[i]` is when record `i` was published.
 */
export function stream(send: (ids: number[]) => Promise<void>, perTick = 5) {
  const sentAt: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const ids = Array.from({ length: perTick }, (_, k) => sentAt.length + k);
      for (const _ of ids) sentAt.push(Date.now());
      await send(ids);
      await new Promise((r) => setTimeout(r, 40));
    }
  })();
  return {
    sentAt,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** When a config change was made (signal sent, file written) and when the daemon had applied it. */
export interface Change {
  sent: number;
  applied: number;
}

const reloadsOf = (d: DaemonProcess) => d.lines.filter((l) => l.msg === "config reloaded");

/**
 * The changes made to running daemons, and the wait for the stream to flow after each.
 * `sentAt[i]` is when record `i` was published.
 */
export class Reloads {
  readonly changes: Change[] = [];
  /** When a daemon was (re)started: the stream must flow again from there. */
  restarted = 0;

  constructor(
    private readonly deliveries: Deliveries,
    private readonly sentAt: readonly number[],
    /** How many records published under each config must be delivered before the next change. */
    private readonly perConfig = 100,
  ) {}

  /** Makes a change with `make` and waits until `daemon` logged its `count`th reload. */
  async apply(daemon: DaemonProcess, count: number, make: () => void): Promise<void> {
    const sent = Date.now();
    make();
    await vi.waitFor(() => expect(reloadsOf(daemon)).toHaveLength(count), {
      timeout: 30_000,
      interval: 20,
    });
    this.changes.push({ sent, applied: Date.now() });
  }

  /** Waits until `perConfig` records published since the last change (or restart) were delivered. */
  async flowing(): Promise<void> {
    const since = Math.max(this.changes.at(-1)?.applied ?? 0, this.restarted);
    await vi.waitFor(
      () => {
        let n = 0;
        for (const [i] of this.deliveries.seenAt) if (this.sentAt[i]! > since) n += 1;
        expect(n).toBeGreaterThanOrEqual(this.perConfig);
      },
      { timeout: 30_000, interval: 50 },
    );
  }
}

export const reloadsLogged = reloadsOf;

/** The configs that may have routed record `i`: from the one in force when it was published. */
const firstPhase = (changes: readonly Change[], sentAt: number) =>
  changes.filter((c) => c.applied <= sentAt).length;

/**
 * Waits until every record reached each function that every config in force since its
 * publication sends it to (those it must get whenever it arrives).
 */
export async function allDelivered(o: {
  deliveries: Deliveries;
  sentAt: readonly number[];
  changes: readonly Change[];
  phases: readonly Phase[];
  fns: readonly string[];
  poll?: () => void;
}): Promise<void> {
  const { deliveries, sentAt, changes, phases, fns } = o;
  await vi.waitFor(
    () => {
      o.poll?.();
      const by = new Map(fns.map((fn) => [fn, new Set(deliveries.ids(fn))]));
      for (let i = 0; i < sentAt.length; i++) {
        const may = phases.slice(firstPhase(changes, sentAt[i]!)).map((p) => p[colorOf(i)]);
        for (const fn of fns)
          if (may.every((p) => p.includes(fn)))
            expect(by.get(fn)!.has(i), `${i} not delivered to ${fn}`).toBe(true);
      }
    },
    { timeout: 60_000, interval: 200 },
  );
}

/**
 * Each record went to exactly the functions of one config in force between its publication
 * and the moment it was seen delivered, and none got it twice. Returns how many records
 * arrived under each config alone (a test shows them: each config should have had some).
 */
export function expectRoutedByConfigInForce(o: {
  deliveries: Deliveries;
  sentAt: readonly number[];
  changes: readonly Change[];
  phases: readonly Phase[];
  fns: readonly string[];
}): number[] {
  const { deliveries, sentAt, changes, phases, fns } = o;
  for (const fn of fns) {
    const seen = new Set<number>();
    const twice = deliveries.ids(fn).filter((i) => seen.has(i) || !seen.add(i));
    expect(twice, `${fn} got records twice`).toEqual([]);
  }
  const by = new Map(fns.map((fn) => [fn, new Set(deliveries.ids(fn))]));
  const counted = new Array<number>(phases.length).fill(0);
  for (let i = 0; i < sentAt.length; i++) {
    const color = colorOf(i);
    const lo = firstPhase(changes, sentAt[i]!);
    const seen = deliveries.seenAt.get(i) ?? Number.POSITIVE_INFINITY;
    const hi = changes.filter((c) => c.sent <= seen).length;
    const got = fns.filter((fn) => by.get(fn)!.has(i));
    const fits = phases.slice(lo, hi + 1).some((p) => p[color].join() === got.join());
    expect(fits, `record ${i} (${color}) went to [${got}], phases ${lo}..${hi}`).toBe(true);
    if (lo === hi) counted[lo]! += 1;
  }
  return counted;
}
