// Sync invocations per second: the core client beside raw undici requests to the same
// endpoint, against the emulator (own process) running a no-op function.
// Usage: node bench/invoke.mjs [seconds per round = 3] [rounds = 5]
import { createClient } from "@fgconnect/core";
import { Agent, request } from "undici";
import { startEmulatorProcess } from "./lib/emulator-process.mjs";
import { fmt, median, rate } from "./lib/measure.mjs";

const seconds = Number(process.argv[2] ?? 3);
const rounds = Number(process.argv[3] ?? 5);
const emu = await startEmulatorProcess();
const urn = `urn:fss:${emu.region}:${emu.projectId}:function:default:noop:latest`;
const body = JSON.stringify({ k: "v" });

const client = createClient({
  endpoint: emu.url,
  projectId: emu.projectId,
  region: emu.region,
  connections: 64,
});
const agent = new Agent({ connections: 64 });
const url = `${emu.url}/v2/${emu.projectId}/fgs/functions/${urn}/invocations`;
const headers = { "content-type": "application/json", "x-cff-request-version": "v1" };
const raw = async () => {
  const res = await request(url, { method: "POST", headers, body, dispatcher: agent });
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  JSON.parse(await res.body.text());
};
const viaClient = () => client.invoke(urn, { k: "v" });

// Warm both paths (connections, JIT).
await rate(raw, 64, 1000);
await rate(viaClient, 64, 1000);

const rows = [];
for (const concurrency of [1, 16, 64]) {
  const r = { raw: [], client: [], emuCpu: [] };
  for (let i = 0; i < rounds; i++) {
    // Alternate so that drift in the machine's load hits both alike.
    r.raw.push(await rate(raw, concurrency, seconds * 1000));
    const cpu0 = await emu.cpuMicros();
    const c = await rate(viaClient, concurrency, seconds * 1000);
    const cpu1 = await emu.cpuMicros();
    r.client.push(c);
    r.emuCpu.push((cpu1 - cpu0) / (c * seconds));
  }
  rows.push({
    concurrency,
    raw: median(r.raw),
    client: median(r.client),
    ratio: median(r.client) / median(r.raw),
    emuCpuMicrosPerCall: median(r.emuCpu),
  });
}
await client.close();
await agent.close();
await emu.close();

console.log(`node ${process.version}, ${rounds} rounds of ${seconds}s, medians`);
console.log(
  "concurrency | raw undici req/s | core client req/s | client/raw | emulator CPU per call",
);
for (const r of rows) {
  console.log(
    `${r.concurrency} | ${fmt(r.raw)} | ${fmt(r.client)} | ${(r.ratio * 100).toFixed(1)}% | ${r.emuCpuMicrosPerCall.toFixed(0)} µs`,
  );
}
