// Engine overhead: records per second from an in-memory source through the engine to the
// emulator (own process), beside the core client called directly at the same concurrency.
// Usage: node bench/engine.mjs [records per round = 20000] [rounds = 5]
import { rmSync } from "node:fs";
import { createClient, createEngine } from "@fgconnect/core";
import { startEmulatorProcess } from "./lib/emulator-process.mjs";
import { fmt, median } from "./lib/measure.mjs";
import { memorySource } from "./lib/memory-source.mjs";

const total = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 5);
const concurrency = 16;
const emu = await startEmulatorProcess();
const urn = `urn:fss:${emu.region}:${emu.projectId}:function:default:noop:latest`;
const client = createClient({
  endpoint: emu.url,
  projectId: emu.projectId,
  region: emu.region,
  connections: 64,
});
const event = { k: "v", n: 0 };
/** An invoker that answers on the next turn without HTTP: what the engine alone costs. */
const instant = {
  invoke: () =>
    new Promise((resolve) => setImmediate(() => resolve({ status: 200, result: { raw: "" } }))),
  invokeAsync: () => Promise.resolve({ status: 202, requestId: "" }),
};

async function throughEngine(invoker = client) {
  let finish;
  const finished = new Promise((r) => (finish = r));
  const dlq = `/tmp/fgconnect-bench-dlq-${process.pid}.jsonl`;
  const engine = createEngine({
    invoker,
    connectors: [memorySource(total, () => finish())],
    routes: [{ from: "memory", to: [urn], mode: "sync" }],
    deadLetter: { type: "file", path: dlq },
    limits: { maxInFlight: concurrency },
  });
  const started = performance.now();
  await engine.start();
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await engine.stop();
  rmSync(dlq, { force: true });
  return total / seconds;
}

async function direct() {
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      await client.invoke(urn, event);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return total / ((performance.now() - started) / 1000);
}

await direct();
await throughEngine();
const r = { engine: [], direct: [], engineCpu: [], directCpu: [], engineEmu: [], directEmu: [] };
/** Runs `fn`, keeping its rate and the CPU microseconds per record of this process and the emulator. */
const measure = async (fn, rates, cpus, emuCpus) => {
  const before = process.cpuUsage();
  const emuBefore = await emu.cpuMicros();
  rates.push(await fn());
  const used = process.cpuUsage(before);
  cpus.push((used.user + used.system) / total);
  emuCpus.push(((await emu.cpuMicros()) - emuBefore) / total);
};
for (let i = 0; i < rounds; i++) {
  await measure(direct, r.direct, r.directCpu, r.directEmu);
  await measure(throughEngine, r.engine, r.engineCpu, r.engineEmu);
}
// The engine alone, no HTTP: its own CPU per record (this process, medians of `rounds`).
const alone = [];
for (let i = 0; i < rounds; i++) {
  const before = process.cpuUsage();
  await throughEngine(instant);
  const used = process.cpuUsage(before);
  alone.push((used.user + used.system) / total);
}
await client.close();
await emu.close();
console.log(
  `node ${process.version}, ${total} records x ${rounds} rounds, concurrency ${concurrency}, medians`,
);
console.log(
  `client directly: ${fmt(median(r.direct))} records/s, ${fmt(median(r.directCpu))} µs CPU per record (emulator ${fmt(median(r.directEmu))} µs)`,
);
console.log(
  `through the engine: ${fmt(median(r.engine))} records/s, ${fmt(median(r.engineCpu))} µs CPU per record (emulator ${fmt(median(r.engineEmu))} µs)`,
);
console.log(`engine / direct: ${((median(r.engine) / median(r.direct)) * 100).toFixed(1)}%`);
console.log(
  `the engine alone (an invoker that answers at once): ${median(alone).toFixed(1)} µs CPU per record`,
);
