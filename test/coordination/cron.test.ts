import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, startRedisServer } from "../harness/redis-server.js";
import { until } from "../harness/until.js";
import { engines, redisEngine, type TestEngine } from "./engines.js";
import { Replicas } from "./replicas.js";

const LEASE_MS = 2000;
// The documented bound (leaseMs), plus room for a loaded machine.
const TAKEOVER_BOUND_MS = LEASE_MS + 3000;

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({
    log: false,
    auth: false,
    functions: { tick: async (event: { time: string }) => ({ at: event.time }) },
  });
});
afterAll(() => emu.close());

const config = (engine: TestEngine) => (dir: string) =>
  JSON.stringify({
    functiongraph: { endpoint: emu.url, region: emu.region, projectId: emu.projectId },
    connectors: {
      ticks: {
        type: "cron",
        misfire: "fire-all",
        schedules: [{ name: "every-second", schedule: "* * * * * *" }],
      },
    },
    routes: [
      {
        name: "ticks-route",
        from: "ticks",
        to: [emu.urnFor("tick")],
        mode: "sync",
        delivery: { maxAttempts: 10, firstDelayMs: 100 },
      },
    ],
    coordination: engine.section(LEASE_MS),
    deadLetter: { type: "file", path: `${dir}/dead-letter.jsonl`, fsync: false },
    admin: { port: 0 },
    shutdown: { deadlineMs: 5000 },
  });

/** Tick time (ms) → how many times a function ran for it, since `from` invocations. */
function ticksSince(from: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (const i of emu.invocations.slice(from)) {
    if (!i.urn.includes(":tick:") || i.status !== 200) continue;
    const t = new Date((i.payload as { time: string }).time).getTime();
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return counts;
}

/**
 * Seconds between the first and the last tick that no function received, other than those the
 * overlap policy skipped on purpose (a tick still being delivered when the next came due).
 */
function gaps(counts: Map<number, number>, replicas: Replicas): number[] {
  const skipped = new Set(
    replicas.all.flatMap((d) =>
      d.lines
        .filter((l) => l.msg.startsWith("tick skipped"))
        .map((l) => new Date(l.scheduledAt as string).getTime()),
    ),
  );
  const times = [...counts.keys()].sort((a, b) => a - b);
  const missing: number[] = [];
  for (let t = times[0]!; t <= times.at(-1)!; t += 1000)
    if (!counts.has(t) && !skipped.has(t)) missing.push(t);
  return missing;
}

describe.each(engines)("cron under $name coordination", ({ make }) => {
  let engine: TestEngine;
  let replicas: Replicas;
  beforeAll(() => {
    engine = make();
  });
  afterEach(async () => {
    await replicas.stopAll();
  });
  afterAll(() => engine.cleanup());

  it("three replicas fire each tick once; when the leader is killed another takes over in time and fires the missed ticks once", async () => {
    replicas = new Replicas();
    const from = emu.invocations.length;
    await replicas.start(3, config(engine));
    const leader = await replicas.leader("ticks");
    const metrics = await (await fetch(`${leader.adminUrl}/metrics`)).text();
    expect(metrics).toContain('fgconnect_lease_held{connector="ticks"} 1');
    expect(metrics).toMatch(
      /fgconnect_lease_transitions_total\{connector="ticks",transition="gained"\} 1/,
    );
    expect(metrics).toMatch(/fgconnect_coordination_up\{engine="\w+"\} 1/);
    await until(() => ticksSince(from).size >= 6, 20_000, "six ticks");

    leader.child.kill("SIGKILL");
    const killedAt = Date.now();
    await leader.exited;
    const gained = await Promise.race(
      replicas.alive.map((d) => d.waitFor((l) => l.msg.startsWith("lease gained"), 20_000)),
    );
    const takeoverMs = (gained.time as number) - killedAt;
    expect(takeoverMs).toBeLessThanOrEqual(TAKEOVER_BOUND_MS);
    const afterTakeover = ticksSince(from).size;
    await until(() => ticksSince(from).size >= afterTakeover + 6, 20_000, "six more ticks");
    await replicas.stopAll();

    const counts = ticksSince(from);
    expect(gaps(counts, replicas)).toEqual([]);
    // Only a tick being delivered when the leader died may come twice.
    const twice = [...counts].filter(([, n]) => n > 1).map(([t]) => t);
    expect(twice.length).toBeLessThanOrEqual(1);
    for (const t of twice) expect(t).toBeLessThanOrEqual(killedAt);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
    expect([...counts.keys()].some((t) => t > killedAt)).toBe(true);
  });

  it("cutting the replicas' connections to the engine never lets two replicas fire the same tick", async () => {
    replicas = new Replicas();
    const from = emu.invocations.length;
    await replicas.start(3, config(engine));
    await replicas.leader("ticks");
    await until(() => ticksSince(from).size >= 3, 20_000, "three ticks");
    for (let cut = 0; cut < 3; cut++) {
      const before = ticksSince(from).size;
      // On a loaded machine the replicas may still be reconnecting from the last cut: each cut
      // waits until it has closed some of their connections.
      await until(
        async () => (await engine.cutConnections()) > 0,
        20_000,
        "replica connections to cut",
      );
      await until(() => ticksSince(from).size >= before + 3, 20_000, "ticks after the cut");
    }
    await replicas.stopAll();
    // The holder stopped acting after a cut.
    const lost = replicas.all.flatMap((d) => d.lines.filter((l) => l.msg.startsWith("lease lost")));
    expect(lost.length).toBeGreaterThan(0);
    const counts = ticksSince(from);
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    expect(gaps(counts, replicas)).toEqual([]);
  });
});

describe("cron under Redis coordination, the Redis server restarted", () => {
  let redis: RedisServer;
  let engine: TestEngine;
  let replicas: Replicas;
  beforeAll(async () => {
    redis = await startRedisServer();
    engine = redisEngine(redis.url);
  });
  afterAll(async () => {
    await replicas?.stopAll();
    await engine?.cleanup();
    await redis?.close();
  });

  it("while a replica holds the lease: the holder stops acting, fire-all fires what was missed, a tick comes twice only if it was in flight when its holder lost the lease", async () => {
    replicas = new Replicas();
    const from = emu.invocations.length;
    await replicas.start(3, config(engine));
    const holder = await replicas.leader("ticks");
    await until(() => ticksSince(from).size >= 3, 20_000, "three ticks");
    for (let restart = 0; restart < 2; restart++) {
      const before = ticksSince(from).size;
      await redis.restart(1500);
      await until(() => ticksSince(from).size >= before + 4, 30_000, "ticks after the restart");
    }
    await replicas.stopAll();
    // The holder counted the dropped connection as a lost lease.
    expect(holder.lines.some((l) => l.msg.startsWith("lease lost"))).toBe(true);
    const counts = ticksSince(from);
    expect(gaps(counts, replicas)).toEqual([]);
    // Down longer than the lease, Redis lets the lease expire: a tick the holder was still
    // delivering when it lost the lease cannot be recorded with its token, and the next holder
    // fires it again. Each such tick is one refused state write, and came before that loss.
    const twice = [...counts].filter(([, n]) => n > 1).map(([t]) => t);
    const lines = replicas.all.flatMap((d) => d.lines);
    const unsaved = lines.filter((l) => l.msg.startsWith("cron state not saved"));
    const losses = lines.filter((l) => l.msg.startsWith("lease lost")).map((l) => l.time as number);
    expect(twice.length).toBeLessThanOrEqual(unsaved.length);
    for (const t of twice) expect(losses.some((lost) => t <= lost)).toBe(true);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
  });
});
