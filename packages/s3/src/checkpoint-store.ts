/**
 * Where the checkpoint lives between polls: a local file, or an object in the watched bucket.
 * Either way a poll reads the live checkpoint as a stream and writes its successor to a new
 * local file; `commit` makes the successor live (rename, or a conditional PUT then rename).
 */
import { createHash } from "node:crypto";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Bucket } from "./bucket.js";
import {
  type CheckpointEntry,
  type CheckpointScope,
  type CheckpointTruncation,
  CheckpointWriter,
  readCheckpoint,
} from "./checkpoint-file.js";
import { CheckpointConflictError } from "./errors.js";

/** What `load` found. */
export interface CheckpointStatus {
  /** A checkpoint exists (false on a first run). */
  exists: boolean;
  /** Entries read. */
  entries: number;
  /** Set when the checkpoint was cut short; its entries are what survived. */
  truncated?: CheckpointTruncation;
}

export interface CheckpointStore {
  /** For messages: the file or `s3://bucket/key`. */
  readonly location: string;
  /**
   * Fetches the live checkpoint and reads it through, so a corrupt one fails here
   * (CheckpointError), before the first poll, and a truncated one is reported.
   */
  load(): Promise<CheckpointStatus>;
  entries(): AsyncGenerator<CheckpointEntry>;
  /** A writer for the successor checkpoint. */
  writer(): Promise<CheckpointWriter>;
  /** Makes the writer's file the live checkpoint. */
  commit(writer: CheckpointWriter): Promise<void>;
  close(): Promise<void>;
}

export class FileCheckpointStore implements CheckpointStore {
  readonly location: string;
  private exists = false;

  constructor(
    path: string,
    private readonly scope: CheckpointScope,
  ) {
    this.location = resolve(path);
  }

  async load(): Promise<CheckpointStatus> {
    this.exists = await fileExists(this.location);
    return inspect(this.location, this.scope, this.location, this.exists);
  }

  entries(): AsyncGenerator<CheckpointEntry> {
    return readCheckpoint(this.location, this.scope);
  }

  writer(): Promise<CheckpointWriter> {
    return CheckpointWriter.create(nextPath(this.location), this.scope);
  }

  async commit(writer: CheckpointWriter): Promise<void> {
    await writer.commit(this.location);
    this.exists = true;
  }

  async close(): Promise<void> {}
}

/**
 * The checkpoint as an object of the bucket, cached in a local file. Writes are conditional
 * (`If-None-Match: *` for the first, `If-Match: <etag>` after), so two writers never silently
 * overwrite each other: the loser gets CheckpointConflictError and reloads.
 */
export class BucketCheckpointStore implements CheckpointStore {
  readonly location: string;
  private readonly localPath: string;
  private etag: string | undefined;

  constructor(
    private readonly bucket: Bucket,
    private readonly key: string,
    private readonly scope: CheckpointScope,
  ) {
    this.location = `s3://${bucket.name}/${key}`;
    const id = createHash("sha256")
      .update(`${bucket.location}\n${bucket.name}\n${key}`)
      .digest("hex");
    this.localPath = join(tmpdir(), "fgconnect-s3", `${id.slice(0, 20)}-${process.pid}.checkpoint`);
  }

  async load(): Promise<CheckpointStatus> {
    await mkdir(join(tmpdir(), "fgconnect-s3"), { recursive: true });
    await rm(this.localPath, { force: true });
    this.etag = await this.bucket.download(this.key, this.localPath);
    return inspect(this.localPath, this.scope, this.location, this.etag !== undefined);
  }

  entries(): AsyncGenerator<CheckpointEntry> {
    return readCheckpoint(this.localPath, this.scope, this.location);
  }

  writer(): Promise<CheckpointWriter> {
    return CheckpointWriter.create(nextPath(this.localPath), this.scope);
  }

  async commit(writer: CheckpointWriter): Promise<void> {
    await writer.close();
    try {
      this.etag = await this.bucket.upload(
        this.key,
        writer.path,
        this.etag === undefined ? { ifNoneMatch: "*" } : { ifMatch: this.etag },
      );
    } catch (error) {
      await writer.discard();
      if (error instanceof CheckpointConflictError) await this.load();
      throw error;
    }
    await rename(writer.path, this.localPath);
  }

  async close(): Promise<void> {
    await rm(this.localPath, { force: true });
  }
}

/** Reads a checkpoint through: throws CheckpointError if it is corrupt. */
async function inspect(
  path: string,
  scope: CheckpointScope,
  location: string,
  exists: boolean,
): Promise<CheckpointStatus> {
  let truncated: CheckpointTruncation | undefined;
  let entries = 0;
  for await (const _ of readCheckpoint(path, scope, location, (t) => {
    truncated = t;
  }))
    entries++;
  return { exists, entries, ...(truncated ? { truncated } : {}) };
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

let written = 0;

/** A fresh name beside `path` for a successor checkpoint (a poll may need two). */
function nextPath(path: string): string {
  written++;
  return `${path}.next-${process.pid}-${written}`;
}
