/**
 * Where records that could not be delivered go, so that nothing is dropped silently. A record
 * counts as handled (and is acknowledged) only after its entry was written. The entry's shape
 * and the sink's interface are the contract's (../dead-letters.ts); this file makes entries.
 */
import { isUtf8 } from "node:buffer";
import { randomUUID } from "node:crypto";
import { ApiError, FgconnectError, FunctionError } from "../client/errors.js";
import type { InvocationMode, SourceRecord } from "../connector.js";
import type { DeadLetterEntry, DeadLetterError, DeadLetterSink } from "../dead-letters.js";
import { createFileDeadLetterSink } from "./dead-letter-file.js";
import type { DeadLetterReason } from "./metrics.js";
import type { DeadLetterConfigInput } from "./schema.js";
import { deadLetterSchema } from "./schema.js";

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
    id: randomUUID(),
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

/** Builds the sink a config names. */
export function createDeadLetterSink(config: DeadLetterConfigInput): DeadLetterSink {
  const parsed = deadLetterSchema.parse(config);
  return createFileDeadLetterSink({ path: parsed.path, fsync: parsed.fsync });
}
