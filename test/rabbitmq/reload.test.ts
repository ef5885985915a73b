/**
 * Reloading a running daemon's config while a stream flows: a filter, a new route and a
 * connector's options change by SIGHUP, then a route by `--watch`; an invalid config is refused
 * each way. Every record must reach exactly the functions that a config in force between its
 * publication and its delivery sends it to — once each — and none may be lost.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it, vi } from "vitest";
import { CLI, type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";
import { brokerFixture, stopDaemon, uniqueName } from "./helpers.js";

const broker = brokerFixture();

const color = (i: number) => (i % 3 === 0 ? "red" : "blue");
type Fn = "a" | "b";

/** Which functions get a record of each color under each config, in the order applied. */
const PHASES: Record<"red" | "blue", Fn[]>[] = [
  { blue: ["a"], red: ["a"] }, // 0: one route to a
  { blue: ["a"], red: [] }, // 1 (SIGHUP): a filter on that route, blue only
  { blue: ["a"], red: ["b"] }, // 2 (SIGHUP): a new route, red to b
  { blue: ["a"], red: ["b"] }, // 3 (SIGHUP): the connector's prefetch changed
  { blue: ["a"], red: ["a", "b"] }, // 4 (--watch): the filter dropped again
];

const sink = (fn: Fn) => `import { appendFileSync } from "node:fs";
import { join } from "node:path";
const out = join(import.meta.dirname, "..", "received-${fn}.log");
export async function handler(event) {
  const ids = event.records.flatMap((r) => r.messages.map((m) => JSON.parse(m).i));
  // Slow enough that a batch is always in flight when the config changes.
  await new Promise((r) => setTimeout(r, 20));
  appendFileSync(out, ids.map((i) => i + "\\n").join(""));
  return { ok: true };
}
`;

function config(queue: string, phase: number): string {
  const r1: Record<string, unknown> = {
    name: "all-to-a",
    from: "mq",
    to: ["a"],
    mode: "sync",
    batch: { maxRecords: 20, maxWaitMs: 5 },
  };
  if (phase >= 1 && phase <= 3) r1.filter = { body: { color: ["blue"] } };
  const routes: Record<string, unknown>[] = [r1];
  if (phase >= 2)
    routes.push({
      name: "red-to-b",
      from: "mq",
      to: ["b"],
      mode: "sync",
      batch: { maxRecords: 20, maxWaitMs: 5 },
      filter: { body: { color: ["red"] } },
    });
  return JSON.stringify({
    emulator: { functions: "./functions" },
    connectors: {
      mq: {
        type: "rabbitmq",
        url: "amqp://127.0.0.1:5672",
        username: "guest",
        password: "guest",
        queues: [queue],
        prefetch: phase >= 3 ? 40 : 60,
      },
    },
    routes,
    deadLetter: { type: "file", path: "./dead-letter.jsonl", fsync: false },
    admin: { port: 0 },
    shutdown: { deadlineMs: 10_000 },
  });
}

/** A config that `validate` refuses: a route from a connector that does not exist. */
const INVALID = (queue: string) =>
  config(queue, 3).replace('"from":"mq","to":["b"]', '"from":"nope","to":["b"]');

