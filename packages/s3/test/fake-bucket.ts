/** An in-memory bucket for unit tests: the connector's Bucket interface, no network. */
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import type { Bucket, ListedObject, ObjectContent, PutCondition } from "../src/bucket.js";
import { BucketNotFoundError, CheckpointConflictError } from "../src/errors.js";
import { compareKeys } from "../src/key-order.js";

interface Stored {
  body: Buffer;
  etag: string;
  contentType?: string;
  tags: Map<string, string>;
  lastModified: number;
}

export class FakeBucket implements Bucket {
  readonly location = "memory";
  readonly objects = new Map<string, Stored>();
  /** Set to make every call fail with it (e.g. the bucket is gone). */
  failure: Error | undefined;
  /** Fails the listing after this many pages. */
  failListingAfterPages: number | undefined;
  listCalls = 0;

  constructor(readonly name = "bucket") {}

  put(key: string, body: string | Buffer, contentType?: string): string {
    const buf = Buffer.from(body);
    const etag = createHash("md5").update(buf).digest("hex");
    this.objects.set(key, {
      body: buf,
      etag,
      contentType,
      tags: new Map(),
      lastModified: Date.now(),
    });
    return etag;
  }

  private guard(): void {
    if (this.failure) throw this.failure;
  }

  async check(): Promise<void> {
    this.guard();
  }

  async *list(prefix: string, pageSize: number): AsyncIterable<ListedObject[]> {
    this.guard();
    this.listCalls++;
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys);
    let pages = 0;
    for (let i = 0; i < keys.length || i === 0; i += pageSize) {
      if (this.failListingAfterPages !== undefined && pages >= this.failListingAfterPages) {
        throw new BucketNotFoundError(this.name, this.location);
      }
      pages++;
      yield keys.slice(i, i + pageSize).map((key) => {
        const o = this.objects.get(key)!;
        return { key, etag: o.etag, size: o.body.length, lastModified: o.lastModified };
      });
    }
  }

  async read(key: string, maxBytes: number): Promise<ObjectContent | undefined> {
    this.guard();
    const o = this.objects.get(key);
    if (!o || o.body.length > maxBytes) return undefined;
    return { body: o.body, contentType: o.contentType };
  }

  async download(key: string, path: string): Promise<string | undefined> {
    this.guard();
    const o = this.objects.get(key);
    if (!o) return undefined;
    await writeFile(path, o.body);
    return o.etag;
  }

  async upload(key: string, path: string, condition: PutCondition): Promise<string> {
    this.guard();
    const current = this.objects.get(key);
    if ("ifNoneMatch" in condition ? current !== undefined : current?.etag !== condition.ifMatch) {
      throw new CheckpointConflictError(key);
    }
    return this.put(key, await readFile(path));
  }

  async addTag(key: string, tagKey: string, tagValue: string): Promise<void> {
    this.guard();
    this.objects.get(key)?.tags.set(tagKey, tagValue);
  }

  async copy(from: string, to: string): Promise<void> {
    this.guard();
    const o = this.objects.get(from)!;
    this.objects.set(to, { ...o, tags: new Map() });
  }

  async remove(key: string): Promise<void> {
    this.guard();
    this.objects.delete(key);
  }

  close(): void {}
}
