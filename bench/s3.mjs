// S3-compatible bucket → FunctionGraph, three figures:
//   new      10,000 new objects in an S3Proxy bucket: objects discovered and delivered per second
//            (S3Connector + engine → no-op function in the emulator, own process), route batch
//            1 and batch 100.
//   unchanged one poll over 100,000 unchanged objects in S3Proxy: its time, and the heap it adds.
//   1M       one poll's merge over 1,000,000 unchanged keys, listing synthesized in memory (no
//            server): time and peak heap of the checkpoint streaming alone.
// S3Proxy (transient backend, 3 GB heap: it holds 100,000 objects with much overhead; its
// filesystem backend lists a 100,000-object bucket in minutes) comes from the test harness's cache (.cache/s3proxy; run the s3 integration tests, or
// this script fetches it with Maven). Usage: node bench/s3.mjs [new = 10000] [unchanged = 100000]
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createClient, createEngine } from "@fgconnect/core";
import { createS3Connector, FileCheckpointStore } from "@fgconnect/s3";
import { runPollCycle } from "@fgconnect/s3/internal";
import { startEmulatorProcess } from "./lib/emulator-process.mjs";
import { fmt } from "./lib/measure.mjs";

const NEW = Number(process.argv[2] ?? 10_000);
const UNCHANGED = Number(process.argv[3] ?? 100_000);
const MILLION = 1_000_000;
const S3PROXY = "4.1.0";
const root = new URL("../", import.meta.url).pathname;

