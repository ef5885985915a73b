// Failover of a coordinated cron connector, per engine (Redis, PostgreSQL), default leaseMs:
//  - takeover: three `fgconnect run` replicas, a schedule every second; the lease holder is
//    SIGKILLed `kills` times (a replacement replica started at once, as a Deployment would);
//    takeover = first tick invocation sent by the new holder − the kill;
//  - false takeovers: leader changes while nobody is killed, over `quietSeconds`;
//  - cron lateness (scheduled time → record reaching the engine), 50 one-second schedules for
//    20 s, in this process: state in a local file (no coordination) vs in Redis / PostgreSQL
//    under a lease.
// Usage: node bench/failover.mjs [kills = 20] [quietSeconds = 120] [engines = redis,postgres]
// (kills 0: lateness only)
// Needs the build (apps/runner/dist), Redis on 127.0.0.1:6379 and PostgreSQL on :5432
// (FGCONNECT_TEST_REDIS / FGCONNECT_TEST_POSTGRES override).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createCoordinator, withLease } from "@fgconnect/core";
import { CronConnector, cronOptionsSchema, fileStateStore } from "@fgconnect/cron";
import { startEmulator } from "@fgconnect/emulator";
import { Redis } from "ioredis";
import pg from "pg";
import { median } from "./lib/measure.mjs";

const kills = Number(process.argv[2] ?? 20);
const quietSeconds = Number(process.argv[3] ?? 120);
const engineNames = (process.argv[4] ?? "redis,postgres").split(",");
const REDIS_URL = process.env.FGCONNECT_TEST_REDIS ?? "redis://127.0.0.1:6379";
const POSTGRES_URL =
  process.env.FGCONNECT_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";
