/**
 * Three replicas polling one bucket under a lease (real S3Proxy, real Redis / PostgreSQL): the
 * lease holder is SIGKILLed while objects are still being uploaded; every object is delivered,
 * and an object is delivered twice only if it was in the poll the killed replica had in flight.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type S3Server, startS3Proxy } from "../harness/s3-server.js";
import { until } from "../harness/until.js";
import { engines, type TestEngine } from "./engines.js";
import { Replicas } from "./replicas.js";

const LEASE_MS = 3000;
const OBJECTS = 2000;
/** Events one poll pushes; its checkpoint is committed once they all settled. */
const MAX_PER_POLL = 100;

/** Object key → the times (ms) a function received it. */
const received = new Map<string, number[]>();
let emu: Emulator;
let server: S3Server;
let s3: S3Client;
beforeAll(async () => {
  [emu, server] = await Promise.all([
    startEmulator({
      log: false,
      auth: false,
      functions: {
        sink: async (event: { Records: { s3: { object: { key: string } } }[] }) => {
          const at = Date.now();
          for (const r of event.Records) {
            const key = decodeURIComponent(r.s3.object.key);
            received.set(key, [...(received.get(key) ?? []), at]);
          }
          return { received: event.Records.length };
        },
      },
    }),
    startS3Proxy(),
  ]);
  s3 = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  // On a clean clone the S3 server's jars are fetched from Maven Central first.
}, 600_000);
afterAll(async () => {
  s3?.destroy();
  await Promise.all([emu?.close(), server?.stop()]);
});

const config = (engine: TestEngine, bucket: string) => (dir: string) =>
  JSON.stringify({
    functiongraph: { endpoint: emu.url, region: emu.region, projectId: emu.projectId },
    connectors: {
      files: {
        type: "s3",
        bucket,
        endpoint: server.endpoint,
        region: server.region,
        pathStyle: true,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
        poll: { intervalMs: 200, maxObjectsPerPoll: MAX_PER_POLL },
        checkpoint: { store: "bucket" },
      },
    },
    routes: [
      {
        from: "files",
        to: [emu.urnFor("sink")],
        mode: "sync",
        batch: { maxRecords: 10 },
        delivery: { maxAttempts: 10, firstDelayMs: 100 },
      },
    ],
    coordination: engine.section(LEASE_MS),
    deadLetter: { type: "file", path: `${dir}/dead-letter.jsonl`, fsync: false },
    admin: { port: 0 },
    shutdown: { deadlineMs: 5000 },
  });

/** Uploads objects `from`..`to`-1 (keys in/00000.txt…), 16 at a time. */
async function upload(bucket: string, from: number, to: number): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) {
      const Key = `in/${String(next++).padStart(5, "0")}.txt`;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

describe.each(engines)("bucket polling under $name coordination", ({ make }) => {
  let engine: TestEngine;
  let replicas: Replicas;
  beforeAll(() => {
    engine = make();
  });
  afterEach(() => replicas?.stopAll());
  afterAll(() => engine.cleanup());

  it(`three replicas, ${OBJECTS} objects uploaded while the lease holder is SIGKILLed: each delivered, duplicates only from the poll a handover interrupted`, async () => {
    received.clear();
    const bucket = `fleet-${engine.name}-${Date.now().toString(36)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    replicas = new Replicas();
    await replicas.start(3, config(engine, bucket));
    await replicas.leader("files");

    // Kill the holder mid-stream: 600 uploaded, some of them delivered, polls in flight.
    await upload(bucket, 0, 600);
    await until(() => received.size >= 300, 60_000, "first deliveries");
    const rest = upload(bucket, 600, OBJECTS);
    const leader = await replicas.leader("files");
    leader.child.kill("SIGKILL");
    const killedAt = Date.now();
    await leader.exited;
    await rest;
    await until(() => received.size >= OBJECTS, 120_000, `all ${OBJECTS} objects`);
    expect(await replicas.leader("files")).not.toBe(leader);
    // A moment for any late duplicate to show before counting.
    await new Promise((r) => setTimeout(r, 1000));
    await replicas.stopAll();

    expect([...received.keys()].filter((k) => !/^in\/\d{5}\.txt$/.test(k))).toEqual([]);
    expect(received.size).toBe(OBJECTS);
    // Every handover of the lease: the kill's, and any a loaded machine caused by a late renewal.
    const gains = replicas.all
      .flatMap((d) => d.lines.filter((l) => l.msg.startsWith("lease gained")))
      .map((l) => l.time as number)
      .sort((a, b) => a - b);
    const handovers = gains.slice(1);
    expect(handovers.filter((g) => g > killedAt).length).toBeGreaterThanOrEqual(1);
    // An object delivered twice was in the poll a handover interrupted: first delivered by the
    // holder before a handover, again after it; at most one poll's worth per handover.
    const twice = [...received].filter(([, at]) => at.length > 1);
    expect(twice.length).toBeLessThanOrEqual(handovers.length * MAX_PER_POLL);
    for (const [key, at] of twice) {
      expect({ key, times: at.length }).toEqual({ key, times: 2 });
      expect(handovers.some((g) => at[0]! < g && g <= at[1]!)).toBe(true);
    }
    const deadLettered = replicas.dirs.filter((dir) => existsSync(join(dir, "dead-letter.jsonl")));
    expect(deadLettered).toEqual([]);
  });
});
