import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";
import { s3DaemonConfig } from "./daemon.js";
import {
  bucketName,
  createBucket,
  type ObjectSeen,
  recordsOf,
  s3Client,
  waitFor,
} from "./helpers.js";

const server = inject("s3proxy");
const client = s3Client(server);
let emulator: Emulator;
const seen: ObjectSeen[] = [];

beforeAll(async () => {
  emulator = await startEmulator({
    functions: {
      sink: async (event: unknown) => {
        seen.push(...recordsOf(event));
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

async function readyz(daemon: DaemonProcess): Promise<{
  status: number;
  body: { connectors: { files: { connected: boolean; detail: string } } };
}> {
  const res = await fetch(`${daemon.adminUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as never };
}

/** The one line an outage is logged with, and the debug lines of the attempts after it. */
const outage = (daemon: DaemonProcess) =>
  daemon.lines.filter((l) => l.msg === "S3 bucket unavailable; retrying");
const retries = (daemon: DaemonProcess) =>
  daemon.lines.filter((l) => l.msg === "S3 source still unavailable; retrying");

describe("startup against a bucket that cannot be used", () => {
  it("a missing bucket: the daemon stays up, not ready with the reason, retries, and recovers when it appears", async () => {
    const bucket = bucketName("late");
    const dir = workDir("fgc-s3-");
    const daemon = await startRunningDaemon(
      dir,
      s3DaemonConfig({ emulator, server, bucket, dir, fn: "sink" }),
    );
    const first = await readyz(daemon);
    expect(first.status).toBe(503);
    expect(first.body.connectors.files).toEqual({
      connected: false,
      detail: expect.stringContaining(
        `bucket "${bucket}" does not exist at ${server.endpoint} — Create the bucket`,
      ),
    });
    await waitFor(() => retries(daemon).length >= 2, 10_000, "more attempts");
    expect(daemon.child.exitCode).toBeNull();
    // One warn line with the reason and what to do, never a stack; the attempts after it at debug.
    expect(outage(daemon)).toEqual([
      expect.objectContaining({
        level: 40,
        code: "BUCKET_NOT_FOUND",
        err: `bucket "${bucket}" does not exist at ${server.endpoint}`,
        hint: expect.stringMatching(/^Create the bucket/),
      }),
    ]);
    expect(retries(daemon).every((l) => l.level === 20)).toBe(true);
    expect(JSON.stringify(daemon.lines)).not.toContain('"stack"');

    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: "first.txt", Body: "hi" }));
    await waitFor(async () => (await readyz(daemon)).status === 200, 10_000, "ready");
    await waitFor(() => seen.some((o) => o.key === "first.txt"), 10_000, "delivery");
    expect(
      daemon.lines.filter((l) => l.msg === "S3 bucket available again" && l.level === 30),
    ).toHaveLength(1);
    expect(daemon.lines.filter((l) => l.level >= 40 && l.connector === "files")).toHaveLength(1);
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  });

  it("wrong credentials: not ready with the S3 error code, and the secret is never logged", async () => {
    const bucket = await createBucket(client, "creds");
    const dir = workDir("fgc-s3-");
    const secretAccessKey = "definitely-Wrong-Secret-0123456789";
    const daemon = await startRunningDaemon(
      dir,
      s3DaemonConfig({
        emulator,
        server,
        bucket,
        dir,
        fn: "sink",
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey },
      }),
    );
    const r = await readyz(daemon);
    expect(r.status).toBe(503);
    expect(r.body.connectors.files.connected).toBe(false);
    expect(r.body.connectors.files.detail).toMatch(
      /^access to bucket ".+" denied \(SignatureDoesNotMatch\) — Check `credentials`/,
    );
    await waitFor(() => retries(daemon).length >= 2, 10_000, "more attempts");
    expect(outage(daemon)).toEqual([expect.objectContaining({ level: 40, code: "ACCESS_DENIED" })]);
    expect(daemon.child.exitCode).toBeNull();
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    expect(JSON.stringify(daemon.lines) + daemon.stderr()).not.toContain(secretAccessKey);
    expect(r.body.connectors.files.detail).not.toContain(secretAccessKey);
  });

  it("with startup.failFast start() rejects with the typed error; the daemon retries it and stays up", async () => {
    const bucket = bucketName("absent");
    const dir = workDir("fgc-s3-");
    const daemon = await startRunningDaemon(
      dir,
      s3DaemonConfig({
        emulator,
        server,
        bucket,
        dir,
        fn: "sink",
        connector: { startup: { failFast: true } },
      }),
    );
    const r = await readyz(daemon);
    expect(r.status).toBe(503);
    expect(r.body.connectors.files.detail).toContain(
      `could not start: bucket "${bucket}" does not exist`,
    );
    const failed = await daemon.waitFor((l) => l.msg === "connector could not start; retrying");
    expect(failed.hint).toMatch(/^Create the bucket/);
    expect(daemon.child.exitCode).toBeNull();
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  });
});
