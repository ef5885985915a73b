export type { Bucket, ListedObject, ObjectContent, PutCondition } from "./bucket.js";
export type {
  CheckpointEntry,
  CheckpointScope,
  CheckpointTruncation,
} from "./checkpoint-file.js";
export {
  BucketCheckpointStore,
  type CheckpointStatus,
  type CheckpointStore,
  FileCheckpointStore,
} from "./checkpoint-store.js";
export { s3Connector } from "./definition.js";
export {
  BucketNotFoundError,
  CheckpointConflictError,
  CheckpointError,
  ListingOrderError,
  S3AccessDeniedError,
  S3ConnectorError,
  S3RequestError,
  S3UnreachableError,
} from "./errors.js";
export { type ResolvedS3Options, type S3Options, s3OptionsSchema } from "./options.js";
export {
  type ObjectEvent,
  type ObjectEventName,
  type ObsEvent,
  type ObsEventRecord,
  obsEvent,
  obsEventRecord,
  sequencerOf,
} from "./payload.js";
export { S3Connector, type S3ConnectorDeps, type S3Record } from "./source.js";

import { parseConnectorOptions } from "@fgconnect/core";
import { s3Connector } from "./definition.js";
import type { S3Options } from "./options.js";
import { S3Connector, type S3ConnectorDeps } from "./source.js";

/** An S3 connector named `name`, its options validated and defaulted by `s3OptionsSchema`. */
export function createS3Connector(
  name: string,
  options: S3Options,
  deps?: S3ConnectorDeps,
): S3Connector {
  return new S3Connector(name, parseConnectorOptions(s3Connector, name, options), deps);
}