/** Publishes `{i, color}` continuously until stopped, noting when each was sent. */
function publisher(queue: string) {
  const sentAt: number[] = [];
  let running = true;
  const done = (async () => {
    const ch = await broker.model.createConfirmChannel();
    while (running) {
      for (let k = 0; k < 5; k++) {
        const i = sentAt.length;
        sentAt.push(Date.now());
        ch.sendToQueue(queue, Buffer.from(JSON.stringify({ i, color: color(i) })), {
          persistent: true,
        });
      }
      await ch.waitForConfirms();
      await new Promise((r) => setTimeout(r, 40));
    }
    await ch.close();
  })();
  return {
    sentAt,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** What each function received (ids, with repeats), and when the test first saw each id. */
function receiver(dir: string) {
  const seenAt = new Map<number, number>();
  const read = (fn: Fn) => {
    const file = join(dir, `received-${fn}.log`);
    return existsSync(file)
      ? readFileSync(file, "utf8").split("\n").filter(Boolean).map(Number)
      : [];
  };
  const poll = () => {
    const now = Date.now();
    for (const fn of ["a", "b"] as const)
      for (const i of read(fn)) if (!seenAt.has(i)) seenAt.set(i, now);
  };
  const timer = setInterval(poll, 25);
  return { seenAt, read, poll, close: () => clearInterval(timer) };
}

const linesNamed = (d: DaemonProcess, msg: string) => d.lines.filter((l) => l.msg === msg);

describe("reloading the config of a running daemon", () => {
  it("applies a filter, a route and a connector's options by SIGHUP and a route by --watch, with no record lost or sent twice", async () => {
    const queue = uniqueName("reload");
    broker.queues.push(queue);
    const ch = await broker.model.createChannel();
    await ch.assertQueue(queue, { durable: true });
    const dir = workDir("fgc-reload-");
    mkdirSync(join(dir, "functions"));
    for (const fn of ["a", "b"] as const)
      writeFileSync(join(dir, "functions", `${fn}.mjs`), sink(fn));
    const file = join(dir, "fgconnect.yaml");
    const rx = receiver(dir);
    /** When each change was made (signal sent, file written) and when the daemon had applied it. */
    const changes: { sent: number; applied: number }[] = [];
    let pub: ReturnType<typeof publisher> | undefined;
    let restarted = 0;
    /** Waits until 100 records published since the last change (or restart) were delivered. */
    const flowing = async () => {
      const since = Math.max(changes.at(-1)?.applied ?? 0, restarted);
      await vi.waitFor(
        () => {
          let n = 0;
          for (const [i] of rx.seenAt) if (pub!.sentAt[i]! > since) n += 1;
          expect(n).toBeGreaterThanOrEqual(100);
        },
        { timeout: 30_000, interval: 50 },
      );
    };

    let daemon = await startRunningDaemon(dir, config(queue, 0));
    broker.daemons.push(daemon);
    pub = publisher(queue);
    try {
      for (const phase of [1, 2, 3]) {
        await flowing();
        writeFileSync(file, config(queue, phase));
        const sent = Date.now();
        daemon.child.kill("SIGHUP");
        await vi.waitFor(() => expect(linesNamed(daemon, "config reloaded")).toHaveLength(phase), {
          timeout: 30_000,
          interval: 20,
        });
        changes.push({ sent, applied: Date.now() });
      }
      const reloads = linesNamed(daemon, "config reloaded");
      expect(reloads[0]).toMatchObject({ trigger: "SIGHUP", routesChanged: ["all-to-a"] });
      expect(reloads[1]).toMatchObject({ trigger: "SIGHUP", routesAdded: ["red-to-b"] });
      expect(reloads[2]).toMatchObject({ trigger: "SIGHUP", connectorsChanged: ["mq"] });
      expect(reloads[2]).not.toHaveProperty("routesChanged");

      // Refused as `fgconnect validate` refuses it; the stream goes on under config 3.
      await flowing();
      writeFileSync(file, INVALID(queue));
      daemon.child.kill("SIGHUP");
      const refused = await daemon.waitFor(
        (l) => l.msg === "config reload refused: the running config stays",
      );
      const validate = await promisify(execFile)(process.execPath, [
        CLI,
        "validate",
        "-c",
        file,
      ]).catch((e) => e);
      expect(validate.code).toBe(2);
      expect(validate.stderr).toBe(`fgconnect: ${refused.problems}\n`);
      expect(refused.problems).toContain('no connector named "nope"');
      await flowing();

      // The same stream into a daemon watching its file, started on config 3.
      expect(await stopDaemon(daemon)).toBe(0);
      daemon = await startRunningDaemon(dir, config(queue, 3), undefined, ["--watch"]);
      broker.daemons.push(daemon);
      restarted = Date.now();
      await flowing();
      // As editors save: a new file renamed over the old one.
      writeFileSync(`${file}.tmp`, config(queue, 4));
      const sent = Date.now();
      renameSync(`${file}.tmp`, file);
      await vi.waitFor(() => expect(linesNamed(daemon, "config reloaded")).toHaveLength(1), {
        timeout: 30_000,
        interval: 20,
      });
      changes.push({ sent, applied: Date.now() });
      expect(linesNamed(daemon, "config reloaded")[0]).toMatchObject({
        trigger: "watch",
        routesChanged: ["all-to-a"],
      });
      await flowing();
      writeFileSync(file, INVALID(queue));
      await daemon.waitFor(
        (l) => l.msg === "config reload refused: the running config stays" && l.trigger === "watch",
      );
      await flowing();
    } finally {
      await pub.stop();
    }

    // Every blue record reaches a, every red one published once b had its route reaches b.
    const last = pub.sentAt.length - 1;
    const bRoute = changes[1]!.applied;
    await vi.waitFor(
      () => {
        rx.poll();
        const a = new Set(rx.read("a"));
        const b = new Set(rx.read("b"));
        for (let i = 0; i <= last; i++) {
          if (color(i) === "blue") expect(a.has(i), `${i} not delivered to a`).toBe(true);
          else if (pub.sentAt[i]! > bRoute) expect(b.has(i), `${i} not delivered to b`).toBe(true);
        }
      },
      { timeout: 60_000, interval: 200 },
    );
    expect(await stopDaemon(daemon)).toBe(0);
    rx.poll();
    rx.close();

    const got = { a: rx.read("a"), b: rx.read("b") };
    for (const fn of ["a", "b"] as const) {
      expect(new Set(got[fn]).size, `${fn} got a record twice`).toBe(got[fn].length);
      // One queue, delivered in order: a reload keeps the order too.
      expect(got[fn]).toEqual([...got[fn]].sort((x, y) => x - y));
    }
    const by = { a: new Set(got.a), b: new Set(got.b) };
    const counted = new Array(PHASES.length).fill(0);
    for (let i = 0; i <= last; i++) {
      // The config in force at its arrival lies between the one in force when it was
      // published and the one in force when it was seen delivered.
      const lo = changes.filter((c) => c.applied <= pub.sentAt[i]!).length;
      const seen = rx.seenAt.get(i) ?? Number.POSITIVE_INFINITY;
      const hi = changes.filter((c) => c.sent <= seen).length;
      const fns = (["a", "b"] as const).filter((fn) => by[fn].has(i));
      const fits = PHASES.slice(lo, hi + 1).some((p) => p[color(i)].join() === fns.join());
      expect(fits, `record ${i} (${color(i)}) went to [${fns}], phases ${lo}..${hi}`).toBe(true);
      if (lo === hi) counted[lo] += 1;
    }
    // Each config had records that arrived under it and only it.
    console.log(`records per config (arrived under it alone): ${counted.join(", ")}`);
    expect((await ch.checkQueue(queue)).messageCount).toBe(0);
    await ch.close();
  });
});
