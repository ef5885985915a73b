import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { S3ServerInfo } from "./global-setup.js";

export function s3Client(server: S3ServerInfo): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
}

let n = 0;
/** A fresh bucket name per test (servers are shared by every file). */
export function bucketName(label: string): string {
  return `${label}-${process.pid}-${Date.now().toString(36)}-${n++}`.toLowerCase().slice(0, 63);
}

export async function createBucket(client: S3Client, label: string): Promise<string> {
  const bucket = bucketName(label);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

/** Uploads `count` objects named by `keyOf(i)` with bodies `bodyOf(i)`, a few at a time; returns their ETags. */
export async function putObjects(
  client: S3Client,
  bucket: string,
  count: number,
  keyOf: (i: number) => string,
  bodyOf: (i: number) => string = (i) => `object ${i}`,
): Promise<Map<string, { etag: string; size: number }>> {
  const out = new Map<string, { etag: string; size: number }>();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const body = bodyOf(i);
      const res = await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: keyOf(i), Body: body }),
      );
      out.set(keyOf(i), { etag: res.ETag!.replace(/"/g, ""), size: Buffer.byteLength(body) });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return out;
}

/** Resolves when `cond()` holds, polling every 20 ms, or throws after `ms`. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  ms = 30_000,
  what = "condition",
): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The OBS-trigger events a function received, flattened to their records' objects. */
export interface ObjectSeen {
  eventName: string;
  key: string;
  size?: number;
  eTag?: string;
}

export function recordsOf(event: unknown): ObjectSeen[] {
  const records = (
    event as { Records: { eventName: string; s3: { object: Omit<ObjectSeen, "eventName"> } }[] }
  ).Records;
  return records.map((r) => ({ eventName: r.eventName, ...r.s3.object }));
}

/** What a function received, per bucket: the objects of each OBS-trigger event it was sent. */
export class DeliveriesByBucket {
  readonly #seen = new Map<string, ObjectSeen[]>();

  /** Files one event's objects under its bucket. */
  add(event: unknown): void {
    const bucket = (event as { Records: { s3: { bucket: { name: string } } }[] }).Records[0]!.s3
      .bucket.name;
    this.#seen.set(bucket, [...this.in(bucket), ...recordsOf(event)]);
  }

  in(bucket: string): ObjectSeen[] {
    return this.#seen.get(bucket) ?? [];
  }
}
