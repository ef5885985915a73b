/**
 * The checkpoint's on-disk form: a header line, then one `key<TAB>etag` line per object, sorted
 * in S3's listing order, then an end line with the number of entries (so a file cut short is
 * told from a complete one). Being sorted, it is read and rewritten as a stream, merged with the
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
// Version 2 adds the end line; version 1 files (no end line) are still read.
const VERSION = 2;
const READABLE_VERSIONS = [1, 2];

/** A checkpoint cut short (a torn upload, a full disk): what could still be read of it. */
export interface CheckpointTruncation {
  /** Entries read intact. */
  entries: number;
  /** The last of them; undefined when none survived. */
  lastKey?: string;
}

function endLine(entries: number): string {
  return JSON.stringify({ end: true, entries });
}

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
 * whose header names another bucket or prefix, or that is out of order or malformed, is a
 * CheckpointError. A file cut short (no end line) yields the entries that are surely intact —
 * all but the last line, which may be torn — and then calls `onTruncated`.
 */
export async function* readCheckpoint(
  path: string,
  scope: CheckpointScope,
  location = path,
  onTruncated?: (truncation: CheckpointTruncation) => void,
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
  let version: number | undefined;
  let previous: string | undefined;
  let count = 0;
  let ended = false;
  // One line is held back: when the file turns out to be cut short, the last line may be torn.
  let held: string | undefined;
  const entry = (line: string): CheckpointEntry => {
    const tab = line.lastIndexOf("\t");
    if (tab < 0) throw new CheckpointError(location, `malformed line "${line.slice(0, 80)}"`);
    const key = unescapeKey(line.slice(0, tab));
    if (previous !== undefined && compareKeys(previous, key) >= 0) {
      throw new CheckpointError(location, `keys out of order at "${key.slice(0, 80)}"`);
    }
    previous = key;
    count++;
    return { key, etag: line.slice(tab + 1) };
  };
  try {
    for await (const line of lines) {
      if (version === undefined) {
        version = checkHeader(line, scope, location);
        continue;
      }
      if (line === "") continue;
      if (ended) throw new CheckpointError(location, "lines after the end line");
      if (version === 1) {
        yield entry(line);
        continue;
      }
      if (held !== undefined) yield entry(held);
      held = undefined;
      const end = parseEnd(line);
      if (end === undefined) {
        held = line;
        continue;
      }
      ended = true;
      if (end !== count) {
        throw new CheckpointError(
          location,
          `it holds ${count} entries where its end line says ${end}`,
        );
      }
    }
    if (version === 1) return;
    // No end line (or not even a header): the file was cut short.
    if (!ended) onTruncated?.({ entries: count, lastKey: previous });
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** The entry count of an end line, or undefined for any other line. */
function parseEnd(line: string): number | undefined {
  // Entry lines always hold a tab (keys have theirs escaped); the end line never does.
  if (line.includes("\t") || !line.startsWith("{")) return undefined;
  try {
    const end = JSON.parse(line) as { end?: unknown; entries?: unknown };
    return end.end === true && typeof end.entries === "number" ? end.entries : undefined;
  } catch {
    return undefined;
  }
}

function checkHeader(line: string, scope: CheckpointScope, location: string): number {
  let header: { format?: unknown; version?: unknown; bucket?: unknown; prefix?: unknown };
  try {
    header = JSON.parse(line) as typeof header;
  } catch {
    throw new CheckpointError(location, "not a checkpoint file (bad header)");
  }
  if (header.format !== FORMAT) {
    throw new CheckpointError(location, "not a checkpoint file (bad header)");
  }
  if (!READABLE_VERSIONS.includes(header.version as number)) {
    throw new CheckpointError(
      location,
      `checkpoint version ${String(header.version)} is not one this fgconnect reads (${READABLE_VERSIONS.join(", ")})`,
    );
  }
  if (header.bucket !== scope.bucket || header.prefix !== scope.prefix) {
    throw new CheckpointError(
      location,
      `it was written for bucket "${String(header.bucket)}" prefix "${String(header.prefix)}", not bucket "${scope.bucket}" prefix "${scope.prefix}"`,
    );
  }
  return header.version as number;
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

  /** Ends the file with its end line, flushes and syncs it (it stays at `path`). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.line(endLine(this.count));
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
