// What tracing costs the engine: CPU per record through the engine with an invoker that answers
// at once (no HTTP), in a fresh process per mode, alternating, medians:
//   off      no OpenTelemetry SDK: the engine makes no span (the default)
//   sampled  an SDK with OTEL_TRACES_SAMPLER=always_off: spans are made but not recorded
//   on       an SDK recording every span into a batch processor whose exporter drops them
//   before   (with a path) the core package built from another checkout, or by
//            bench/lib/untraced-core.mjs: this checkout's engine with no tracing code
// A fresh process measures a young one (its second round): JIT compilation on other threads is
// counted too. `--paired` compares `off` with `before` in one warm process instead, alternating
// rounds, the median of the rounds' differences: what the per-batch code costs once compiled.
// Usage: node bench/tracing.mjs [records = 20000] [rounds = 5] [core dist of `before`]
//        node bench/tracing.mjs --paired <core dist of `before`> [rounds = 100] [records = 20000]
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median } from "./lib/measure.mjs";
import { memorySource } from "./lib/memory-source.mjs";

const [, , mode, records, corePath] = process.argv;

/** Answers on the next turn, as fast as an invoker can. */
const instant = {
  invoke: () =>
    new Promise((resolve) => setImmediate(() => resolve({ requestId: "r", status: 200, raw: "" }))),
  invokeAsync: () => Promise.resolve({ requestId: "r" }),
};

if (mode === "--child") await child(Number(records), corePath);
else if (mode === "--paired") await paired(process.argv[3], Number(process.argv[4] ?? 100));
else await parent();

async function parent() {
  const total = Number(process.argv[2] ?? 20_000);
  const rounds = Number(process.argv[3] ?? 5);
  const before = process.argv[4];
  const modes = ["off", "sampled", "on", ...(before ? ["before"] : [])];
  const cpu = Object.fromEntries(modes.map((m) => [m, []]));
  const rate = Object.fromEntries(modes.map((m) => [m, []]));
  for (let i = 0; i < rounds; i++) {
    // A different mode first each round: the machine's drift does not favour one.
    const order = [...modes.slice(i % modes.length), ...modes.slice(0, i % modes.length)];
    for (const m of order) {
      const run = spawnSync(
        process.execPath,
        [fileURLToPath(import.meta.url), "--child", String(total), m === "before" ? before : ""],
        {
          env: { ...process.env, BENCH_MODE: m },
          encoding: "utf8",
        },
      );
      if (run.status !== 0) throw new Error(`${m} failed:\n${run.stderr}`);
      const r = JSON.parse(run.stdout);
      cpu[m].push(r.cpuMicros);
      rate[m].push(r.perSecond);
    }
  }
  console.log(`node ${process.version}, ${total} records x ${rounds} rounds, medians`);
  for (const m of modes)
    console.log(
      `${m.padEnd(8)} ${median(cpu[m]).toFixed(2)} µs CPU per record, ${Math.round(median(rate[m])).toLocaleString("en-US")} records/s`,
    );
}

async function child(total, core) {
  const mode = process.env.BENCH_MODE;
  const { createEngine } = await importCore(core);
  if (mode === "on" || mode === "sampled") {
    const { trace, propagation } = await import("@opentelemetry/api");
    const { W3CTraceContextPropagator } = await import("@opentelemetry/core");
    const sdk = await import("@opentelemetry/sdk-trace-base");
    const drop = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
    const provider = new sdk.BasicTracerProvider({
      sampler: mode === "on" ? new sdk.AlwaysOnSampler() : new sdk.AlwaysOffSampler(),
      spanProcessors: [new sdk.BatchSpanProcessor(drop)],
    });
    trace.setGlobalTracerProvider(provider);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  }
  await round(createEngine, total); // warm-up
  const started = performance.now();
  const used = process.cpuUsage();
  await round(createEngine, total);
  const cpu = process.cpuUsage(used);
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    JSON.stringify({ cpuMicros: (cpu.user + cpu.system) / total, perSecond: total / seconds }),
  );
}

async function paired(before, rounds) {
  const total = Number(process.argv[5] ?? 20_000);
  const builds = { off: await importCore(), before: await importCore(before) };
  const cpu = { off: [], before: [] };
  const cpuOf = async (m) => {
    const used = process.cpuUsage();
    await round(builds[m].createEngine, total);
    const spent = process.cpuUsage(used);
    return (spent.user + spent.system) / total;
  };
  for (let i = 0; i < 3; i++) for (const m of ["off", "before"]) await cpuOf(m); // warm-up
  const diffs = [];
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 ? ["off", "before"] : ["before", "off"];
    const r = {};
    for (const m of order) r[m] = await cpuOf(m);
    cpu.off.push(r.off);
    cpu.before.push(r.before);
    diffs.push(r.off - r.before);
  }
  const sorted = [...diffs].sort((a, b) => a - b);
  const q = (f) => sorted[Math.floor(f * (sorted.length - 1))].toFixed(2);
  console.log(`node ${process.version}, ${total} records x ${rounds} paired rounds, one process`);
  console.log(`off      ${median(cpu.off).toFixed(2)} µs CPU per record`);
  console.log(`before   ${median(cpu.before).toFixed(2)} µs CPU per record`);
  console.log(
    `off - before: median ${median(diffs).toFixed(2)} µs (quartiles ${q(0.25)}, ${q(0.75)})`,
  );
}

function importCore(core) {
  return import(core ? pathToFileURL(`${core}/index.js`).href : "@fgconnect/core");
}

/** One engine start to stop, `total` records through it. */
async function round(createEngine, total) {
  let finish;
  const finished = new Promise((r) => (finish = r));
  const dlq = `/tmp/fgconnect-bench-tracing-${process.pid}.jsonl`;
  const engine = createEngine({
    invoker: instant,
    connectors: [memorySource(total, () => finish())],
    routes: [
      {
        from: "memory",
        to: ["urn:fss:r:0123456789abcdef0123456789abcdef:function:default:f:latest"],
        mode: "sync",
      },
    ],
    deadLetter: { type: "file", path: dlq },
    limits: { maxInFlight: 16 },
  });
  await engine.start();
  await finished;
  await engine.stop();
  rmSync(dlq, { force: true });
}
