// Kafka → FunctionGraph throughput, side by side in one run: a Kafka 3.9 broker (cached jars,
// started here), 1 KB records, a no-op function in the emulator (own process). Each scenario
// runs in its own process (clean RSS) and consumes the same backlog with a fresh group:
//   ceiling   kafkajs eachBatch, no-op handler (no invocation at all)
//   naive     kafkajs eachMessage awaiting one HTTP invoke per record
//   batch1    fgconnect, batch 1, per-key ordering
//   batch100  fgconnect, batch 100, per-partition ordering (drains the whole backlog; RSS sampled)
//   batch1:platformatic, batch100:platformatic   the same on the @platformatic/kafka client
//             (the connector's `client: platformatic`; Node >= 22.22, skipped on older Node)
// Usage: node bench/kafka.mjs [records = 1000000] [seconds for naive/batch1 = 15] [scenarios…]
// Each line reports the CPU seconds used by the consumer under test, the emulator and the
// broker while the scenario ran. Knobs (environment): BENCH_PARTITIONS (default 16),
// BENCH_PROF=dir (a --cpu-prof of each scenario's process), BENCH_MEMORY=1 (heap/external at
// the RSS peak), BENCH_FETCH / BENCH_LIMITS (JSON: the connector's `fetch`, the engine's
// `limits`; defaults otherwise).
// Needs the broker jars in .cache/kafka/3.9.2 (run the kafka integration tests once).
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulatorProcess } from "./lib/emulator-process.mjs";
import { fmt } from "./lib/measure.mjs";

// @fgconnect/kafka and kafkajs are not (yet) bench dependencies: reach them through the package.
const kafkaPkg = new URL("../packages/kafka/", import.meta.url);
const { Kafka, logLevel } = createRequire(new URL("package.json", kafkaPkg))("kafkajs");

const TOPIC = "bench";
// 16 partitions: a realistic topic sized for parallel consumers (4 gave batch 100 only 4 lanes).
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 16);
const KEYS = 1000;
const VERSION = "3.9.2";
const SCENARIOS = [
  "ceiling",
  "naive",
  "batch1",
  "batch100",
  "batch1:platformatic",
  "batch100:platformatic",
];
const [major, minor] = process.versions.node.split(".").map(Number);
const platformaticRuns = major > 22 || (major === 22 && minor >= 22);

if (process.env.BENCH_SCENARIO) await scenario(process.env.BENCH_SCENARIO);
else await main();

async function main() {
  const total = Number(process.argv[2] ?? 1_000_000);
  const seconds = Number(process.argv[3] ?? 15);
  const broker = await startBroker();
  const emu = await startEmulatorProcess();
  try {
    const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
    await produceBacklog(kafka, total);
    const env = {
      BENCH_BROKER: broker.address,
      BENCH_EMU: JSON.stringify(emu),
      BENCH_TOTAL: String(total),
      BENCH_SECONDS: String(seconds),
    };
    const results = [];
    const chosen = process.argv.length > 4 ? process.argv.slice(4) : SCENARIOS;
    for (const name of chosen) {
      if (name.endsWith(":platformatic") && !platformaticRuns) {
        console.log(`${name}: skipped (@platformatic/kafka needs Node >= 22.22)`);
        continue;
      }
      const cpu0 = { emu: await emu.cpuMicros(), broker: broker.cpuSeconds() };
      const r = await runScenario(name, env);
      const emuCpu = ((await emu.cpuMicros()) - cpu0.emu) / 1e6;
      const brokerCpu = broker.cpuSeconds() - cpu0.broker;
      results.push(r);
      if (process.env.BENCH_MEMORY)
        console.log(
          name,
          "memory at max RSS (MB):",
          Object.fromEntries(
            Object.entries(r.atMax ?? {}).map(([k, v]) => [k, Math.round(v / 2 ** 20)]),
          ),
        );
      console.log(
        `${name.padEnd(21)} ${fmt(r.records).padStart(9)} records in ${r.seconds.toFixed(1)} s = ${fmt(r.rate).padStart(7)} records/s, max RSS ${fmt(r.maxRssMb)} MB; CPU s: consumer ${r.cpuSeconds.toFixed(1)}, emulator ${emuCpu.toFixed(1)}, broker ${brokerCpu.toFixed(1)}`,
      );
    }
    if (!["naive", "batch1", "batch100"].every((n) => chosen.includes(n))) return;
    const by = Object.fromEntries(results.map((r) => [r.name, r]));
    console.log(
      `batch1 / naive = ${(by.batch1.rate / by.naive.rate).toFixed(1)}x; batch100 = ${fmt(by.batch100.rate)} records/s (goal 50,000); batch100 max RSS ${fmt(by.batch100.maxRssMb)} MB (goal 200)`,
    );
  } finally {
    await emu.close();
    await broker.stop();
  }
}

