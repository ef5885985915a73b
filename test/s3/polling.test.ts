import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";
import { s3DaemonConfig } from "./daemon.js";
import {
  createBucket,
  DeliveriesByBucket,
  putObjects,
  recordsOf,
  s3Client,
  waitFor,
} from "./helpers.js";

const server = inject("s3proxy");
const client = s3Client(server);
let emulator: Emulator;
/** What each function received, by bucket. */
const deliveries = new DeliveriesByBucket();
const seenIn = (bucket: string) => deliveries.in(bucket);
let failingCalls = 0;

beforeAll(async () => {
  emulator = await startEmulator({
    functions: {
      sink: async (event: unknown) => {
        deliveries.add(event);
        return { ok: true };
      },
      failing: async (event: unknown) => {
        failingCalls++;
        if (recordsOf(event).some((o) => o.key.startsWith("poison")))
          throw new Error("cannot process this object");
        deliveries.add(event);
        return { ok: true };
      },
    },
    auth: false,
    log: false,
  });
});
afterAll(async () => {
  await emulator.close();
});

async function stop(daemon: DaemonProcess): Promise<void> {
  daemon.child.kill("SIGTERM");
  expect(await daemon.exited).toBe(0);
}

/** Waits until the daemon logged `n` more completed polls after now. */
async function pollsDone(daemon: DaemonProcess, n: number): Promise<void> {
  const start = daemon.lines.length;
  await waitFor(
    () => daemon.lines.slice(start).filter((l) => l.msg === "poll done").length >= n,
    20_000,
    `${n} polls`,
  );
}

