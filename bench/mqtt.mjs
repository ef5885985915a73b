// MQTT → FunctionGraph throughput, side by side in one run, 256-byte messages from a backlog:
// a Mosquitto broker started here (temp config, free port) holds N messages for a persistent
// session; each scenario connects as that session and drains it.
//   ceiling  a raw mqtt.js subscriber doing nothing (acknowledges at once)
//   fgc      fgconnect: MqttConnector + engine delivering to a no-op function in the emulator
//            (own process), acknowledging each message after delivery; route batch 500 / 5 ms,
//            ordering per topic, 16 topics
// at QoS 0 and QoS 1. Each line also gives the CPU time of the three processes during the
// scenario, connect to stop (this process: the subscriber or fgconnect; the emulator;
// Mosquitto), as % of one core over the scenario's wall time.
// Usage: node bench/mqtt.mjs [messages = 100000] [in-flight window = 4000] [runs = 1]
// With MQTT_BENCH_PROFILE=dir, each fgc scenario writes a V8 CPU profile of its drain there.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, createEngine } from "@fgconnect/core";
import { startEmulatorProcess } from "./lib/emulator-process.mjs";
import { fmt, median } from "./lib/measure.mjs";

// @fgconnect/mqtt and mqtt are not (yet) bench dependencies: reach them through the package.
const mqttPkg = new URL("../packages/mqtt/", import.meta.url);
const mqtt = createRequire(new URL("package.json", mqttPkg))("mqtt");
const { createMqttConnector } = await import(new URL("dist/index.js", mqttPkg).href);

const TOPICS = 16;
const SIZE = 256;
const total = Number(process.argv[2] ?? 100_000);
// In-flight window: MQTT 5 receive maximum (client) and max_inflight_messages (broker).
const WINDOW = Number(process.argv[3] ?? 4000);
const RUNS = Number(process.argv[4] ?? 1);
const PROFILE = process.env.MQTT_BENCH_PROFILE;

const broker = await startBroker();
const emu = await startEmulatorProcess();
const results = [];
try {
  for (let run = 1; run <= RUNS; run++) {
    for (const qos of [0, 1]) {
      for (const name of ["ceiling", "fgc"]) {
        const clientId = `bench-${name}-q${qos}-${Date.now()}`;
        await createSession(clientId, qos);
        await fillBacklog();
        const before = await cpuNow();
        const started = performance.now();
        const r = await (name === "ceiling" ? ceiling(clientId) : fgc(clientId, qos));
        const wall = (performance.now() - started) / 1000;
        const cpu = cpuShare(before, await cpuNow(), wall);
        results.push({ run, name, qos, ...r });
        console.log(
          `run ${run} ${name.padEnd(8)} QoS ${qos}: ${fmt(r.rate)} msg/s (${fmt(r.received)} in ${r.seconds.toFixed(2)} s)  CPU: self ${cpu.self}%, emulator ${cpu.emulator}%, mosquitto ${cpu.mosquitto}%`,
        );
      }
    }
    for (const qos of [0, 1]) {
      const c = results.find((r) => r.run === run && r.name === "ceiling" && r.qos === qos);
      const f = results.find((r) => r.run === run && r.name === "fgc" && r.qos === qos);
      console.log(
        `run ${run} QoS ${qos}: fgconnect at ${((100 * f.rate) / c.rate).toFixed(0)}% of the ceiling`,
      );
    }
  }
  if (RUNS > 1) {
    for (const qos of [0, 1]) {
      const rates = (name) =>
        results.filter((r) => r.name === name && r.qos === qos).map((r) => r.rate);
      const c = median(rates("ceiling"));
      const f = median(rates("fgc"));
      const ratios = results
        .filter((r) => r.name === "fgc" && r.qos === qos)
        .map((f) => {
          const c = results.find((r) => r.run === f.run && r.name === "ceiling" && r.qos === qos);
          return (100 * f.rate) / c.rate;
        });
      console.log(
        `median of ${RUNS}, QoS ${qos}: ceiling ${fmt(c)} msg/s, fgconnect ${fmt(f)} msg/s; ratio per run ${ratios.map((x) => `${x.toFixed(0)}%`).join(", ")} (median ${median(ratios).toFixed(0)}%)`,
      );
    }
  }
} finally {
  await emu.close();
  await broker.stop();
}

