/**
 * The contract between a source (Kafka, MQTT, a bucket, a schedule) and the delivery engine.
 *
 * A connector owns only its I/O: it reads, turns what it read into records, pushes them with
 * `ctx.push`, and acknowledges each record once the promise `push` returned settles with
 * `delivered` or `dead-lettered`. It never calls FunctionGraph, and the engine never imports a
 * connector: they meet only through these types.
 */
import type { AsyncInvokeResult, InvokeResult } from "./client/types.js";
import type { DeadLetterSink } from "./dead-letters.js";
import type { Logger } from "./engine/logger.js";

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** What filters match on: topic, partition, key, headers… (flat or nested). */
export type RecordAttributes = { [key: string]: JsonValue };

export type InvocationMode = "sync" | "async";

/**
 * The W3C trace context a producer sent with a record (`traceparent`, `tracestate`), so that
 * its trace continues into the invocation. Fill it with `traceContextOf(headers)`.
 */
export interface TraceContext {
  readonly traceparent: string;
  readonly tracestate?: string;
}

/** One unit read from a source. The engine never mutates it. */
export interface SourceRecord {
  /** Unique within the source (e.g. `topic/partition/offset`); used in logs and dead letters. */
  readonly id: string;
  /** Name of the connector that produced it. */
  readonly source: string;
  readonly attributes: RecordAttributes;
  /** Binary bodies stay Buffers; filters see the body parsed as JSON when it is JSON. */
  readonly body: Buffer | JsonValue;
  /** Records sharing a key are delivered one after another, in push order. */
  readonly orderingKey?: string;
  /** When the event happened at the source, epoch milliseconds (drives the maximum event age). */
  readonly timestamp: number;
  /** Approximate size in bytes (drives memory limits and batch sizes). */
  readonly size: number;
  /** The producer's trace context, when its headers carried one (see `traceContextOf`). */
  readonly traceContext?: TraceContext;
}

/**
 * What became of a pushed record.
 * - `delivered`, `dead-lettered`: handled — acknowledge it now (commit, PUBACK, checkpoint).
 * - `abandoned`: the engine is shutting down, or replacing this instance (a reload changed its
 *   options; what it pushes once paused is abandoned at once), and gives it back undelivered —
 *   do NOT acknowledge it, so that the source delivers it again (to the new instance).
 */
export type RecordOutcome = "delivered" | "dead-lettered" | "abandoned";

/** What the engine hands a connector when it starts it. */
export interface ConnectorContext<R extends SourceRecord = SourceRecord> {
  /**
   * Hands one record to the engine. Never throws and never rejects: the promise settles once
   * with the record's outcome. Do not await it before pushing the next record (that would
   * deliver one record at a time); keep the promise and acknowledge when it settles.
   * When the engine's buffer is full it calls `pause()`; pushes made before the source has
   * paused are still accepted.
   */
  push(record: R): Promise<RecordOutcome>;
  readonly logger: Logger;
}

/** Passed to a payload format alongside the batch. */
export interface FormatInfo {
  /** Name of the route the batch is delivered for. */
  readonly route: string;
  readonly mode: InvocationMode;
}

/** Turns a batch of records into one FunctionGraph event (e.g. the Kafka trigger's shape). */
export interface PayloadFormat<R extends SourceRecord = SourceRecord> {
  /** One line for docs and `--help`. */
  readonly description: string;
  /**
   * Pure: the same records always give the same event. A thrown error dead-letters the batch.
   * (Method syntax on purpose: it lets a `Connector<KafkaRecord>` stand where a `Connector` is
   * expected.)
   */
  build(records: readonly R[], info: FormatInfo): unknown;
  /**
   * How a function names this record when it answers a batch with
   * `{"batchItemFailures": [{"itemIdentifier": …}]}`: a value the event carries for the record.
   * Default: the record's `id`.
   */
  itemId?(record: R): string;
}

export interface ConnectorHealth {
  connected: boolean;
  /** Human-readable detail: the broker it talks to, the last error… Never secrets. */
  detail?: string;
}

export interface ConnectorLag {
  /** Records (or objects, or missed ticks) waiting at the source. */
  total: number;
  /** Per partition, topic or prefix, when the source knows. */
  detail?: Record<string, number>;
}

/**
 * A source of records. Lifecycle: `start(ctx)` once; then any number of `pause()`/`resume()`
 * (backpressure, always in alternation, starting with `pause`); then `stop()` once. A
 * connector whose `start()` rejected gets `stop()` to release what it opened, and is not used
 * again (`withStartRetry` makes a fresh one).
 */
export interface Connector<R extends SourceRecord = SourceRecord> {
  /** Unique among the engine's connectors; routes name it in `from`. */
  readonly name: string;
  /** The kind of source: "kafka", "mqtt", "s3", "cron"… */
  readonly type: string;
  /** Named payload formats, e.g. `{ native: …, raw: … }`. */
  readonly formats: Readonly<Record<string, PayloadFormat<R>>>;
  /** The format used by routes that name none; a key of `formats`. */
  readonly defaultFormat: string;
  /** Connect and begin pushing records. Reject if the source cannot be reached. */
  start(ctx: ConnectorContext<R>): Promise<void>;
  /**
   * Stop reading (the engine's buffer is full, or it is shutting down). Overshoot is fine:
   * records already read may still be pushed.
   */
  pause(): void;
  /** Read again after `pause()`. */
  resume(): void;
  /**
   * Stop reading records of this ordering key (e.g. pause that partition), and read the other
   * keys: it holds more than its fair share of the engine's buffer. Optional, for sources
   * that read per key; it lets a hot key never fill the buffer and starve the others. Overshoot
   * is fine. Without it, `pause()` alone bounds the buffer.
   */
  pauseKey?(key: string): void;
  /** Read this key again after `pauseKey(key)`. */
  resumeKey?(key: string): void;
  /**
   * Called once, after every record this connector pushed has its outcome (the engine has
   * delivered, dead-lettered or abandoned all of them, and `pause()` was called first).
   * Flush the remaining acknowledgements, then disconnect.
   */
  stop(): Promise<void>;
  health(): ConnectorHealth;
  lag?(): Promise<ConnectorLag>;
  /**
   * The source's own dead-letter destination (a Kafka topic, an MQTT topic), when configured:
   * this connector's records go there instead of the engine's sink. The connector opens it
   * in `start()` and closes it in `stop()`, which comes after every record's outcome.
   */
  readonly deadLetter?: DeadLetterSink<R>;
  /**
   * Called when a sync invocation of `records` returned, before they count as delivered: lets
   * a source use the function's result (MQTT 5 request/response). A rejection fails the
   * attempt, which the route's delivery policy retries like any other failure.
   */
  onResult?(records: readonly R[], result: InvokeResult, info: FormatInfo): Promise<void>;
  /**
   * Called when FunctionGraph accepted an async invocation of `records`, before they count as
   * delivered: lets a source hand the request id back (an HTTP caller's 202). Same failure
   * rules as `onResult`.
   */
  onAccepted?(records: readonly R[], result: AsyncInvokeResult, info: FormatInfo): Promise<void>;
}
