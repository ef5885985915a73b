/**
 * Records → FunctionGraph events (pure). `native` is FunctionGraph's own Kafka-trigger event, so
 * functions written for the native trigger run unchanged; `rich` keeps everything Kafka knows.
 */
import { FgconnectError } from "@fgconnect/core";
import type { KafkaRecord } from "./record.js";

export interface EventInfo {
  region: string;
  instanceId: string;
}

export interface KafkaTriggerEvent {
  event_version: "v1.0";
  /** Epoch seconds: the newest record's timestamp. */
  event_time: number;
  trigger_type: "KAFKA";
  region: string;
  instance_id: string;
  records: { messages: string[]; topic_id: string }[];
}

export interface RichRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: number;
  key: string | null;
  keyEncoding: "utf8" | "base64";
  headers: Record<string, string>;
  headerEncodings: Record<string, "base64">;
  value: string | null;
  valueEncoding: "utf8" | "base64";
}

export interface RichKafkaEvent extends Omit<KafkaTriggerEvent, "records"> {
  records: RichRecord[];
}

/** A record that must not be invoked (see `poison` options); thrown so the engine dead-letters it. */
export class PoisonRecordError extends FgconnectError {
  readonly code = "KAFKA_POISON_RECORD";
  readonly retryable = false;
  constructor(
    readonly recordId: string,
    reason: string,
  ) {
    super(
      `record ${recordId}: ${reason}`,
      "It is dead-lettered with this reason; fix the producer, or use the rich format for binary values.",
    );
  }
}

function checkPoison(records: readonly KafkaRecord[]): void {
  for (const r of records)
    if (r.attributes.poison) throw new PoisonRecordError(r.id, r.attributes.poison);
}

export function eventTime(records: readonly KafkaRecord[]): number {
  let newest = 0;
  for (const r of records) if (r.timestamp > newest) newest = r.timestamp;
  return Math.floor(newest / 1000);
}

/**
 * The native event's values grouped by topic, in record order (null: a tombstone). Refuses what
 * the native event cannot carry: poison records, and values that are not UTF-8 text.
 */
export function valuesByTopic(records: readonly KafkaRecord[]): Map<string, (Buffer | null)[]> {
  checkPoison(records);
  const byTopic = new Map<string, (Buffer | null)[]>();
  for (const r of records) {
    if (!r.bodyIsUtf8) {
      throw new PoisonRecordError(
        r.id,
        "value is not UTF-8 and the native event carries values as text; use the rich format",
      );
    }
    let values = byTopic.get(r.attributes.topic);
    if (!values) {
      values = [];
      byTopic.set(r.attributes.topic, values);
    }
    values.push(r.body);
  }
  return byTopic;
}

/** The fields of the Kafka-trigger event around its records. */
export function eventEnvelope(
  records: readonly KafkaRecord[],
  info: EventInfo,
): Omit<KafkaTriggerEvent, "records"> {
  return {
    event_version: "v1.0",
    event_time: eventTime(records),
    trigger_type: "KAFKA",
    region: info.region,
    instance_id: info.instanceId,
  };
}

export function richKafkaEvent(records: readonly KafkaRecord[], info: EventInfo): RichKafkaEvent {
  checkPoison(records);
  return {
    ...eventEnvelope(records, info),
    records: records.map((r) => {
      const a = r.attributes;
      const binary = !r.bodyIsUtf8;
      return {
        topic: a.topic,
        partition: a.partition,
        offset: a.offset,
        timestamp: r.timestamp,
        key: a.key,
        keyEncoding: a.keyEncoding,
        headers: a.headers,
        headerEncodings: a.headerEncodings,
        value: r.body === null ? null : r.body.toString(binary ? "base64" : "utf8"),
        valueEncoding: binary ? "base64" : "utf8",
      };
    }),
  };
}