const CLI = new URL("../apps/runner/dist/cli.js", import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tag = `bench${process.pid}_${randomBytes(3).toString("hex")}`;

const engines = {
  redis: () => {
    const prefix = `fgc-bench:${tag}:`;
    return {
      section: { type: "redis", url: REDIS_URL, keyPrefix: prefix },
      async cleanup() {
        const admin = new Redis(REDIS_URL);
        const keys = await admin.keys(`${prefix}*`);
        if (keys.length > 0) await admin.del(...keys);
        admin.disconnect();
      },
    };
  },
  postgres: () => {
    const schema = `fgc_${tag}`;
    return {
      section: { type: "postgres", url: POSTGRES_URL, schema },
      async cleanup() {
        const admin = new pg.Client({ connectionString: POSTGRES_URL });
        await admin.connect();
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await admin.end();
      },
    };
  },
};

const emu = await startEmulator({
  log: false,
  auth: false,
  functions: { tick: async (event) => ({ at: event.time }) },
});

/** One replica: its process and the lease lines it logged. */
function startReplica(section) {
  const dir = mkdtempSync(join(tmpdir(), "fgconnect-bench-failover-"));
  const file = join(dir, "fgconnect.yaml");
  writeFileSync(
    file,
    JSON.stringify({
      functiongraph: { endpoint: emu.url, region: emu.region, projectId: emu.projectId },
      connectors: {
        ticks: {
          type: "cron",
          misfire: "fire-all",
          schedules: [{ name: "every-second", schedule: "* * * * * *" }],
        },
      },
      routes: [{ from: "ticks", to: [emu.urnFor("tick")], mode: "sync" }],
      coordination: section,
      admin: { port: 0 },
    }),
  );
  const child = spawn(process.execPath, [CLI, "run", "-c", file], {
    cwd: dir,
    env: { PATH: process.env.PATH, FGCONNECT_LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "ignore"],
  });
  const replica = { child, gained: [], lost: [], alive: true };
  child.once("exit", () => {
    replica.alive = false;
  });
  let pending = "";
  child.stdout.on("data", (d) => {
    pending += d.toString();
    const lines = pending.split("\n");
    pending = lines.pop();
    for (const text of lines) {
      let line;
      try {
        line = JSON.parse(text);
      } catch {
        continue;
      }
      if (line.msg?.startsWith("lease gained")) replica.gained.push(line.time);
      if (line.msg?.startsWith("lease lost")) replica.lost.push(line.time);
    }
  });
  return replica;
}

async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

const gainsAfter = (replicas, t) =>
  replicas.flatMap((r) => r.gained.filter((g) => g >= t).map((g) => ({ r, g })));
const firstTickAfter = (t) =>
  emu.invocations.find((i) => i.urn.includes(":tick:") && new Date(i.time).getTime() >= t);

async function failover(name) {
  const engine = engines[name]();
  const replicas = [0, 1, 2].map(() => startReplica(engine.section));
  const leaseMs = 10_000;
  try {
    let leader = await until(
      () => replicas.find((r) => r.alive && r.gained.length > 0),
      60_000,
      "first leader",
    );
    // Quiet: every replica healthy, nobody killed; any further gain is a false takeover.
    const quietFrom = Date.now();
    await sleep(quietSeconds * 1000);
    const falseTakeovers = gainsAfter(replicas, quietFrom).length;
    const takeovers = [];
    for (let k = 0; k < kills; k++) {
      // A random moment in the holder's renewal cycle (renewal every leaseMs/3).
      await sleep(1000 + Math.random() * (leaseMs / 3));
      const killedAt = Date.now();
      leader.child.kill("SIGKILL");
      replicas.push(startReplica(engine.section));
      const { r, g } = await until(() => gainsAfter(replicas, killedAt)[0], 60_000, "takeover");
      const tick = await until(() => firstTickAfter(g), 10_000, "first tick of the new holder");
      takeovers.push({ gainedMs: g - killedAt, tickMs: new Date(tick.time).getTime() - killedAt });
      leader = r;
      process.stdout.write(
        `${name} kill ${k + 1}: first tick after ${takeovers.at(-1).tickMs} ms\n`,
      );
    }
    // Each kill should have made exactly one replica gain the lease.
    const extraGains = gainsAfter(replicas, quietFrom).length - falseTakeovers - kills;
    return { name, leaseMs, takeovers, falseTakeovers, extraGains };
  } finally {
    for (const r of replicas) if (r.alive) r.child.kill("SIGTERM");
    await sleep(3000);
    for (const r of replicas) if (r.alive) r.child.kill("SIGKILL");
    await engine.cleanup();
  }
}

/** Lateness of 50 one-second schedules over 20 s; `section` undefined: no coordination. */
async function lateness(section) {
  const dir = mkdtempSync(join(tmpdir(), "fgconnect-bench-failover-"));
  const options = cronOptionsSchema.parse({
    allowOverlap: true,
    stateFile: join(dir, "state.json"),
    schedules: Array.from({ length: 50 }, (_, i) => ({ name: `s${i}`, schedule: "* * * * * *" })),
  });
  const late = [];
  const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
  const ctx = {
    logger: silent,
    push(record) {
      late.push(Date.now() - record.timestamp);
      return Promise.resolve("delivered");
    },
  };
  let connector;
  let coordinator;
  if (section) {
    coordinator = createCoordinator(section);
    const shared = (term) => ({
      location: "coordination store",
      load: async () => JSON.parse((await term.get("cron-state")) ?? '{"lastFire":{}}'),
      save: (state) => term.set("cron-state", JSON.stringify(state)),
    });
    connector = withLease(coordinator.lease("bench-cron"), (term) =>
      term
        ? new CronConnector("bench", options, Date.now, shared(term))
        : new CronConnector("bench", options, Date.now, fileStateStore(options.stateFile)),
    );
  } else connector = new CronConnector("bench", options);
  await connector.start(ctx);
  if (coordinator) await until(() => coordinator.leases()[0]?.held, 30_000, "bench lease");
  late.length = 0;
  const gainedBefore = coordinator?.leases()[0]?.transitions.gained ?? 0;
  await sleep(20_500);
  // A lease lost and gained again during the run fires the ticks its last term did not record.
  const regained = (coordinator?.leases()[0]?.transitions.gained ?? 0) - gainedBefore;
  await connector.stop();
  await coordinator?.close();
  const s = late.sort((a, b) => a - b);
  const pct = (p) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  return { fires: s.length, p50: pct(50), p99: pct(99), max: s.at(-1), regained };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");
console.log(
  `node ${process.version}, ${kills} kills per engine, quiet ${quietSeconds} s; load ${load()}`,
);
const results = [];
// kills 0: the lateness comparison alone.
if (kills > 0) for (const name of engineNames) results.push(await failover(name));
console.log(`load average (1/5/15 min) after the failovers: ${load()}`);
console.log(
  "| engine | leaseMs | kills | takeover median | takeover max | lease gained: median / max | false takeovers (quiet) | unexplained gains |",
);
console.log("|---|---|---|---|---|---|---|---|");
for (const r of results) {
  const t = r.takeovers.map((x) => x.tickMs);
  const g = r.takeovers.map((x) => x.gainedMs);
  console.log(
    `| ${r.name} | ${r.leaseMs} | ${t.length} | ${(median(t) / 1000).toFixed(2)} s | ${(Math.max(...t) / 1000).toFixed(2)} s | ${(median(g) / 1000).toFixed(2)} / ${(Math.max(...g) / 1000).toFixed(2)} s | ${r.falseTakeovers} in ${quietSeconds} s | ${r.extraGains} |`,
  );
}
console.log(
  "| cron lateness, 50 schedules x 20 s | fires | p50 ms | p99 ms | max ms | lease regained |",
);
console.log("|---|---|---|---|---|---|");
const runs = [["no coordination (state file)", undefined]];
for (const name of engineNames) runs.push([`${name} lease, shared state`, engines[name]()]);
for (const [label, engine] of runs) {
  const r = await lateness(engine?.section);
  await engine?.cleanup();
  console.log(`| ${label} | ${r.fires} | ${r.p50} | ${r.p99} | ${r.max} | ${r.regained} |`);
}
console.log(
  `load average at the end: ${load()}; ${readFileSync("/proc/cpuinfo", "utf8").match(/^processor/gm).length} cores`,
);
await emu.close();
