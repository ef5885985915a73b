/**
 * Dead letters in the connector contract: what an entry holds, where the engine writes it (a
 * sink, which receives the connector's own typed record beside the entry), and how a stored
 * dead letter is read back for `fgconnect dlq` (a reader, which a connector with its own
 * dead-letter destination provides through its definition).
 */
import { createHash } from "node:crypto";
import type { InvocationMode, JsonValue, RecordAttributes, SourceRecord } from "./connector.js";
import type { Logger } from "./engine/logger.js";
import type { DeadLetterReason } from "./engine/metrics.js";

/** The error of the last attempt, without its stack or payload. */
export interface DeadLetterError {
  name: string;
  /** A stable code: FunctionGraph's error code, or the error's class name. */
  code: string;
  message: string;
  requestId?: string;
  httpStatus?: number;
}

/** One dead-lettered record. Serialised as one JSON line by the file sink. */
export interface DeadLetterEntry {
  version: 1;
  /** Unique, assigned when the entry is made; `dlq show` and `replayOf` name entries by it. */
  id: string;
  /** The entry this one is the failed replay of. */
  replayOf?: string;
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

/**
 * Where the engine writes records it could not deliver. A connector's own sink is typed by its
 * record (`DeadLetterSink<KafkaRecord>`), so it writes the original bytes, not the entry's copy.
 */
export interface DeadLetterSink<R extends SourceRecord = SourceRecord> {
  /**
   * Resolve only once the entry is durably stored; reject if it was not. `record` is the
   * record the connector pushed. (Method syntax: a `DeadLetterSink<KafkaRecord>` stands where a
   * `DeadLetterSink` is expected, as the engine only passes a connector its own records.)
   */
  write(entry: DeadLetterEntry, record: R): Promise<void>;
  close?(): Promise<void>;
}

/** A dead letter read back from where it was stored. */
export interface StoredDeadLetter {
  readonly entry: DeadLetterEntry;
  /** Already replayed (by an earlier `dlq replay`), as the store's marks say. */
  readonly replayed: boolean;
  /**
   * Marks it replayed, durably (a committed offset, a line in a cursor file): a later replay
   * leaves it alone unless asked. Only during a `read({ replay: true })`.
   */
  markReplayed(): Promise<void>;
}

export interface DeadLetterReadOptions {
  /**
   * True for a replay: the reader may hold the store for marking (join the replay consumer
   * group). False: read only, disturbing nothing.
   */
  replay: boolean;
  /** With `replay`: read what was replayed too (`--all`), from the start of the store. */
  all?: boolean;
  signal?: AbortSignal;
}

/** Reads a dead-letter store back: what `fgconnect dlq` lists, shows and replays. */
export interface DeadLetterReader {
  /** Names the store for people: "Kafka topic orders.dlq on kafka-1:9092". */
  readonly location: string;
  /** Every dead letter stored when the read began, oldest first (per partition). */
  read(options: DeadLetterReadOptions): AsyncIterable<StoredDeadLetter>;
  /** Writes the fresh dead letters of failed replays to the same store. */
  readonly sink: DeadLetterSink;
  close(): Promise<void>;
}

/** What a connector type adds to `fgconnect dlq` (part of its definition). */
export interface ConnectorDeadLetters<O = never> {
  /** This type's typed record back from an entry, for replays through its payload formats. */
  revive(entry: DeadLetterEntry): SourceRecord;
  /**
   * The reader of this connector's own dead-letter destination, when its options configure
   * one (else undefined: its dead letters are in the daemon's sink). Opens nothing until read.
   */
  reader?(name: string, options: O, context: DeadLetterReaderContext): DeadLetterReader | undefined;
}

export interface DeadLetterReaderContext {
  /** Directory for local state a reader keeps (the MQTT spool): the config's directory. */
  readonly stateDir: string;
  readonly logger: Logger;
}

/** The record's body as the source gave it: bytes for `utf8`/`base64`, JSON as is. */
export function deadLetterBody(entry: DeadLetterEntry): Buffer | JsonValue {
  const { body, bodyEncoding } = entry.record;
  if (bodyEncoding === "json") return body;
  return Buffer.from(String(body), bodyEncoding === "base64" ? "base64" : "utf8");
}

/** A plain record back from an entry (connector types with typed records revive their own). */
export function reviveRecord(entry: DeadLetterEntry): SourceRecord {
  const r = entry.record;
  return {
    id: r.id,
    source: r.source,
    attributes: r.attributes,
    body: deadLetterBody(entry),
    ...(r.orderingKey === undefined ? {} : { orderingKey: r.orderingKey }),
    timestamp: Date.parse(r.timestamp),
    size: r.size,
  };
}

/**
 * An entry parsed from stored JSON, or undefined when it is not one. Entries written before ids
 * existed get one derived from their content, so it is stable across reads.
 */
export function parseDeadLetterEntry(text: string): DeadLetterEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const e = value as Partial<DeadLetterEntry>;
  if (e.version !== 1 || typeof e.route !== "string" || typeof e.record !== "object")
    return undefined;
  if (typeof e.id !== "string")
    e.id = `h-${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
  return e as DeadLetterEntry;
}
