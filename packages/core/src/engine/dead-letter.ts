/**
 * Where records that could not be delivered go, so that nothing is dropped silently. A record
 * counts as handled (and is acknowledged) only after its entry was written.
 */
import { isUtf8 } from "node:buffer";
import { type FileHandle, mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { ApiError, FgconnectError, FunctionError } from "../client/errors.js";
import type { InvocationMode, JsonValue, RecordAttributes, SourceRecord } from "../connector.js";
import type { DeadLetterReason } from "./metrics.js";
import type { DeadLetterConfigInput } from "./schema.js";
import { deadLetterSchema } from "./schema.js";

export interface DeadLetterSink {
  /** Resolve only once the entry is durably stored; reject if it was not. */
  write(entry: DeadLetterEntry): Promise<void>;
  close?(): Promise<void>;
}

/** The error of the last attempt, without its stack or payload. */
export interface DeadLetterError {
  name: string;
  code: string;
  message: string;
  requestId?: string;
  httpStatus?: number;
}

/** One dead-lettered record. Serialised as one JSON line by the file sink. */
export interface DeadLetterEntry {
  version: 1;
  reason: DeadLetterReason;
  route: string;
  /** The function URN the delivery was for. */
  target: string;
  mode: InvocationMode;
  /** Invocation attempts made (0 when the record expired before the first). */
  attempts: number;
  /** ISO 8601. */
  firstAttemptAt: string | null;
  deadLetteredAt: string;
  error: DeadLetterError | null;
  record: {
    id: string;
    source: string;
    /** The record's source timestamp, ISO 8601. */
    timestamp: string;
    orderingKey?: string;
    size: number;
    attributes: RecordAttributes;
    /** `utf8`/`base64`: body is a string (a Buffer's text, or its bytes in base64); `json`: as is. */
    bodyEncoding: "json" | "utf8" | "base64";
    body: JsonValue;
  };
}

export function describeError(error: unknown): DeadLetterError | null {
  if (error === undefined) return null;
  if (!(error instanceof Error)) return { name: "Error", code: "UNKNOWN", message: String(error) };
  const out: DeadLetterError = {
    name: error.name,
    code: error instanceof FgconnectError ? error.code : error.name,
    message: error.message,
  };
  if (error instanceof ApiError) {
    out.httpStatus = error.status;
    if (error.requestId) out.requestId = error.requestId;
  } else if (error instanceof FunctionError && error.requestId) {
    out.requestId = error.requestId;
  }
  return out;
}

function encodeBody(
  body: SourceRecord["body"],
): Pick<DeadLetterEntry["record"], "body" | "bodyEncoding"> {
  if (Buffer.isBuffer(body)) {
    return isUtf8(body)
      ? { bodyEncoding: "utf8", body: body.toString("utf8") }
      : { bodyEncoding: "base64", body: body.toString("base64") };
  }
  return { bodyEncoding: "json", body };
}

export interface DeadLetterContext {
  reason: DeadLetterReason;
  route: string;
  target: string;
  mode: InvocationMode;
  attempts: number;
  firstAttemptAt: number | undefined;
  error: unknown;
  now: number;
}

export function toDeadLetterEntry(record: SourceRecord, ctx: DeadLetterContext): DeadLetterEntry {
  return {
    version: 1,
    reason: ctx.reason,
    route: ctx.route,
    target: ctx.target,
    mode: ctx.mode,
    attempts: ctx.attempts,
    firstAttemptAt:
      ctx.firstAttemptAt === undefined ? null : new Date(ctx.firstAttemptAt).toISOString(),
    deadLetteredAt: new Date(ctx.now).toISOString(),
    error: describeError(ctx.error),
    record: {
      id: record.id,
      source: record.source,
      timestamp: new Date(record.timestamp).toISOString(),
      ...(record.orderingKey === undefined ? {} : { orderingKey: record.orderingKey }),
      size: record.size,
      attributes: record.attributes,
      ...encodeBody(record.body),
    },
  };
}

export interface FileDeadLetterSinkOptions {
  path: string;
  /** Flush each entry to disk before resolving (default true). */
  fsync?: boolean;
}

/**
 * Appends one JSON object per line. Writes are serialised so lines never interleave; a failed
 * write closes the file so that the next write (the engine retries) starts afresh.
 */
export function createFileDeadLetterSink(
  options: FileDeadLetterSinkOptions,
): Required<DeadLetterSink> {
  const fsync = options.fsync ?? true;
  let handle: FileHandle | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  async function append(line: string): Promise<void> {
    try {
      if (!handle) {
        await mkdir(dirname(options.path), { recursive: true });
        handle = await open(options.path, "a");
      }
      await handle.appendFile(line, "utf8");
      if (fsync) await handle.datasync();
    } catch (error) {
      const broken = handle;
      handle = undefined;
      await broken?.close().catch(() => {});
      throw error;
    }
  }

  return {
    write(entry) {
      const line = `${JSON.stringify(entry)}\n`;
      const done = queue.then(() => append(line));
      queue = done.catch(() => {});
      return done;
    },
    async close() {
      await queue;
      const h = handle;
      handle = undefined;
      await h?.close();
    },
  };
}

/** Builds the sink a config names. */
export function createDeadLetterSink(config: DeadLetterConfigInput): DeadLetterSink {
  const parsed = deadLetterSchema.parse(config);
  return createFileDeadLetterSink({ path: parsed.path, fsync: parsed.fsync });
}