function runScenario(name, env) {
  return new Promise((resolve, reject) => {
    const prof = process.env.BENCH_PROF
      ? [
          "--cpu-prof",
          `--cpu-prof-dir=${process.env.BENCH_PROF}`,
          `--cpu-prof-name=${name}.cpuprofile`,
        ]
      : [];
    const child = spawn(process.execPath, [...prof, new URL(import.meta.url).pathname], {
      env: { ...process.env, ...env, BENCH_SCENARIO: name },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.once("exit", (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split("\n").at(-1)))
        : reject(new Error(`${name} exited ${code}`)),
    );
  });
}

async function produceBacklog(kafka, total) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic: TOPIC, numPartitions: PARTITIONS }],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const value = Buffer.alloc(1024, "a");
  const started = performance.now();
  const chunk = 2000;
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const from = next;
      next += chunk;
      const messages = [];
      for (let i = from; i < Math.min(from + chunk, total); i++)
        messages.push({ key: `k${i % KEYS}`, value });
      await producer.send({ topic: TOPIC, acks: 1, messages });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  await producer.disconnect();
  console.log(
    `produced ${fmt(total)} × 1 KB records in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

// ---- one scenario, in its own process; prints one JSON line ----

async function scenario(name) {
  const [base, kafkaClient = "kafkajs"] = name.split(":");
  const broker = process.env.BENCH_BROKER;
  const emu = JSON.parse(process.env.BENCH_EMU);
  const total = Number(process.env.BENCH_TOTAL);
  const windowMs = Number(process.env.BENCH_SECONDS) * 1000;
  const urn = `urn:fss:${emu.region}:${emu.projectId}:function:default:noop:latest`;
  const group = `${base}-${kafkaClient}-${randomUUID()}`;
  let maxRss = 0;
  let atMax;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > maxRss) {
      maxRss = m.rss;
      atMax = m;
    }
  }, 100);
  let count = 0;
  let firstAt;
  let cpuAtFirst;
  const tick = (n = 1) => {
    cpuAtFirst ??= process.cpuUsage();
    firstAt ??= performance.now();
    count += n;
  };
  const until = (limit) =>
    new Promise((resolve) => {
      const t = setInterval(() => {
        if (
          count >= limit ||
          (firstAt !== undefined &&
            performance.now() - firstAt >= windowMs &&
            base !== "ceiling" &&
            base !== "batch100")
        ) {
          clearInterval(t);
          resolve();
        }
      }, 20);
    });
  let stop;
  if (base === "ceiling" || base === "naive") {
    const { createClient } = await import("../packages/core/dist/index.js");
    const client = createClient({
      endpoint: emu.url,
      projectId: emu.projectId,
      region: emu.region,
    });
    const kafka = new Kafka({ brokers: [broker], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: group });
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    if (base === "ceiling")
      await consumer.run({ eachBatch: async ({ batch }) => tick(batch.messages.length) });
    else
      await consumer.run({
        eachMessage: async ({ message }) => {
          await client.invoke(urn, { value: message.value.toString() });
          tick();
        },
      });
    stop = () => consumer.disconnect();
  } else {
    const { createClient, createEngine } = await import("../packages/core/dist/index.js");
    const { createKafkaConnector } = await import(new URL("dist/index.js", kafkaPkg).href);
    const client = createClient({
      endpoint: emu.url,
      projectId: emu.projectId,
      region: emu.region,
      connections: 64,
    });
    const connector = createKafkaConnector("bench", {
      brokers: [broker],
      topics: [TOPIC],
      groupId: group,
      startFrom: "earliest",
      client: kafkaClient,
      ordering: base === "batch1" ? "key" : "partition",
      ...(process.env.BENCH_FETCH ? { fetch: JSON.parse(process.env.BENCH_FETCH) } : {}),
    });
    const dir = mkdtempSync(join(tmpdir(), "fgconnect-bench-"));
    const batch = base === "batch1" ? { maxRecords: 1 } : { maxRecords: 100, maxBytes: 200 * 1024 };
    const engine = createEngine({
      invoker: client,
      // Counted as the engine reports deliveries (the native payload is JSON bytes).
      metrics: { delivered: (_labels, n) => tick(n) },
      connectors: [connector],
      routes: [{ from: "bench", to: [urn], mode: "sync", batch }],
      deadLetter: { type: "file", path: join(dir, "dlq.jsonl") },
      limits: process.env.BENCH_LIMITS ? JSON.parse(process.env.BENCH_LIMITS) : {},
    });
    await engine.start();
    stop = async () => {
      await engine.stop({ deadlineMs: 5_000 });
      rmSync(dir, { recursive: true, force: true });
    };
  }
  await until(total);
  const seconds = (performance.now() - firstAt) / 1000;
  const records = count;
  const cpu = process.cpuUsage(cpuAtFirst);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  clearInterval(sampler);
  await stop();
  process.stdout.write(
    `${JSON.stringify({ name, records, seconds, rate: records / seconds, maxRssMb: maxRss / 2 ** 20, cpuSeconds, atMax })}\n`,
  );
  process.exit(0);
}

// ---- the broker ----

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startBroker() {
  const jars = new URL(`../.cache/kafka/${VERSION}/`, import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), "fgconnect-bench-kafka-"));
  const [port, controller] = [await freePort(), await freePort()];
  const config = join(dir, "server.properties");
  writeFileSync(
    config,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      "controller.listener.names=CONTROLLER",
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      `log.dirs=${join(dir, "logs")}`,
      "offsets.topic.replication.factor=1",
      "offsets.topic.num.partitions=4",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "group.initial.rebalance.delay.ms=0",
      "",
    ].join("\n"),
  );
  const jvm = [
    "-Xms256m",
    "-Xmx1g",
    "-XX:+UseSerialGC",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
    "-cp",
    `${jars}*`,
  ];
  execFileSync(
    "java",
    [
      ...jvm,
      "kafka.tools.StorageTool",
      "format",
      "-t",
      randomUUID().replaceAll("-", "").slice(0, 22),
      "-c",
      config,
    ],
    { stdio: "ignore" },
  );
  const child = spawn(
    "java",
    [
      ...jvm,
      "-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info",
      "kafka.Kafka",
      config,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  await new Promise((resolve, reject) => {
    let seen = "";
    const on = (d) => {
      seen += d;
      if (seen.includes("Kafka Server started")) resolve();
    };
    child.stdout.on("data", on);
    child.stderr.on("data", on);
    child.once("exit", () => reject(new Error(`broker exited: ${seen.slice(-2000)}`)));
  });
  const ticks = 100; // USER_HZ
  return {
    address: `127.0.0.1:${port}`,
    /** CPU seconds the broker process has used so far (from /proc). */
    cpuSeconds() {
      const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
      return (Number(fields[11]) + Number(fields[12])) / ticks;
    },
    stop: () =>
      new Promise((resolve) => {
        child.removeAllListeners("exit");
        child.once("exit", () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}
