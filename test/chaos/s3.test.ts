import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RestartableS3Server, startPersistentS3Proxy } from "../harness/s3-server.js";
import { ChaosDaemon, DELIVERY, KILLS, missing } from "./chaos.js";

/** Events one poll pushes; its checkpoint is written once they all settled. */
const MAX_PER_POLL = 40;

let server: RestartableS3Server;
let s3: S3Client;
let dataDir: string;
let run: ChaosDaemon | undefined;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "fgconnect-chaos-s3-"));
  server = await startPersistentS3Proxy(dataDir);
  s3 = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
});
afterEach(() => run?.close());
afterAll(async () => {
  s3?.destroy();
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("S3 bucket polling", () => {
  it(`objects uploaded while the daemon is SIGKILLed ${KILLS} times and the S3 server restarted once, a function failing 30% of calls: each delivered, duplicates within one poll per kill`, async () => {
    const bucket = `chaos-${Date.now()}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const uploaded: string[] = [];
    const upload = async (n: number) => {
      for (let i = 0; i < n; i += 10) {
        const keys = Array.from(
          { length: Math.min(10, n - i) },
          (_, j) => `in/${String(uploaded.length + j).padStart(5, "0")}.txt`,
        );
        await Promise.all(
          keys.map((Key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }))),
        );
        uploaded.push(...keys);
      }
    };
    run = new ChaosDaemon(
      "s3 polling",
      { ids: "(event) => event.Records.map((r) => ({ id: r.s3.object.key }))", latencyMs: 10 },
      {
        connectors: {
          files: {
            type: "s3",
            bucket,
            endpoint: server.endpoint,
            region: server.region,
            pathStyle: true,
            credentials: {
              accessKeyId: server.accessKeyId,
              secretAccessKey: server.secretAccessKey,
            },
            poll: { intervalMs: 200, maxObjectsPerPoll: MAX_PER_POLL },
            checkpoint: { path: "./files.checkpoint" },
            startup: { retryMaxMs: 1_000 },
          },
        },
        routes: [{ from: "files", batch: { maxRecords: 10 }, delivery: DELIVERY }],
      },
    );

    await upload(120);
    let mark = run.tally().distinct;
    await run.start();
    for (let i = 0; i < KILLS; i++) {
      await run.beyond(mark, 40, uploaded.length);
      if (i === 1) {
        run.mark("S3 restart");
        await server.restart();
        run.mark("S3 started");
        mark = run.tally().distinct;
        await upload(40);
        await run.beyond(mark, 40, uploaded.length, "deliveries after the S3 server restart");
      }
      await run.kill();
      await upload(60);
      mark = run.tally().distinct;
      await run.start();
      await upload(20);
    }
    await run.until(
      `all ${uploaded.length} objects`,
      () => run!.tally().distinct >= uploaded.length,
      120_000,
    );
    expect(await run.stop()).toBe(0);

    const t = run.tally();
    // The checkpoint moves once per poll, after all its events settled: a kill repeats at most
    // that poll's events. A server restart fails a listing, and what it pushed still settles.
    const bound = KILLS * MAX_PER_POLL;
    run.report(uploaded.length, bound);
    expect.soft(run.deadLetters()).toEqual([]);
    expect.soft(missing(uploaded, t)).toEqual([]);
    expect.soft(t.distinct).toBe(uploaded.length);
    expect.soft(t.duplicates).toBeLessThanOrEqual(bound);
    expect.soft(run.stackTraces()).toEqual([]);
  });
});
