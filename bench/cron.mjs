// Cron firing accuracy: lateness of 1,000 fires of 1-second schedules (scheduled time to the
// record reaching the engine), and the daemon's idle RSS on the bundled example config.
// Usage: node bench/cron.mjs [schedules = 50] [seconds = 20]   (SKIP_RSS=1: accuracy only)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCronConnector } from "@fgconnect/cron";

const schedules = Number(process.argv[2] ?? 50);
const seconds = Number(process.argv[3] ?? 20);
const dir = mkdtempSync(join(tmpdir(), "fgconnect-bench-cron-"));

const lateness = [];
const connector = createCronConnector("bench", {
  stateFile: join(dir, "state.json"),
  allowOverlap: true,
  schedules: Array.from({ length: schedules }, (_, i) => ({
    name: `s${i}`,
    schedule: "* * * * * *",
  })),
});
const silent = { debug() {}, info() {}, warn() {}, error() {} };
await connector.start({
  logger: silent,
  push(record) {
    lateness.push(Date.now() - record.timestamp);
    return Promise.resolve("delivered");
  },
});
await new Promise((r) => setTimeout(r, seconds * 1000 + 500));
await connector.stop();

const sorted = lateness.sort((a, b) => a - b);
const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
console.log(
  `node ${process.version}: ${sorted.length} fires (${schedules} schedules x ${seconds} s)`,
);
console.log(`lateness p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${sorted.at(-1)} ms`);

if (process.env.SKIP_RSS) process.exit(0);
// Idle RSS of the daemon on the embedded default (cron into the in-process emulator).
const cli = new URL("../apps/runner/dist/cli.js", import.meta.url).pathname;
const daemon = spawn(process.execPath, [cli, "run", "--example"], {
  cwd: dir,
  env: { PATH: process.env.PATH, FGCONNECT_ADMIN_PORT: "0", FGCONNECT_LOG_LEVEL: "warn" },
  stdio: "ignore",
});
await new Promise((r) => setTimeout(r, 15_000));
const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${daemon.pid}/status`, "utf8"))[1]);
daemon.kill("SIGTERM");
await new Promise((r) => daemon.once("exit", r));
console.log(`daemon RSS after 15 s on the example config: ${(rssKb / 1024).toFixed(1)} MB`);
