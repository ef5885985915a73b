import {
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";
import { s3DaemonConfig } from "./daemon.js";
import type { S3ServerInfo } from "./global-setup.js";
import { createBucket, DeliveriesByBucket, putObjects, s3Client, waitFor } from "./helpers.js";

const proxy = inject("s3proxy");
const mock = inject("s3mock");
let emulator: Emulator;
const deliveries = new DeliveriesByBucket();
const seenIn = (bucket: string) => deliveries.in(bucket);

beforeAll(async () => {
  emulator = await startEmulator({
    functions: {
      sink: async (event: unknown) => {
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

async function run(
  server: S3ServerInfo,
  label: string,
  afterDelivery: Record<string, unknown>,
  count = 3,
) {
  const client = s3Client(server);
  const bucket = await createBucket(client, label);
  await putObjects(client, bucket, count, (i) => `in/${i}.csv`);
  const dir = workDir("fgc-s3-");
  const daemon = await startRunningDaemon(
    dir,
    s3DaemonConfig({
      emulator,
      server,
      bucket,
      dir,
      fn: "sink",
      connector: { prefix: "in/", afterDelivery, poll: { intervalMs: 200, deletions: true } },
    }),
  );
  await waitFor(() => seenIn(bucket).length >= count, 20_000, "deliveries");
  return { client, bucket, daemon };
}

async function settle(daemon: DaemonProcess): Promise<void> {
  const start = daemon.lines.length;
  await waitFor(
    () => daemon.lines.slice(start).filter((l) => l.msg === "poll done").length >= 2,
    20_000,
    "two polls",
  );
  daemon.child.kill("SIGTERM");
  expect(await daemon.exited).toBe(0);
}

const keys = async (client: S3Client, bucket: string) =>
  ((await client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? [])
    .map((o) => o.Key)
    .sort();

describe("post-delivery actions, verified on the server", () => {
  it("tag (S3Mock): each delivered object carries the tag, and is delivered once", async () => {
    const { client, bucket, daemon } = await run(mock, "tag", {
      action: "tag",
      tag: { key: "state", value: "sent" },
    });
    await waitFor(
      async () => {
        const tags = await Promise.all(
          [0, 1, 2].map((i) =>
            client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: `in/${i}.csv` })),
          ),
        );
        return tags.every((t) => t.TagSet?.some((x) => x.Key === "state" && x.Value === "sent"));
      },
      10_000,
      "tags",
    );
    await settle(daemon);
    expect(seenIn(bucket)).toHaveLength(3);
  });

  it("move (S3Proxy): objects end under the move prefix, and neither come back nor count as deleted", async () => {
    const { client, bucket, daemon } = await run(proxy, "move", {
      action: "move",
      movePrefix: "done/",
    });
    await waitFor(
      async () => (await keys(client, bucket)).every((k) => k?.startsWith("done/")),
      10_000,
      "moves",
    );
    await settle(daemon);
    expect(await keys(client, bucket)).toEqual(["done/0.csv", "done/1.csv", "done/2.csv"]);
    expect(seenIn(bucket).map((o) => o.eventName)).toEqual([
      "ObjectCreated:Put",
      "ObjectCreated:Put",
      "ObjectCreated:Put",
    ]);
  });

  it("delete (S3Proxy): objects are gone after delivery, and no delete event follows", async () => {
    const { client, bucket, daemon } = await run(proxy, "delete", { action: "delete" });
    await waitFor(async () => (await keys(client, bucket)).length === 0, 10_000, "deletes");
    await settle(daemon);
    expect(seenIn(bucket)).toHaveLength(3);
    await expect(
      client.send(new HeadObjectCommand({ Bucket: bucket, Key: "in/0.csv" })),
    ).rejects.toMatchObject({ name: "NotFound" });
  });

  it("a server without tagging (S3Proxy): the failure is logged with its code, the object stays delivered once", async () => {
    const { bucket, daemon } = await run(proxy, "notag", { action: "tag" }, 1);
    await waitFor(
      () =>
        daemon.lines.some(
          (l) => l.msg === "post-delivery action failed; the object stays delivered",
        ),
      10_000,
      "warning",
    );
    await settle(daemon);
    expect(
      daemon.lines.find((l) => l.msg === "post-delivery action failed; the object stays delivered"),
    ).toMatchObject({
      code: "S3_REQUEST_FAILED",
      err: expect.stringMatching(/GetObjectTagging failed: NotImplemented \(HTTP 501\)/),
    });
    expect(seenIn(bucket)).toHaveLength(1);
  });
});
