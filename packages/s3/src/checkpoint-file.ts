/**
 * The checkpoint's on-disk form: a header line, then one `key<TAB>etag` line per object, sorted
 * in S3's listing order. Being sorted, it is read and rewritten as a stream, merged with the
 * listing, so a poll holds one line of it in memory, not the whole bucket.
 */
import { once } from "node:events";
import { type createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import { CheckpointError } from "./errors.js";
import { compareKeys } from "./key-order.js";

export interface CheckpointEntry {
  key: string;
  etag: string;
}

/** What a checkpoint was written for; a different bucket or prefix makes it unusable. */
export interface CheckpointScope {
  bucket: string;
  prefix: string;
}

const FORMAT = "fgconnect-s3-checkpoint";
const VERSION = 1;

export function headerLine(scope: CheckpointScope): string {
  return JSON.stringify({
    format: FORMAT,
    version: VERSION,
    bucket: scope.bucket,
    prefix: scope.prefix,
  });
}

/** Keys may hold any character: escape the three that would break a line. */
function escapeKey(key: string): string {
  return key.replace(/[\\\t\n\r]/g, (c) =>
    c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r",
  );
}

function unescapeKey(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) =>
    c === "t" ? "\t" : c === "n" ? "\n" : c === "r" ? "\r" : c,
  );
}

/**
 * The entries of a checkpoint file, in order. A missing file is an empty checkpoint; a file
 * whose header names another bucket or prefix, or that is out of order, is a CheckpointError.
 */
export async function* readCheckpoint(
  path: string,
  scope: CheckpointScope,
  location = path,
): AsyncGenerator<CheckpointEntry> {
  let stream: ReturnType<typeof createReadStream>;
  try {
    const handle = await open(path, "r");
    stream = handle.createReadStream({ encoding: "utf8" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let first = true;
  let previous: string | undefined;
  try {
    for await (const line of lines) {
      if (first) {
        first = false;
        checkHeader(line, scope, location);
        continue;
      }
      if (line === "") continue;
      const tab = line.lastIndexOf("\t");
      if (tab < 0) throw new CheckpointError(location, `malformed line "${line.slice(0, 80)}"`);
      const key = unescapeKey(line.slice(0, tab));
      if (previous !== undefined && compareKeys(previous, key) >= 0) {
        throw new CheckpointError(location, `keys out of order at "${key.slice(0, 80)}"`);
      }
      previous = key;
      yield { key, etag: line.slice(tab + 1) };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

function checkHeader(line: string, scope: CheckpointScope, location: string): void {
  let header: { format?: unknown; version?: unknown; bucket?: unknown; prefix?: unknown };
  try {
    header = JSON.parse(line) as typeof header;
  } catch {
    throw new CheckpointError(location, "not a checkpoint file (bad header)");
  }
  if (header.format !== FORMAT || header.version !== VERSION) {
    throw new CheckpointError(location, `not a version ${VERSION} checkpoint file`);
  }
  if (header.bucket !== scope.bucket || header.prefix !== scope.prefix) {
    throw new CheckpointError(
      location,
      `it was written for bucket "${String(header.bucket)}" prefix "${String(header.prefix)}", not bucket "${scope.bucket}" prefix "${scope.prefix}"`,
    );
  }
}

/** Writes a new checkpoint beside the live one; `commit()` swaps it in atomically. */
export class CheckpointWriter {
  private readonly out: WriteStream;
  private previous: string | undefined;
  private closed = false;
  count = 0;

  private constructor(
    readonly path: string,
    private readonly scope: CheckpointScope,
  ) {
    this.out = createWriteStream(path, { encoding: "utf8" });
  }

  static async create(path: string, scope: CheckpointScope): Promise<CheckpointWriter> {
    await mkdir(dirname(path), { recursive: true });
    const writer = new CheckpointWriter(path, scope);
    await writer.line(headerLine(scope));
    return writer;
  }

  /** Entries must come in key order (the listing's order). */
  async write(entry: CheckpointEntry): Promise<void> {
    if (this.previous !== undefined && compareKeys(this.previous, entry.key) >= 0) {
      throw new Error(`checkpoint entries out of order: "${entry.key}" after "${this.previous}"`);
    }
    this.previous = entry.key;
    this.count++;
    await this.line(`${escapeKey(entry.key)}\t${entry.etag}`);
  }

  private async line(text: string): Promise<void> {
    // `once` rejects on "error" and removes its listeners either way.
    if (!this.out.write(`${text}\n`)) await once(this.out, "drain");
  }

  /** Flushes and syncs the file (it stays at `path`). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve, reject) => {
      this.out.once("error", reject);
      this.out.end(() => resolve());
    });
    const handle = await open(this.path, "r+");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Closes, then replaces `target` with this file (rename is atomic on one file system). */
  async commit(target: string): Promise<void> {
    await this.close();
    await rename(this.path, target);
  }

  /** Reads back what was written (after `close()`). */
  entries(): AsyncGenerator<CheckpointEntry> {
    return readCheckpoint(this.path, this.scope);
  }

  async discard(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.out.destroy();
    }
    await rm(this.path, { force: true });
  }
}
