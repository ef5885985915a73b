/**
 * The bucket as the connector needs it, over @aws-sdk/client-s3 — the only file that imports
 * the SDK. Every SDK failure leaves here as one of the typed errors in errors.ts.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type * as S3Sdk from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import { lazyRequire } from "@fgconnect/core/internal";
import {
  BucketNotFoundError,
  CheckpointConflictError,
  S3AccessDeniedError,
  S3ConnectorError,
  S3RequestError,
  S3UnreachableError,
} from "./errors.js";
import type { ResolvedS3Options } from "./options.js";

const sdk = lazyRequire<typeof S3Sdk>("@aws-sdk/client-s3", import.meta.url);

/** One entry of a listing. ETags are kept without their quotes. */
export interface ListedObject {
  key: string;
  etag: string;
  size: number;
  /** Epoch milliseconds. */
  lastModified: number;
}

export interface ObjectContent {
  body: Buffer;
  contentType?: string;
}

/** What a checkpoint write requires of the object's current state. */
export type PutCondition = { ifNoneMatch: "*" } | { ifMatch: string };

/** The operations the connector performs on its bucket (an in-memory fake implements it in unit tests). */
export interface Bucket {
  readonly name: string;
  /** Where the bucket lives, for messages. */
  readonly location: string;
  /** Proves the bucket exists and the credentials may list it. */
  check(prefix: string): Promise<void>;
  /** Pages of a ListObjectsV2 walk, in key order. */
  list(prefix: string, pageSize: number): AsyncIterable<ListedObject[]>;
  /** The object's content, or undefined when it no longer exists or is larger than maxBytes. */
  read(key: string, maxBytes: number): Promise<ObjectContent | undefined>;
  /** Streams the object into a file; returns its ETag, or undefined when it does not exist. */
  download(key: string, path: string): Promise<string | undefined>;
  /** Uploads a file under a precondition; returns the new ETag. Throws CheckpointConflictError on 412. */
  upload(key: string, path: string, condition: PutCondition): Promise<string>;
  /** Adds one tag, keeping the object's other tags. */
  addTag(key: string, tagKey: string, tagValue: string): Promise<void>;
  copy(from: string, to: string): Promise<void>;
  remove(key: string): Promise<void>;
  close(): void;
}

export function createBucket(options: ResolvedS3Options): Bucket {
  return new SdkBucket(options);
}

class SdkBucket implements Bucket {
  readonly name: string;
  readonly location: string;
  private readonly client: S3Client;

  constructor(options: ResolvedS3Options) {
    this.name = options.bucket;
    this.location = options.endpoint ?? `AWS S3 (${options.region})`;
    this.client = new (sdk().S3Client)({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.pathStyle,
      // A copy: the SDK annotates the object it is given.
      credentials: options.credentials && { ...options.credentials },
      // Only checksums the server asks for: several S3-compatible stores reject the others.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: 3,
    });
  }

  async check(prefix: string): Promise<void> {
    await this.call("ListObjectsV2", () =>
      this.client.send(
        new (sdk().ListObjectsV2Command)({ Bucket: this.name, Prefix: prefix, MaxKeys: 1 }),
      ),
    );
  }

  async *list(prefix: string, pageSize: number): AsyncIterable<ListedObject[]> {
    let token: string | undefined;
    do {
      const page = await this.call("ListObjectsV2", () =>
        this.client.send(
          new (sdk().ListObjectsV2Command)({
            Bucket: this.name,
            Prefix: prefix || undefined,
            MaxKeys: pageSize,
            ContinuationToken: token,
          }),
        ),
      );
      const objects: ListedObject[] = [];
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        objects.push({
          key: o.Key,
          etag: unquote(o.ETag ?? ""),
          size: o.Size ?? 0,
          lastModified: o.LastModified?.getTime() ?? 0,
        });
      }
      yield objects;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async read(key: string, maxBytes: number): Promise<ObjectContent | undefined> {
    try {
      const out = await this.call("GetObject", () =>
        this.client.send(new (sdk().GetObjectCommand)({ Bucket: this.name, Key: key })),
      );
      const stream = out.Body as Readable | undefined;
      if (!stream) return { body: Buffer.alloc(0), contentType: out.ContentType };
      if ((out.ContentLength ?? 0) > maxBytes) {
        stream.destroy();
        return undefined;
      }
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of stream) {
        total += (chunk as Buffer).length;
        if (total > maxBytes) {
          stream.destroy();
          return undefined;
        }
        chunks.push(chunk as Buffer);
      }
      return { body: Buffer.concat(chunks), contentType: out.ContentType };
    } catch (error) {
      if (isS3Code(error, "NoSuchKey")) return undefined;
      throw error;
    }
  }

