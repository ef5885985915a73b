import type { ConnectorContext, RecordOutcome } from "@fgconnect/core";
import { afterEach, describe, expect, it } from "vitest";
import { s3OptionsSchema } from "../src/options.js";
import { S3Connector, type S3Record } from "../src/source.js";
import { FakeBucket } from "./fake-bucket.js";

const secret = "a-shared-secret-of-some-length";
const silent = { debug() {}, info() {}, warn() {}, error() {} };
let connector: S3Connector | undefined;
afterEach(async () => {
  await connector?.stop();
  connector = undefined;
});

async function start(outcome: RecordOutcome, action: "none" | "tag" = "none") {
  const bucket = new FakeBucket("photos");
  bucket.put("a b/c.jpg", "jpeg");
  const pushed: S3Record[] = [];
  const ctx: ConnectorContext<S3Record> = {
    logger: silent,
    push: async (r) => {
      pushed.push(r);
      return outcome;
    },
  };
  connector = new S3Connector(
    "hook",
    s3OptionsSchema.parse({
      bucket: "photos",
      mode: "notifications",
      notifications: { port: 0, secret },
      afterDelivery: { action },
    }),
    { bucket },
  );
  await connector.start(ctx);
  return { url: connector.notificationUrl!, pushed, bucket };
}

const doc = {
  Records: [
    {
      eventVersion: "2.1",
      eventName: "ObjectCreated:Put",
      eventTime: "2024-05-01T10:00:00.000Z",
      s3: {
        bucket: { name: "photos" },
        object: { key: "a+b/c.jpg", size: 4, eTag: "e1", sequencer: "0A" },
      },
    },
    { eventName: "ObjectCreated:Put", s3: { bucket: { name: "elsewhere" }, object: { key: "x" } } },
  ],
};
const post = (url: string, headers: Record<string, string>, body: unknown = doc) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

describe("notifications webhook", () => {
  it("delivers the records of its bucket, passes them on unchanged, then answers 200 and runs the action", async () => {
    const { url, pushed, bucket } = await start("delivered", "tag");
    const res = await post(url, { authorization: `Bearer ${secret}` });
    expect(res.status).toBe(200);
    expect(pushed).toHaveLength(1);
    expect(pushed[0]!.body).toEqual(doc.Records[0]);
    expect(pushed[0]!.attributes).toMatchObject({
      key: "a b/c.jpg",
      eventName: "ObjectCreated:Put",
      etag: "e1",
    });
    expect(pushed[0]!.timestamp).toBe(Date.parse("2024-05-01T10:00:00.000Z"));
    expect(bucket.objects.get("a b/c.jpg")!.tags.get("fgconnect")).toBe("delivered");
    expect((await post(url, { "x-fgconnect-secret": secret })).status).toBe(200);
  });

  it("answers with the number of records accepted and ignored", async () => {
    const { url, pushed } = await start("delivered");
    const res = await post(url, { authorization: `Bearer ${secret}` });
    expect(await res.json()).toEqual({ accepted: 1, ignored: 1 });
    expect(pushed).toHaveLength(1);
  });

  it("passes MinIO's records on in the OBS trigger's form: event name without s3:, key encoded as OBS does", async () => {
    const { url, pushed } = await start("delivered");
    const minio = {
      EventName: "s3:ObjectCreated:Put",
      Records: [
        {
          eventName: "s3:ObjectCreated:Put",
          s3: {
            bucket: { name: "photos" },
            // MinIO encodes "/" too.
            object: { key: "a+b%2Fc.jpg", size: 4, eTag: "e1", sequencer: "0A" },
          },
        },
      ],
    };
    const res = await post(url, { authorization: secret }, minio);
    expect(res.status).toBe(200);
    const body = pushed[0]!.body as { eventName: string; s3: { object: { key: string } } };
    expect(body.eventName).toBe("ObjectCreated:Put");
    expect(body.s3.object.key).toBe("a+b/c.jpg");
    expect(pushed[0]!.attributes).toMatchObject({
      key: "a b/c.jpg",
      eventName: "ObjectCreated:Put",
    });
  });

  it("answers 401 without the right secret and pushes nothing", async () => {
    const { url, pushed } = await start("delivered");
    expect((await post(url, {})).status).toBe(401);
    expect((await post(url, { authorization: "Bearer wrong-secret-wrong-secret" })).status).toBe(
      401,
    );
    expect(pushed).toHaveLength(0);
  });

  it("answers 503 when a record was abandoned, so the sender retries", async () => {
    const { url } = await start("abandoned");
    expect((await post(url, { authorization: secret })).status).toBe(503);
  });

  it("answers 400 to a document that is not a notification, 200 to S3's test event", async () => {
    const { url, pushed } = await start("delivered");
    expect((await post(url, { authorization: secret }, { Records: [{ nope: 1 }] })).status).toBe(
      400,
    );
    expect(
      (await post(url, { authorization: secret }, { Service: "Amazon S3", Event: "s3:TestEvent" }))
        .status,
    ).toBe(200);
    expect(pushed).toHaveLength(0);
  });
});