const proxy = await startS3Proxy();
const emu = await startEmulatorProcess();
const s3 = new S3Client({
  endpoint: proxy.endpoint,
  region: "us-east-1",
  forcePathStyle: true,
  credentials: { ...proxy.credentials },
  requestChecksumCalculation: "WHEN_REQUIRED",
});
const work = mkdtempSync(join(tmpdir(), "fgc-bench-s3-"));
try {
  for (const maxRecords of [1, 100]) {
    const bucket = `bench-new-${maxRecords}-${Date.now()}`;
    await fill(bucket, NEW);
    const r = await deliverAll(bucket, NEW, maxRecords);
    console.log(
      `new       batch ${String(maxRecords).padStart(3)}: ${fmt(r.rate)} objects/s (${fmt(NEW)} in ${r.seconds.toFixed(2)} s)`,
    );
  }
  const big = `bench-unchanged-${Date.now()}`;
  const t0 = performance.now();
  await fill(big, UNCHANGED);
  console.log(
    `(uploaded ${fmt(UNCHANGED)} objects in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  const u = await unchangedPoll(big);
  console.log(
    `unchanged ${fmt(UNCHANGED)}: one poll ${u.seconds.toFixed(2)} s (${fmt(UNCHANGED / u.seconds)} keys/s), heap +${u.heapMb.toFixed(1)} MB peak, rss ${u.rssMb.toFixed(0)} MB, fgconnect CPU ${u.cpuSeconds.toFixed(2)} s`,
  );
  const m = await millionMerge();
  console.log(
    `merge     ${fmt(MILLION)} unchanged keys (no server): ${m.seconds.toFixed(2)} s, heap +${m.heapMb.toFixed(1)} MB peak, checkpoint ${m.fileMb.toFixed(0)} MB`,
  );
} finally {
  await emu.close();
  proxy.stop();
  rmSync(work, { recursive: true, force: true });
}

async function fill(bucket, count) {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `data/${String(i).padStart(7, "0")}.json`,
          Body: `{"n":${i}}`,
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}

function connector(bucket, poll) {
  return createS3Connector("bench", {
    bucket,
    endpoint: proxy.endpoint,
    pathStyle: true,
    credentials: { ...proxy.credentials },
    poll,
    checkpoint: { path: join(work, `${bucket}.checkpoint`) },
  });
}

async function deliverAll(bucket, count, maxRecords) {
  let delivered = 0;
  let done;
  const all = new Promise((r) => (done = r));
  const client = createClient({ endpoint: emu.url, projectId: emu.projectId, region: emu.region });
  const engine = createEngine({
    invoker: client,
    connectors: [connector(bucket, { intervalMs: 60_000, maxObjectsPerPoll: count })],
    routes: [
      {
        from: "bench",
        to: [`urn:fss:${emu.region}:${emu.projectId}:function:default:noop`],
        mode: "sync",
        batch: { maxRecords, maxWaitMs: 5 },
      },
    ],
    deadLetter: { type: "file", path: join(work, "dlq.jsonl") },
    metrics: {
      delivered: (_l, n) => {
        delivered += n;
        if (delivered >= count) done();
      },
    },
  });
  const started = performance.now();
  await engine.start();
  await all;
  const seconds = (performance.now() - started) / 1000;
  await engine.stop();
  return { seconds, rate: count / seconds };
}

/** Times the second poll (all unchanged) by the connector's "poll done" log lines. */
async function unchangedPoll(bucket) {
  const intervalMs = 500;
  const c = connector(bucket, { intervalMs, initialScan: "skip" });
  const polls = [];
  let wake;
  const logger = {
    info() {},
    warn() {},
    error(o, m) {
      console.error(m, o);
    },
    debug(o, m) {
      if (m === "poll done") {
        polls.push({ at: performance.now(), ...o });
        wake?.();
      }
    },
  };
  const until = (n) => new Promise((r) => (wake = () => polls.length >= n && r()));
  global.gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  let rss = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.heapUsed);
    rss = Math.max(rss, m.rss);
  }, 5);
  await c.start({ logger, push: async () => "delivered" });
  await until(1);
  global.gc?.();
  const base2 = process.memoryUsage().heapUsed;
  peak = base2;
  const cpu = process.cpuUsage();
  await until(2);
  const used = process.cpuUsage(cpu);
  clearInterval(sampler);
  await c.stop();
  if (polls[1].tracked !== UNCHANGED || polls[1].pushed !== 0)
    throw new Error(`unexpected poll: ${JSON.stringify(polls[1])}`);
  return {
    seconds: (polls[1].at - polls[0].at - intervalMs) / 1000,
    heapMb: (peak - Math.min(base, base2)) / 2 ** 20,
    rssMb: rss / 2 ** 20,
    cpuSeconds: (used.user + used.system) / 1e6,
  };
}

async function millionMerge() {
  // Keys sorted across pages: generate them in order.
  const keys = function* () {
    for (let t = 0; t < 97; t++)
      for (let j = t; j < MILLION; j += 97)
        yield {
          key: `tenant-${String(t).padStart(2, "0")}/data/${String(j).padStart(9, "0")}.json`,
          etag: "0cc175b9c0f1b6a831c399e269772661",
          size: 1,
          lastModified: 0,
        };
  };
  const listing = async function* () {
    yield* keys();
  };
  const scope = { bucket: "bench", prefix: "" };
  const path = join(work, "million.checkpoint");
  const store = new FileCheckpointStore(path, scope);
  const cycle = (skipCreated) =>
    runPollCycle({
      listing: listing(),
      checkpoint: store.entries(),
      store,
      options: { maxEvents: 10_000, changes: true, deletions: false, skipCreated },
      emit: async () => ({ settled: Promise.resolve("keep") }),
      gate: async () => {},
      stopping: () => false,
    });
  await store.load();
  await cycle(true); // writes the checkpoint
  global.gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
  const started = performance.now();
  const r = await cycle(false);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  if (r.tracked !== MILLION || r.pushed !== 0)
    throw new Error(`unexpected merge: ${JSON.stringify(r)}`);
  const { statSync } = await import("node:fs");
  return { seconds, heapMb: (peak - base) / 2 ** 20, fileMb: statSync(path).size / 2 ** 20 };
}

async function startS3Proxy() {
  const dir = join(root, ".cache", "s3proxy", S3PROXY);
  const lib = join(dir, "lib");
  if (!existsSync(join(lib, `s3proxy-${S3PROXY}.jar`))) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "pom.xml"),
      `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion><groupId>fgconnect.cache</groupId><artifactId>s3proxy-fetch</artifactId><version>1</version><packaging>pom</packaging><dependencies><dependency><groupId>org.gaul</groupId><artifactId>s3proxy</artifactId><version>${S3PROXY}</version></dependency><dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-annotations</artifactId><version>2.22</version></dependency></dependencies></project>\n`,
    );
    execFileSync("mvn", ["-q", "-B", "dependency:copy-dependencies", `-DoutputDirectory=${lib}`], {
      cwd: dir,
      stdio: "inherit",
    });
  }
  const port = await new Promise((r) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => r(port));
    });
  });
  const credentials = {
    accessKeyId: `AK${randomBytes(6).toString("hex")}`,
    secretAccessKey: randomBytes(18).toString("base64url"),
  };
  const conf = join(dir, `bench-${port}.conf`);
  writeFileSync(
    conf,
    `s3proxy.endpoint=http://127.0.0.1:${port}\ns3proxy.authorization=aws-v2-or-v4\ns3proxy.identity=${credentials.accessKeyId}\ns3proxy.credential=${credentials.secretAccessKey}\njclouds.provider=transient\njclouds.identity=x\njclouds.credential=x\n`,
  );
  const cp = readdirSync(lib)
    .map((f) => join(lib, f))
    .join(":");
  const child = spawn(
    "java",
    [
      "-Xmx3g",
      "-XX:+UseSerialGC",
      `-Dlogback.configurationFile=${join(dir, "logback.xml")}`,
      "-cp",
      cp,
      "org.gaul.s3proxy.Main",
      "--properties",
      conf,
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try {
      await fetch(endpoint);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    endpoint,
    credentials,
    stop: () => {
      child.kill("SIGTERM");
      rmSync(conf, { force: true });
    },
  };
}