/** CPU microseconds used so far by this process, the emulator and Mosquitto. */
async function cpuNow() {
  const { user, system } = process.cpuUsage();
  // /proc/<pid>/stat: utime and stime (fields 14 and 15) in clock ticks of 10 ms.
  const stat = readFileSync(`/proc/${broker.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const mosquitto = (Number(fields[11]) + Number(fields[12])) * 10_000;
  // The emulator answers at once; silence means its process is gone (killed from outside).
  let timer;
  const emulator = await Promise.race([
    emu.cpuMicros(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("the emulator process does not answer")), 10_000);
    }),
  ]).finally(() => clearTimeout(timer));
  return { self: user + system, emulator, mosquitto };
}

function cpuShare(before, after, seconds) {
  const pct = (k) => ((after[k] - before[k]) / 1e4 / seconds).toFixed(0);
  return { self: pct("self"), emulator: pct("emulator"), mosquitto: pct("mosquitto") };
}

async function createSession(clientId, qos) {
  const c = await mqtt.connectAsync(broker.url, {
    clientId,
    clean: false,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 3600 },
  });
  await c.subscribeAsync("bench/#", { qos });
  await c.endAsync();
}

async function fillBacklog() {
  const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
  const payload = Buffer.alloc(SIZE, "x");
  for (let i = 0; i < total; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(total, i + 1000); j++)
      batch.push(pub.publishAsync(`bench/t${j % TOPICS}`, payload, { qos: 1 }));
    await Promise.all(batch);
  }
  await pub.endAsync();
}

/** Resolves when `count()` reaches the total; measures from the first message. */
function drain(count, describe = () => "") {
  return new Promise((resolve) => {
    let first;
    let last = 0;
    let lastChange = performance.now();
    const timer = setInterval(() => {
      const n = count();
      const now = performance.now();
      if (n > 0 && first === undefined) first = now;
      if (n !== last) [last, lastChange] = [n, now];
      else if (now - lastChange > 10_000) {
        console.log(`  stalled at ${fmt(n)} of ${fmt(total)} for 10 s ${describe()}`);
        lastChange = now;
      }
      if (n >= total) {
        clearInterval(timer);
        const seconds = (now - first) / 1000;
        resolve({ received: n, seconds, rate: n / seconds });
      }
    }, 5);
  });
}

async function ceiling(clientId) {
  let n = 0;
  const c = mqtt.connect(broker.url, {
    clientId,
    clean: false,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 3600, receiveMaximum: WINDOW },
  });
  c.on("message", () => n++);
  const r = await drain(() => n);
  await c.endAsync();
  return r;
}

async function fgc(clientId, qos) {
  const client = createClient({ endpoint: emu.url, projectId: emu.projectId, region: emu.region });
  const connector = createMqttConnector("bench", {
    url: broker.url,
    clientId,
    topics: [{ filter: "bench/#", qos }],
    receiveMaximum: WINDOW,
  });
  const dir = mkdtempSync(join(tmpdir(), "fgc-bench-mqtt-"));
  const engine = createEngine({
    invoker: client,
    connectors: [connector],
    routes: [
      { from: "bench", to: ["noop"], mode: "sync", batch: { maxRecords: 500, maxWaitMs: 5 } },
    ],
    deadLetter: { type: "file", path: join(dir, "dlq.jsonl"), fsync: false },
    limits: { maxInFlight: 32 },
  });
  await engine.start();
  const session = PROFILE ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
  }
  const r = await drain(
    () => connector.stats.acknowledged,
    () => JSON.stringify({ stats: connector.stats, engine: engine.health() }),
  );
  if (session) {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(
      join(PROFILE, `mqtt-fgc-q${qos}-${Date.now()}.cpuprofile`),
      JSON.stringify(profile),
    );
    session.disconnect();
  }
  await engine.stop({ deadlineMs: 5000 });
  await client.close();
  rmSync(dir, { recursive: true, force: true });
  return r;
}

async function startBroker() {
  const dir = mkdtempSync(join(tmpdir(), "fgc-bench-mosquitto-"));
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    [
      `user ${process.env.USER ?? "root"}`,
      "persistence false",
      "max_queued_messages 0",
      `max_inflight_messages ${WINDOW}`,
      "queue_qos0_messages true",
      "log_dest none",
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "",
    ].join("\n"),
  );
  const bin =
    ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"].find((p) =>
      existsSync(p),
    ) ?? "mosquitto";
  const child = spawn(bin, ["-c", conf], { stdio: "ignore" });
  // Ready when it accepts a connection.
  for (;;) {
    try {
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
        reconnectPeriod: 0,
        connectTimeout: 500,
      });
      await c.endAsync();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
