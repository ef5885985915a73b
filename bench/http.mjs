// HTTP → FunctionGraph, side by side in one run: requests/s and latency percentiles of
//   direct  the core client invoking the emulator's no-op function (sync), no HTTP connector
//   fgc     HTTP requests (undici, keep-alive) to an HttpConnector + engine in this process,
//           each request one sync invocation of the same function; the answer is its result
// The emulator runs in its own process; the load generator shares this process with fgconnect.
// Usage: node bench/http.mjs [seconds per scenario = 5] [concurrency = 32]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, createEngine } from "@fgconnect/core";
import { startEmulatorProcess } from "./lib/emulator-process.mjs";
import { fmt } from "./lib/measure.mjs";

// @fgconnect/http and undici are reached through their packages (not bench dependencies).
const httpPkg = new URL("../packages/http/", import.meta.url);
const { createHttpConnector } = await import(new URL("dist/index.js", httpPkg).href);
const { Agent, request } = await import(
  new URL("../test/node_modules/undici/index.js", import.meta.url).href
);

const SECONDS = Number(process.argv[2] ?? 5);
const CONCURRENCY = Number(process.argv[3] ?? 32);
const BODY = JSON.stringify({ order: 17, sku: "a1", qty: 2 });

/** Runs `call` with CONCURRENCY workers for SECONDS; returns rate and latency percentiles. */
async function measure(call) {
  for (let i = 0; i < 200; i++) await call(); // warm-up
  const latencies = [];
  const end = performance.now() + SECONDS * 1000;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await call();
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const wall = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { rate: latencies.length / wall, p50: p(0.5), p99: p(0.99) };
}

const emu = await startEmulatorProcess();
const dir = mkdtempSync(join(tmpdir(), "fgc-bench-http-"));
const results = {};
try {
  const client = createClient({ endpoint: emu.url, projectId: emu.projectId, region: emu.region });
  results.direct = await measure(() => client.invoke("noop", JSON.parse(BODY)));

  const connector = createHttpConnector("api", {
    host: "127.0.0.1",
    port: 0,
    routes: [{ name: "orders", method: "POST", path: "/orders/{id}" }],
  });
  const engine = createEngine({
    invoker: client,
    connectors: [connector],
    routes: [{ from: "api", to: ["noop"], mode: "sync" }],
    deadLetter: { type: "file", path: join(dir, "dlq.jsonl"), fsync: false },
    limits: { maxInFlight: 64 },
  });
  await engine.start();
  const agent = new Agent({ connections: CONCURRENCY });
  let failed = 0;
  results.fgc = await measure(async () => {
    const res = await request(`${connector.url}/orders/17`, {
      method: "POST",
      body: BODY,
      headers: { "content-type": "application/json" },
      dispatcher: agent,
    });
    await res.body.dump();
    if (res.statusCode !== 200) failed++;
  });
  results.fgc.failed = failed;
  await agent.close();
  await engine.stop({ deadlineMs: 5000 });
} finally {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
}

console.log(`${SECONDS} s per scenario, concurrency ${CONCURRENCY}, no-op function, sync`);
console.log("scenario  req/s    p50 ms  p99 ms");
for (const [name, r] of Object.entries(results))
  console.log(
    `${name.padEnd(8)}  ${fmt(r.rate).padStart(6)}  ${r.p50.toFixed(1).padStart(6)}  ${r.p99.toFixed(1).padStart(6)}${r.failed ? `  (${r.failed} not 200)` : ""}`,
  );
console.log(`fgc / direct: ${((100 * results.fgc.rate) / results.direct.rate).toFixed(1)}%`);
