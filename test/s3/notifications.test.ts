import { PutObjectCommand } from "@aws-sdk/client-s3";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";
import { s3DaemonConfig } from "./daemon.js";
import { createBucket, s3Client } from "./helpers.js";

const server = inject("s3proxy");
const client = s3Client(server);
const secret = "webhook-shared-secret-0123456789";
let emulator: Emulator;
const received: unknown[] = [];
let daemon: DaemonProcess;
let url: string;
let bucket: string;

beforeAll(async () => {
  emulator = await startEmulator({
    functions: {
      sink: async (event: unknown) => {
        received.push(event);
        return { ok: true };
      },
    },
    auth: false,
    log: false,
  });
  bucket = await createBucket(client, "notify");
  await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: "docs/hello world.txt",
      Body: "hello",
      ContentType: "text/plain",
    }),
  );
  const dir = workDir("fgc-s3-");
  daemon = await startRunningDaemon(
    dir,
    s3DaemonConfig({
      emulator,
      server,
      bucket,
      dir,
      fn: "sink",
      connector: {
        mode: "notifications",
        // Port 0: the webhook takes a free port and the connector logs its URL (a port found
        // free beforehand could be taken by the time the daemon binds it).
        notifications: { port: 0, path: "/s3-events", secret },
        content: { inline: true },
      },
    }),
  );
  const ready = await daemon.waitFor((l) => l.msg === "S3 connector ready");
  const at = / at (http:\/\/127\.0\.0\.1:\d+\/s3-events)$/.exec(String(ready.detail));
  if (!at) throw new Error(`no webhook URL in ${JSON.stringify(ready)}`);
  url = at[1]!;
});
afterAll(async () => {
  daemon.child.kill("SIGTERM");
  await daemon.exited;
  await emulator.close();
});

/** What MinIO (and AWS S3) POST for one upload; the key is URL-encoded. */
const notification = () => ({
  EventName: "s3:ObjectCreated:Put",
  Key: `${bucket}/docs/hello+world.txt`,
  Records: [
    {
      eventVersion: "2.0",
      eventSource: "minio:s3",
      awsRegion: "",
      eventTime: "2024-06-01T12:00:00.000Z",
      eventName: "s3:ObjectCreated:Put",
      userIdentity: { principalId: "minioadmin" },
      requestParameters: { sourceIPAddress: "10.0.0.1" },
      responseElements: { "x-amz-request-id": "17D1" },
      s3: {
        s3SchemaVersion: "1.0",
        configurationId: "Config",
        bucket: {
          name: bucket,
          ownerIdentity: { principalId: "minioadmin" },
          arn: `arn:aws:s3:::${bucket}`,
        },
        object: {
          key: "docs/hello+world.txt",
          size: 5,
          eTag: "5d41402abc4b2a76b9719d911017c592",
          sequencer: "17D1A2B3C4D5E6F7",
        },
      },
    },
  ],
});

const post = (headers: Record<string, string>) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(notification()),
  });

describe("notification mode in the daemon", () => {
  it("delivers a posted Records document in the OBS trigger's form, with the object's content inline, before answering 200", async () => {
    const res = await post({ authorization: `Bearer ${secret}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 1, ignored: 0 });
    expect(received).toHaveLength(1);
    const record = (received[0] as { Records: { s3: { object: Record<string, unknown> } }[] })
      .Records[0]!;
    const sent = notification().Records[0]!;
    expect(record).toEqual({
      ...sent,
      // MinIO's "s3:ObjectCreated:Put" becomes the OBS trigger's name.
      eventName: "ObjectCreated:Put",
      s3: {
        ...sent.s3,
        object: {
          ...sent.s3.object,
          content: "hello",
          contentEncoding: "utf8",
          contentType: "text/plain",
        },
      },
    });
    const ready = await fetch(`${daemon.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
  });

  it("writes keys as the polling mode does, and does not count ignored records as accepted", async () => {
    const key = "docs/a b+c=1.txt";
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "abc" }));
    const doc = notification();
    const minio = doc.Records[0]!;
    // MinIO encodes "/" in keys too; the event carries one form whichever server sent it.
    minio.s3.object.key = "docs%2Fa+b%2Bc%3D1.txt";
    const other = structuredClone(minio);
    other.s3.bucket.name = "another-bucket";
    doc.Records.push(other);
    const before = received.length;
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: secret },
      body: JSON.stringify(doc),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 1, ignored: 1 });
    expect(received.length).toBe(before + 1);
    const object = (received.at(-1) as { Records: { s3: { object: Record<string, unknown> } }[] })
      .Records[0]!.s3.object;
    expect(object.key).toBe("docs/a+b%2Bc%3D1.txt");
    expect(object.content).toBe("abc");
    const metrics = await (await fetch(`${daemon.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/fgconnect_records_received_total\{source="files"\} 2\b/);
  });

  it("refuses a wrong or missing secret with 401 and delivers nothing", async () => {
    const before = received.length;
    expect((await post({ authorization: "Bearer not-the-secret-at-all" })).status).toBe(401);
    expect((await post({})).status).toBe(401);
    expect(received.length).toBe(before);
    expect((await post({ "x-fgconnect-secret": secret })).status).toBe(200);
    expect(received.length).toBe(before + 1);
  });
});
