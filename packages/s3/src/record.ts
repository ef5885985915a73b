/** An object event as the engine sees it, built the same way by polling and by notifications. */
import type { JsonValue, PayloadFormat, SourceRecord } from "@fgconnect/core";
import { type ObsEventRecord, obsEvent } from "./payload.js";

/** One object event, as the engine sees it: its body is one entry of the OBS event's `Records`. */
export interface S3Record extends SourceRecord {
  readonly body: JsonValue;
  readonly attributes: {
    bucket: string;
    key: string;
    eventName: string;
    /** created, changed or deleted (polling), or notification. */
    change: string;
    size?: number;
    etag?: string;
  };
}

export const obsFormat: PayloadFormat<S3Record> = {
  description:
    "FunctionGraph's OBS-trigger event (the S3 notification shape): one entry in Records per object event of the batch.",
  build: (records) => obsEvent(records),
};

export interface RecordFields {
  /** The connector's name. */
  source: string;
  bucket: string;
  key: string;
  /** created, changed or deleted (polling), or notification. */
  change: string;
  etag: string | undefined;
  sequencer?: string;
  eventTime?: string;
  /** The clock, read when the event has no time of its own. */
  now: () => number;
}

export function s3Record(body: ObsEventRecord, f: RecordFields): S3Record {
  const size = body.s3.object.size;
  const sequencer = f.sequencer ?? body.s3.object.sequencer;
  const parsedTime = f.eventTime ? Date.parse(f.eventTime) : Number.NaN;
  return {
    id: `${f.bucket}/${f.key}@${f.change === "deleted" ? `deleted:${sequencer}` : (f.etag ?? sequencer ?? "")}`,
    source: f.source,
    attributes: {
      bucket: f.bucket,
      key: f.key,
      eventName: body.eventName,
      change: f.change,
      ...(size === undefined ? {} : { size }),
      ...(f.etag === undefined ? {} : { etag: f.etag }),
    },
    body: body as unknown as JsonValue,
    // A poll pushes each key at most once and the next poll waits for every outcome, so
    // polled events need no ordering key (and batch freely); notifications may repeat a key.
    ...(f.change === "notification" ? { orderingKey: f.key } : {}),
    timestamp: Number.isFinite(parsedTime) ? parsedTime : f.now(),
    size: 512 + f.key.length + (body.s3.object.content?.length ?? 0),
  };
}