describe("the daemon polling a bucket", () => {
  it("delivers 2,500 objects across several list pages once each, with key, size and ETag", async () => {
    const bucket = await createBucket(client, "many");
    const expected = await putObjects(
      client,
      bucket,
      2500,
      (i) => `data/${String(i).padStart(5, "0")}.json`,
      (i) => `{"n":${i}}`.padEnd(10 + (i % 7), " "),
    );
    const dir = workDir("fgc-s3-");
    const daemon = await startRunningDaemon(
      dir,
      s3DaemonConfig({
        emulator,
        server,
        bucket,
        dir,
        fn: "sink",
        connector: { poll: { intervalMs: 200, pageSize: 400 } },
        route: { batch: { maxRecords: 50, maxWaitMs: 20 } },
      }),
    );
    await waitFor(() => seenIn(bucket).length >= 2500, 60_000, "2,500 deliveries");
    await pollsDone(daemon, 2);
    await stop(daemon);
    const got = seenIn(bucket);
    expect(got).toHaveLength(2500);
    expect(new Set(got.map((o) => o.key)).size).toBe(2500);
    for (const o of got) {
      expect(o.eventName).toBe("ObjectCreated:Put");
      expect({ size: o.size, etag: o.eTag }).toEqual({
        size: expected.get(o.key)!.size,
        etag: expected.get(o.key)!.etag,
      });
    }
    // The first poll listed seven pages of at most 400 keys.
    const firstPoll = daemon.lines.find((l) => l.msg === "poll done")!;
    expect(firstPoll).toMatchObject({ pushed: 2500, tracked: 2500, pages: 7 });
  });

  it("after a restart, delivers what was created while stopped, and nothing delivered before", async () => {
    const bucket = await createBucket(client, "restart");
    await putObjects(client, bucket, 30, (i) => `before/${i}`);
    const dir = workDir("fgc-s3-");
    const config = s3DaemonConfig({ emulator, server, bucket, dir, fn: "sink" });
    let daemon = await startRunningDaemon(dir, config);
    await waitFor(() => seenIn(bucket).length >= 30);
    await pollsDone(daemon, 1);
    await stop(daemon);

    await putObjects(client, bucket, 20, (i) => `during/${i}`);
    daemon = await startRunningDaemon(dir, config);
    await waitFor(() => seenIn(bucket).length >= 50);
    await pollsDone(daemon, 2);
    await stop(daemon);
    const keys = seenIn(bucket).map((o) => o.key);
    expect(keys).toHaveLength(50);
    expect(new Set(keys).size).toBe(50);
    expect(keys.slice(30).every((k) => k.startsWith("during/"))).toBe(true);
  });

  it("keeps the checkpoint in an object of the bucket across a restart", async () => {
    const bucket = await createBucket(client, "cpobj");
    await putObjects(client, bucket, 10, (i) => `a/${i}`);
    const dir = workDir("fgc-s3-");
    const config = s3DaemonConfig({
      emulator,
      server,
      bucket,
      dir,
      fn: "sink",
      connector: { checkpoint: { store: "bucket", key: "_state/checkpoint" } },
    });
    let daemon = await startRunningDaemon(dir, config);
    await waitFor(() => seenIn(bucket).length >= 10);
    await pollsDone(daemon, 2);
    await stop(daemon);
    expect(existsSync(join(dir, "files.checkpoint"))).toBe(false);
    const stored = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: "_state/checkpoint" }),
    );
    expect(
      (await stored.Body!.transformToString()).split("\n").filter((l) => l.startsWith("a/")),
    ).toHaveLength(10);

    await putObjects(client, bucket, 5, (i) => `b/${i}`);
    daemon = await startRunningDaemon(dir, config);
    await waitFor(() => seenIn(bucket).length >= 15);
    await pollsDone(daemon, 2);
    await stop(daemon);
    const keys = seenIn(bucket).map((o) => o.key);
    expect(new Set(keys).size).toBe(15);
    expect(keys).toHaveLength(15);
    expect(keys).not.toContain("_state/checkpoint");
  });

  it("writes keys in the event URL-encoded, as the notifications mode and the OBS trigger do", async () => {
    const bucket = await createBucket(client, "keys");
    const key = "in/a b+c/100%é.txt";
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "x" }));
    const dir = workDir("fgc-s3-");
    const daemon = await startRunningDaemon(
      dir,
      s3DaemonConfig({ emulator, server, bucket, dir, fn: "sink" }),
    );
    await waitFor(() => seenIn(bucket).length >= 1);
    await stop(daemon);
    const sent = seenIn(bucket)[0]!.key;
    expect(sent).toBe("in/a+b%2Bc/100%25%C3%A9.txt");
    expect(decodeURIComponent(sent.replace(/\+/g, " "))).toBe(key);
  });

  it("delivers an overwritten object again, and deletions when asked", async () => {
    const bucket = await createBucket(client, "change");
    await putObjects(client, bucket, 3, (i) => `k${i}`);
    const dir = workDir("fgc-s3-");
    const daemon = await startRunningDaemon(
      dir,
      s3DaemonConfig({
        emulator,
        server,
        bucket,
        dir,
        fn: "sink",
        connector: { poll: { intervalMs: 200, deletions: true } },
      }),
    );
    await waitFor(() => seenIn(bucket).length >= 3);
    const put = await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: "k1", Body: "new content, longer" }),
    );
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: "k2" }));
    await waitFor(() => seenIn(bucket).length >= 5);
    await pollsDone(daemon, 2);
    await stop(daemon);
    const later = seenIn(bucket).slice(3);
    expect(later).toHaveLength(2);
    expect(later).toContainEqual({
      eventName: "ObjectCreated:Put",
      key: "k1",
      size: 19,
      eTag: put.ETag!.replace(/"/g, ""),
      sequencer: expect.any(String),
    });
    expect(later).toContainEqual({
      eventName: "ObjectRemoved:Delete",
      key: "k2",
      sequencer: expect.any(String),
    });
  });

  it("retries a failing function, dead-letters the object, and moves the checkpoint past it", async () => {
    const bucket = await createBucket(client, "poison");
    await putObjects(client, bucket, 1, () => "poison.bin");
    await putObjects(client, bucket, 2, (i) => `good/${i}`);
    const dir = workDir("fgc-s3-");
    const before = failingCalls;
    const daemon = await startRunningDaemon(
      dir,
      s3DaemonConfig({
        emulator,
        server,
        bucket,
        dir,
        fn: "failing",
        route: { delivery: { maxAttempts: 3, firstDelayMs: 10, maxDelayMs: 20 } },
      }),
    );
    const dlq = join(dir, "dead-letter.jsonl");
    await waitFor(
      () => existsSync(dlq) && readFileSync(dlq, "utf8").trim() !== "",
      20_000,
      "a dead letter",
    );
    await pollsDone(daemon, 3);
    await stop(daemon);
    const letters = readFileSync(dlq, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      attempts: 3,
      record: { attributes: { key: "poison.bin" } },
    });
    // Three attempts for the poison object, one per good object; later polls do not retry it.
    expect(failingCalls - before).toBe(5);
    expect(
      seenIn(bucket)
        .map((o) => o.key)
        .sort(),
    ).toEqual(["good/0", "good/1"]);
    expect(readFileSync(join(dir, "files.checkpoint"), "utf8")).toContain("poison.bin\t");
  });
});
