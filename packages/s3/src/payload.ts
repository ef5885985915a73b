/**
 * Object events in the shape of FunctionGraph's OBS trigger (the S3 event-notification shape),
 * so a function written for the native trigger runs unchanged. Pure.
 */
import type { InlineContent } from "./content.js";
import { encodeEventKey } from "./event-key.js";

export type ObjectEventName = "ObjectCreated:Put" | "ObjectRemoved:Delete";

/** What the connector knows about one event, before it takes the trigger's shape. */
export interface ObjectEvent {
  eventName: ObjectEventName;
  /** ISO 8601. */
  eventTime: string;
  region: string;
  bucket: string;
  /** The raw key; the event carries it URL-encoded (src/event-key.ts). */
  key: string;
  size?: number;
  etag?: string;
  sequencer: string;
  /** Names the source of the event (the connector), like a trigger's configuration id. */
  configurationId: string;
  content?: InlineContent;
}

/** One entry of an OBS/S3 event's `Records`. Inline content rides on `s3.object`. */
export interface ObsEventRecord {
  eventVersion: string;
  eventSource: string;
  awsRegion: string;
  eventTime: string;
  eventName: string;
  userIdentity: { principalId: string };
  requestParameters: { sourceIPAddress: string };
  responseElements: Record<string, string>;
  s3: {
    s3SchemaVersion: string;
    configurationId: string;
    bucket: { name: string; ownerIdentity: { PrincipalId: string }; arn: string };
    object: {
      key: string;
      size?: number;
      eTag?: string;
      sequencer: string;
      contentType?: string;
      content?: string;
      contentEncoding?: "utf8" | "base64";
    };
  };
}

export interface ObsEvent {
  Records: ObsEventRecord[];
}

export function obsEventRecord(e: ObjectEvent): ObsEventRecord {
  return {
    eventVersion: "2.0",
    eventSource: "aws:s3",
    awsRegion: e.region,
    eventTime: e.eventTime,
    eventName: e.eventName,
    userIdentity: { principalId: "fgconnect" },
    requestParameters: { sourceIPAddress: "" },
    responseElements: {},
    s3: {
      s3SchemaVersion: "1.0",
      configurationId: e.configurationId,
      bucket: {
        name: e.bucket,
        ownerIdentity: { PrincipalId: "" },
        arn: `arn:aws:s3:::${e.bucket}`,
      },
      object: {
        key: encodeEventKey(e.key),
        ...(e.size === undefined ? {} : { size: e.size }),
        ...(e.etag === undefined ? {} : { eTag: e.etag }),
        sequencer: e.sequencer,
        ...(e.content ?? {}),
      },
    },
  };
}

/** The event a batch of records becomes: their entries, in order, under `Records`. */
export function obsEvent(records: readonly { body: unknown }[]): ObsEvent {
  return { Records: records.map((r) => r.body as ObsEventRecord) };
}

/** S3 sequencers are hex strings that grow per key; a polled object's comes from its mtime. */
export function sequencerOf(epochMs: number): string {
  return Math.max(0, Math.trunc(epochMs)).toString(16).toUpperCase().padStart(16, "0");
}