  async download(key: string, path: string): Promise<string | undefined> {
    try {
      const out = await this.call("GetObject", () =>
        this.client.send(new (sdk().GetObjectCommand)({ Bucket: this.name, Key: key })),
      );
      await pipeline(out.Body as Readable, createWriteStream(path));
      return unquote(out.ETag ?? "");
    } catch (error) {
      if (isS3Code(error, "NoSuchKey")) return undefined;
      throw error;
    }
  }

  async upload(key: string, path: string, condition: PutCondition): Promise<string> {
    const { size } = await stat(path);
    try {
      const out = await this.call("PutObject", () =>
        this.client.send(
          new (sdk().PutObjectCommand)({
            Bucket: this.name,
            Key: key,
            Body: createReadStream(path),
            ContentLength: size,
            ContentType: "text/plain; charset=utf-8",
            ...("ifMatch" in condition
              ? { IfMatch: `"${condition.ifMatch}"` }
              : { IfNoneMatch: condition.ifNoneMatch }),
          }),
        ),
      );
      return unquote(out.ETag ?? "");
    } catch (error) {
      if (isS3Code(error, "PreconditionFailed") || isS3Code(error, "ConditionalRequestConflict")) {
        throw new CheckpointConflictError(key);
      }
      throw error;
    }
  }

  async addTag(key: string, tagKey: string, tagValue: string): Promise<void> {
    const current = await this.call("GetObjectTagging", () =>
      this.client.send(new (sdk().GetObjectTaggingCommand)({ Bucket: this.name, Key: key })),
    );
    const tags = (current.TagSet ?? []).filter((t) => t.Key !== tagKey);
    tags.push({ Key: tagKey, Value: tagValue });
    await this.call("PutObjectTagging", () =>
      this.client.send(
        new (sdk().PutObjectTaggingCommand)({
          Bucket: this.name,
          Key: key,
          Tagging: { TagSet: tags },
        }),
      ),
    );
  }

  async copy(from: string, to: string): Promise<void> {
    await this.call("CopyObject", () =>
      this.client.send(
        new (sdk().CopyObjectCommand)({
          Bucket: this.name,
          Key: to,
          CopySource: `${this.name}/${encodeCopyKey(from)}`,
        }),
      ),
    );
  }

  async remove(key: string): Promise<void> {
    await this.call("DeleteObject", () =>
      this.client.send(new (sdk().DeleteObjectCommand)({ Bucket: this.name, Key: key })),
    );
  }

  close(): void {
    this.client.destroy();
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw this.classify(operation, error);
    }
  }

  private classify(operation: string, error: unknown): Error {
    if (error instanceof S3ConnectorError) return error;
    if (error instanceof sdk().S3ServiceException) {
      const status = error.$metadata?.httpStatusCode;
      const code = error.name;
      if (code === "NoSuchBucket")
        return new BucketNotFoundError(this.name, this.location, { cause: error });
      if (
        code === "InvalidAccessKeyId" ||
        code === "SignatureDoesNotMatch" ||
        code === "AccessDenied" ||
        code === "InvalidToken" ||
        code === "ExpiredToken" ||
        status === 403
      ) {
        return new S3AccessDeniedError(this.name, code === "Unknown" ? `HTTP ${status}` : code, {
          cause: error,
        });
      }
      // NoSuchKey and PreconditionFailed are answered by the callers that expect them.
      if (
        code === "NoSuchKey" ||
        code === "PreconditionFailed" ||
        code === "ConditionalRequestConflict"
      ) {
        return error;
      }
      return new S3RequestError(operation, code, status, { cause: error });
    }
    const reason = error instanceof Error ? error.message || error.name : String(error);
    const sysCode = (error as { code?: unknown }).code;
    if (typeof sysCode === "string" || (error instanceof Error && error.name === "TimeoutError")) {
      return new S3UnreachableError(this.location, typeof sysCode === "string" ? sysCode : reason, {
        cause: error,
      });
    }
    return new S3RequestError(operation, reason, undefined, { cause: error });
  }
}

function isS3Code(error: unknown, code: string): boolean {
  return error instanceof sdk().S3ServiceException && error.name === code;
}

function unquote(etag: string): string {
  return etag.replace(/^"|"$/g, "");
}

/** CopySource is `bucket/key` with the key URL-encoded (slashes kept). */
function encodeCopyKey(key: string): string {
  return key.split("/").map(encodeURIComponent).join("/");
}
