/** What the polling and the notification sources get from the connector that runs them. */
import type { Logger, RecordOutcome } from "@fgconnect/core";
import type { ActionResult } from "./actions.js";
import type { Bucket } from "./bucket.js";
import type { InlineContent } from "./content.js";
import type { ResolvedS3Options } from "./options.js";
import type { S3Record } from "./record.js";

export interface SourceServices {
  readonly name: string;
  readonly options: ResolvedS3Options;
  readonly bucket: Bucket;
  /** The bucket, prefix and endpoint, for health and logs. */
  readonly where: string;
  readonly include: (key: string) => boolean;
  readonly now: () => number;
  logger(): Logger | undefined;
  /** Pushes a record; resolves with its outcome. */
  push(record: S3Record): Promise<RecordOutcome>;
  /** Resolves when pushing is allowed (not paused, or stopping). */
  gate(): Promise<void>;
  stopping(): boolean;
  /** The object's content to inline in its event, when it can be read. */
  readContent(key: string): Promise<InlineContent | undefined>;
  /** Runs the post-delivery action; a failure is logged, never redelivers the object. */
  afterDelivery(key: string): Promise<ActionResult>;
}

/** One way of finding object events: polling with a checkpoint, or a notification webhook. */
export interface S3Mode {
  /** Proves the bucket answers and gets ready; returns the health detail. */
  connect(): Promise<string>;
  close(): Promise<void>;
}
