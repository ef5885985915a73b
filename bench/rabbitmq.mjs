// RabbitMQ → FunctionGraph throughput, side by side in one run, 256-byte messages from a backlog
// in the shared broker (127.0.0.1:5672, or RABBITMQ_URL): each scenario fills a fresh queue with
// N messages, then drains it.
//   ceiling   a raw amqplib consumer (prefetch 1000) that acknowledges each message at once
//   fgc b1    fgconnect: RabbitmqConnector + engine delivering to a no-op function in the
//             emulator (own process), route batch 1, ordering none, prefetch 1000
//   fgc b100  the same with batch 100 / 5 ms
// Then the peak RSS of this process while fgconnect (batch 100) drains a large queue.
// Usage: node bench/rabbitmq.mjs [messages = 50000] [large = 200000]
//        node bench/rabbitmq.mjs --drain [messages = 1000000]
//   --drain: only the drain of a queue filled with that many messages first, with this process's
//   RSS at every tenth of the way (the backlog stays in the broker; memory should not grow).
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, createEngine } from "@fgconnect/core";
import { startEmulatorProcess } from "./lib/emulator-process.mjs";
import { fmt } from "./lib/measure.mjs";

// @fgconnect/rabbitmq and amqplib are not bench dependencies: reach them through the package.
const pkg = new URL("../packages/rabbitmq/", import.meta.url);
const amqplib = createRequire(new URL("package.json", pkg))("amqplib");
const { createRabbitmqConnector } = await import(new URL("dist/index.js", pkg).href);

const URL_ = process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const drainOnly = process.argv[2] === "--drain";
const total = drainOnly ? 0 : Number(process.argv[2] ?? 50_000);
const large = Number(process.argv[3] ?? (drainOnly ? 1_000_000 : 200_000));
const PREFETCH = 1000;
const BODY = Buffer.alloc(256, "x");

const admin = await amqplib.connect(URL_);
const emu = await startEmulatorProcess();
const queues = [];
try {
  const rates = {};
  for (const name of drainOnly ? [] : ["ceiling", "fgc b1", "fgc b100"]) {
    const queue = await fill(total);
    const started = performance.now();
    if (name === "ceiling") await ceiling(queue, total);
    else await fgc(queue, total, name === "fgc b1" ? 1 : 100);
    const seconds = (performance.now() - started) / 1000;
    rates[name] = total / seconds;
    console.log(
      `${name.padEnd(9)}: ${fmt(rates[name])} msg/s (${fmt(total)} in ${seconds.toFixed(2)} s)`,
    );
  }
  for (const name of drainOnly ? [] : ["fgc b1", "fgc b100"])
    console.log(`${name}: ${((100 * rates[name]) / rates.ceiling).toFixed(0)}% of the ceiling`);

  const filling = performance.now();
  const queue = await fill(large);
  if (drainOnly)
    console.log(`filled ${fmt(large)} in ${((performance.now() - filling) / 1000).toFixed(0)} s`);
  const before = process.memoryUsage().rss;
  let peak = before;
  const probe = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  const started = performance.now();
  let nextTenth = 1;
  await fgc(queue, large, 100, (acknowledged) => {
    if (!drainOnly || acknowledged < (large * nextTenth) / 10) return;
    nextTenth = Math.floor((10 * acknowledged) / large) + 1;
    const s = ((performance.now() - started) / 1000).toFixed(0);
    console.log(
      `  ${fmt(acknowledged)} acknowledged at ${s} s: RSS ${mb(process.memoryUsage().rss)} MB`,
    );
  });
  clearInterval(probe);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `drain of ${fmt(large)}: ${fmt(large / seconds)} msg/s; RSS ${mb(before)} MB before, peak ${mb(peak)} MB`,
  );
} finally {
  const ch = await admin.createChannel();
  for (const q of queues) await ch.deleteQueue(q).catch(() => {});
  await admin.close();
  await emu.close();
}

function mb(bytes) {
  return (bytes / 1024 / 1024).toFixed(0);
}

async function fill(n) {
  const queue = `fgc-bench-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  queues.push(queue);
  const ch = await admin.createConfirmChannel();
  await ch.assertQueue(queue, { durable: false });
  for (let i = 0; i < n; i++) {
    if (!ch.sendToQueue(queue, BODY)) await new Promise((r) => ch.once("drain", r));
    if (i % 5000 === 4999) await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
  await ch.close();
  return queue;
}

async function ceiling(queue, n) {
  const model = await amqplib.connect(URL_);
  const ch = await model.createChannel();
  await ch.prefetch(PREFETCH);
  let got = 0;
  await new Promise((resolve) => {
    void ch.consume(queue, (m) => {
      ch.ack(m);
      if (++got === n) resolve();
    });
  });
  await model.close();
}

async function fgc(queue, n, batch, progress = () => {}) {
  const client = createClient({ endpoint: emu.url, projectId: emu.projectId, region: emu.region });
  const connector = createRabbitmqConnector("bench", {
    url: URL_,
    queues: [queue],
    prefetch: PREFETCH,
    ordering: "none",
  });
  const dir = mkdtempSync(join(tmpdir(), "fgc-bench-rabbitmq-"));
  const engine = createEngine({
    invoker: client,
    connectors: [connector],
    routes: [
      { from: "bench", to: ["noop"], mode: "sync", batch: { maxRecords: batch, maxWaitMs: 5 } },
    ],
    deadLetter: { type: "file", path: join(dir, "dlq.jsonl"), fsync: false },
    limits: { maxInFlight: 32 },
  });
  await engine.start();
  while (connector.stats.acknowledged < n) {
    await new Promise((r) => setTimeout(r, 20));
    progress(connector.stats.acknowledged);
  }
  await engine.stop({ deadlineMs: 5000 });
  await client.close();
  rmSync(dir, { recursive: true, force: true });
}
