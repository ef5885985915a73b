/**
 * Every number and choice the emulator makes that FunctionGraph's docs do not fix, in one place.
 * The README's "Documented choices" section mirrors this file.
 */

/** Request body limits of the real service: sync 6 MB, async 256 KB. */
export const SYNC_BODY_LIMIT = 6 * 1024 * 1024;
export const ASYNC_BODY_LIMIT = 256 * 1024;
/** A sync result larger than this is replaced by a function error, as the service caps responses. */
export const SYNC_RESPONSE_LIMIT = 6 * 1024 * 1024;

/** `X-Cff-Function-Log` carries the log's last 2,000 bytes, base64-encoded. */
export const LOG_TAIL_BYTES = 2000;

/** The fixed project id and region used when none are given (the FUNCTIONGRAPH.md test vector's). */
export const DEFAULT_PROJECT_ID = "0123456789abcdef0123456789abcdef";
export const DEFAULT_REGION = "cn-north-4";
export const DEFAULT_HOST = "127.0.0.1";
/** The CLI's default port (the one in the signing test vector's host). */
export const DEFAULT_CLI_PORT = 18080;

/** FunctionGraph's console defaults for a new function. */
export const DEFAULT_TIMEOUT_SECONDS = 3;
export const DEFAULT_MEMORY_MB = 128;
export const DEFAULT_PACKAGE = "default";
export const DEFAULT_MAX_ASYNC_RETRY_ATTEMPTS = 1;
export const DEFAULT_MAX_ASYNC_EVENT_AGE_SECONDS = 3600;

/**
 * The HTTP status (and v1 `status`) of a sync call whose function threw or timed out.
 * FunctionGraph does not document it; the emulator answers 200, like other FaaS gateways, and
 * marks the error with `X-Is-Func-Err: true` and a non-zero `X-Func-Err-Code`.
 */
export const FUNCTION_ERROR_HTTP_STATUS = 200;
/** `X-Func-Err-Code` values: 0 success; the non-zero codes are the emulator's own choice. */
export const FUNC_ERR_CODE_OK = "0";
export const FUNC_ERR_CODE_THROWN = "1";
export const FUNC_ERR_CODE_TIMEOUT = "2";
export const FUNC_ERR_CODE_RESPONSE_TOO_LARGE = "3";

/** `errorType` of the result returned when a function runs past its timeout. */
export const TIMEOUT_ERROR_TYPE = "TimeoutError";

/** The async queue: how many events may wait, how many run at once, the pause between retries. */
export const DEFAULT_ASYNC_QUEUE_SIZE = 1000;
export const DEFAULT_ASYNC_CONCURRENCY = 16;
export const DEFAULT_ASYNC_RETRY_DELAY_MS = 1000;
/** Throttled async events are retried by the platform itself (not counted as attempts). */
export const DEFAULT_ASYNC_THROTTLE_DELAY_MS = 100;

/** Async status query: `limit` default and maximum. */
export const DEFAULT_STATUS_LIMIT = 100;
export const MAX_STATUS_LIMIT = 500;

/** How many invocation records, async statuses and on-failure records are kept (most recent). */
export const DEFAULT_MAX_RECORDS = 10_000;

/** AK/SK: the accepted distance between `X-Sdk-Date` and the emulator's clock. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** v1 `log` field with `X-Cff-Log-Type: tail`: the last 4 KB of the log (the API page's "4 KB"). */
export const V1_LOG_TAIL_BYTES = 4096;
/** The status query has no body; anything bigger than this is refused. */
export const STATUS_BODY_LIMIT = 64 * 1024;
