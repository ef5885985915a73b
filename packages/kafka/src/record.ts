/**
 * A Kafka message as the engine sees it. The body is the raw value (a Buffer: the engine parses
 * JSON for filters, dead letters keep it byte for byte); attributes carry the rest.
 */
import { isUtf8 } from "node:buffer";
import { type SourceRecord, traceContextOf } from "@fgconnect/core";

export type KafkaAttributes = {
  topic: string;
  partition: number;
  /** Offsets are int64: kept as the decimal string Kafka gives. */
  offset: string;
  /** The key as text, or base64 when it is not UTF-8 (see keyEncoding); null when absent. */
  key: string | null;
  keyEncoding: "utf8" | "base64";
  /** Header values as text, or base64 when not UTF-8 (named in headerEncodings). */
  headers: Record<string, string>;
  headerEncodings: Record<string, "base64">;
  /** Why the record cannot be delivered; set for poison records, which are dead-lettered alone. */
  poison?: string;
};

export interface KafkaRecord extends SourceRecord {
  readonly attributes: KafkaAttributes;
  /** The value's bytes; null for a tombstone. */
  readonly body: Buffer | null;
  /** Whether the value is valid UTF-8 (checked once, here; true for a tombstone). */
  readonly bodyIsUtf8: boolean;
}

/** What a consumer reads; independent of the client library. */
export interface RawMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | undefined | (Buffer | string)[]>;
  /** Epoch ms, as a decimal string. */
  timestamp: string;
}

const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NO_ENCODINGS = Object.freeze({}) as Record<string, "base64">;

export interface RecordLimits {
  maxRecordBytes: number;
  requireUtf8: boolean;
}

function text(buf: Buffer): { value: string; binary: boolean } {
  return isUtf8(buf)
    ? { value: buf.toString("utf8"), binary: false }
    : { value: buf.toString("base64"), binary: true };
}

export function toRecord(
  source: string,
  topic: string,
  partition: number,
  message: RawMessage,
  ordering: "partition" | "key",
  limits: RecordLimits,
): KafkaRecord {
  // Most records carry no headers: they share one empty (frozen) object instead of two each.
  let headers: Record<string, string> = NO_HEADERS;
  let headerEncodings: Record<string, "base64"> = NO_ENCODINGS;
  let size = (message.key?.length ?? 0) + (message.value?.length ?? 0);
  if (message.headers) {
    for (const name in message.headers) {
      const raw = message.headers[name];
      // A repeated header keeps its last value (records attributes are flat).
      const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
      if (last === undefined) continue;
      const t = text(Buffer.isBuffer(last) ? last : Buffer.from(last));
      if (headers === NO_HEADERS) headers = {};
      headers[name] = t.value;
      if (t.binary) {
        if (headerEncodings === NO_ENCODINGS) headerEncodings = {};
        headerEncodings[name] = "base64";
      }
      size += name.length + t.value.length;
    }
  }
  const bodyIsUtf8 = message.value === null || isUtf8(message.value);
  const key = message.key ? text(message.key) : undefined;
  const partitionLane = `${topic}/${partition}`;
  const poison =
    size > limits.maxRecordBytes
      ? `record is ${size} bytes, over the ${limits.maxRecordBytes}-byte limit (poison.maxRecordBytes); FunctionGraph refuses sync bodies over 6 MB`
      : limits.requireUtf8 && message.value && !isUtf8(message.value)
        ? "value is not UTF-8; the native Kafka-trigger event carries values as text (use the rich format and poison.requireUtf8: false for binary values)"
        : undefined;
  const attributes: KafkaAttributes = {
    topic,
    partition,
    offset: message.offset,
    key: key?.value ?? null,
    keyEncoding: key?.binary ? "base64" : "utf8",
    headers,
    headerEncodings,
  };
  if (poison) attributes.poison = poison;
  // A poison record gets a lane of its own: it is dead-lettered alone, never delaying its
  // neighbours' batch (it is never delivered, so order does not matter for it).
  const orderingKey = poison
    ? `${partitionLane}@${message.offset}`
    : ordering === "key" && key
      ? `${partitionLane}#${key.value}`
      : partitionLane;
  return {
    id: `${topic}/${partition}/${message.offset}`,
    source,
    attributes,
    // A view into the client's fetch response, not a copy: copying measured more garbage
    // collection and no less memory (the engine's buffer bounds what stays alive).
    body: message.value,
    bodyIsUtf8,
    orderingKey,
    timestamp: Number(message.timestamp),
    size,
    traceContext: headers === NO_HEADERS ? undefined : traceContextOf(headers),
  };
}
