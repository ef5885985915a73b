import { FgconnectError } from "@fgconnect/core";

/**
 * Every failure the S3 connector reports is one of these classes: a stable `code`, whether a
 * retry can help, and a `hint` that says what to do. Messages never carry credentials.
 */
export abstract class S3ConnectorError extends FgconnectError {}

/** The bucket does not exist (NoSuchBucket, 404). */
export class BucketNotFoundError extends S3ConnectorError {
  readonly code = "BUCKET_NOT_FOUND";
  readonly retryable = true;
  constructor(
    readonly bucket: string,
    readonly endpoint: string,
    options?: { cause?: unknown },
  ) {
    super(
      `bucket "${bucket}" does not exist at ${endpoint}`,
      "Create the bucket, or fix `bucket`, `endpoint` and `region` in the connector's options.",
      options,
    );
  }
}

/** The server refused the credentials or denied access (InvalidAccessKeyId, SignatureDoesNotMatch, AccessDenied). */
export class S3AccessDeniedError extends S3ConnectorError {
  readonly code = "ACCESS_DENIED";
  readonly retryable = true;
  constructor(
    readonly bucket: string,
    readonly s3Code: string,
    options?: { cause?: unknown },
  ) {
    super(
      `access to bucket "${bucket}" denied (${s3Code})`,
      "Check `credentials` (access key id and secret) or the SDK's credential chain, and that the key may list, read and write the bucket.",
      options,
    );
  }
}

/** The endpoint did not answer (DNS, refused connection, timeout). */
export class S3UnreachableError extends S3ConnectorError {
  readonly code = "UNREACHABLE";
  readonly retryable = true;
  constructor(
    readonly endpoint: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `S3 endpoint ${endpoint} unreachable: ${reason}`,
      "Check `endpoint` and the network; the connector keeps retrying.",
      options,
    );
  }
}

/** Any other error answer of the S3 API. */
export class S3RequestError extends S3ConnectorError {
  readonly code = "S3_REQUEST_FAILED";
  readonly retryable: boolean;
  constructor(
    readonly operation: string,
    readonly s3Code: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `${operation} failed: ${s3Code}${status === undefined ? "" : ` (HTTP ${status})`}`,
      status === 501
        ? "The server does not implement this S3 feature; choose another post-delivery action or server."
        : "See the S3 error code; the connector retries on its next poll.",
      options,
    );
    this.retryable = status === undefined || status >= 500 || status === 429;
  }
}

/** The checkpoint cannot be read: corrupt, or written for another bucket or prefix. */
export class CheckpointError extends S3ConnectorError {
  readonly code = "CHECKPOINT_INVALID";
  readonly retryable = false;
  constructor(
    readonly location: string,
    reason: string,
  ) {
    super(
      `checkpoint ${location} cannot be used: ${reason}`,
      "Point `checkpoint.path` (or `checkpoint.key`) somewhere else, or delete the checkpoint to start over (objects are then delivered again unless poll.initialScan is skip).",
    );
  }
}

/** Someone else rewrote the checkpoint object since this connector read it. */
export class CheckpointConflictError extends S3ConnectorError {
  readonly code = "CHECKPOINT_CONFLICT";
  readonly retryable = true;
  constructor(readonly key: string) {
    super(
      `checkpoint object "${key}" was changed by another writer`,
      "Run one replica per checkpoint (or give each replica its own prefix and checkpoint.key); the connector reloads the checkpoint and goes on.",
    );
  }
}

/** The server listed keys out of order, so the listing cannot be merged with the checkpoint. */
export class ListingOrderError extends S3ConnectorError {
  readonly code = "LISTING_ORDER";
  readonly retryable = false;
  constructor(
    readonly previous: string,
    readonly key: string,
  ) {
    super(
      `ListObjectsV2 returned "${key}" after "${previous}": keys are not in UTF-8 binary order`,
      "The server does not list like S3; use notifications mode with this server.",
    );
  }
}
