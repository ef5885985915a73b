/**
 * The file dead-letter store: entries appended one JSON object per line, and read back with a
 * sidecar file (`<path>.replayed`, one entry id per line) marking what `dlq replay` replayed.
 */
import { createReadStream } from "node:fs";
import { type FileHandle, mkdir, open, readFile, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import {
  type DeadLetterReader,
  type DeadLetterReadOptions,
  type DeadLetterSink,
  parseDeadLetterEntry,
  type StoredDeadLetter,
} from "../dead-letters.js";

export interface FileDeadLetterSinkOptions {
  path: string;
  /** Flush each entry to disk before resolving (default true). */
  fsync?: boolean;
}

/**
 * Appends text to a file, serialised so lines never interleave; a failed write closes the file
 * so that the next write (the engine retries) starts afresh.
 */
function appender(path: string, fsync: boolean) {
  let handle: FileHandle | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  async function append(text: string): Promise<void> {
    try {
      if (!handle) {
        await mkdir(dirname(path), { recursive: true });
        handle = await open(path, "a");
      }
      await handle.appendFile(text, "utf8");
      if (fsync) await handle.datasync();
    } catch (error) {
      const broken = handle;
      handle = undefined;
      await broken?.close().catch(() => {});
      throw error;
    }
  }

  return {
    append(text: string): Promise<void> {
      const done = queue.then(() => append(text));
      queue = done.catch(() => {});
      return done;
    },
    async close(): Promise<void> {
      await queue;
      const h = handle;
      handle = undefined;
      await h?.close();
    },
  };
}

/** Appends one JSON object per line. */
export function createFileDeadLetterSink(
  options: FileDeadLetterSinkOptions,
): Required<DeadLetterSink> {
  const file = appender(options.path, options.fsync ?? true);
  return {
    write: (entry) => file.append(`${JSON.stringify(entry)}\n`),
    close: () => file.close(),
  };
}

/** The sidecar that marks replayed entries of the file at `path`. */
export function replayedFileOf(path: string): string {
  return `${path}.replayed`;
}

/** Read options of the file store: `lastBytes` bounds a read to the file's newest entries. */
export interface FileDeadLetterReadOptions extends DeadLetterReadOptions {
  /**
   * Read only the entries that start within the file's last this many bytes, so a page showing
   * the newest stays fast on a large file (an entry longer than that is not read).
   */
  lastBytes?: number;
}

export interface FileDeadLetterReader extends DeadLetterReader {
  read(options: FileDeadLetterReadOptions): AsyncIterable<StoredDeadLetter>;
}

async function* readLines(
  path: string,
  lastBytes = Number.POSITIVE_INFINITY,
): AsyncGenerator<string> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (size === 0) return;
  // From the byte before the bound, so that the first line read, whole or cut, can be dropped.
  const start = Math.max(0, size - lastBytes - 1);
  // Up to the size at the start: entries appended meanwhile (failed replays) wait for the next read.
  const lines = createInterface({
    input: createReadStream(path, { start, end: size - 1 }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let first = start > 0;
  for await (const line of lines) {
    if (first) first = false;
    else if (line.trim()) yield line;
  }
}

/**
 * Reads the entries of a file sink. A replay marks an entry by appending its id to the
 * sidecar (flushed to disk before `markReplayed` resolves), so a replay killed midway and
 * started again resends only what was in flight.
 */
export function createFileDeadLetterReader(
  options: FileDeadLetterSinkOptions,
): FileDeadLetterReader {
  const sink = createFileDeadLetterSink(options);
  const marks = appender(replayedFileOf(options.path), true);
  return {
    location: `file ${options.path}`,
    sink,
    async *read({ replay, lastBytes }) {
      const replayed = new Set<string>();
      try {
        for (const id of (await readFile(replayedFileOf(options.path), "utf8")).split("\n"))
          if (id) replayed.add(id);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
      // An entry stored twice (a spool that took a message again after a crash) is read once.
      const seen = new Set<string>();
      for await (const line of readLines(options.path, lastBytes)) {
        const entry = parseDeadLetterEntry(line);
        if (!entry || seen.has(entry.id)) continue;
        seen.add(entry.id);
        const stored: StoredDeadLetter = {
          entry,
          replayed: replayed.has(entry.id),
          markReplayed: async () => {
            if (!replay) throw new Error("dead letters are marked only during a replay");
            await marks.append(`${entry.id}\n`);
          },
        };
        yield stored;
      }
    },
    async close() {
      await sink.close();
      await marks.close();
    },
  };
}
