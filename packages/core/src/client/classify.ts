import type { IncomingHttpHeaders } from "node:http";
import {
  AbortedError,
  ApiError,
  ConnectionError,
  FunctionGraphError,
  InvalidArgumentError,
  TimeoutError,
} from "./errors.js";
import { stripUrlCredentials } from "./redact.js";

/**
 * Turns failures into the typed errors of errors.ts: an HTTP error answer into ApiError (the
 * table in FUNCTIONGRAPH.md decides `retryable` and the hint), a failure to get any answer
 * into TimeoutError, AbortedError or ConnectionError.
 */

/** Statuses worth retrying: the request may pass later. 429 is checked for "disabled" below. */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** Hints for specific error codes; checked before the per-status hints. */
const CODE_HINTS: Record<string, string> = {
  "FSS.1309":
    "The function URN is malformed: use urn:fss:<region>:<project_id>:function:<package>:<name>[:<version>|:!<alias>].",
  "FSS.1014": "The alias in the URN is invalid or does not exist: check the alias after '!'.",
  "FSS.1015": "The version in the URN is invalid: use 'latest' or a published version.",
  "FSS.1051":
    "The function does not exist in that project and region: check the URN, the project id and the region (endpoint).",
  "FSS.1052": "That version of the function does not exist: publish it or use 'latest'.",
  "FSS.1053": "That alias of the function does not exist: create it or use a version.",
  "FSS.1201":
    "The request body is too large: sync invocations accept 6 MB, async 256 KB. Send a reference to the data instead.",
  "APIGW.0301":
    "The gateway rejected the credentials: check the AK/SK (and security token) or the IAM token, the project id, and that the clock is right (AK/SK signatures expire).",
};

const STATUS_HINTS: Record<number, string> = {
  400: "The request was rejected as invalid: check the URN, the headers (instance memory) and the payload.",
  401: "Check the credentials (IAM token, AK/SK) and that they belong to this project and region; a token may have expired.",
  403: "The credentials lack permission for this function: grant FunctionGraph invoke rights (for example FunctionGraph Invoker) in this project.",
  404: "The function (or version or alias) does not exist in that project and region: check the URN, the project id and the region.",
  406: "FunctionGraph only accepts JSON bodies: send a JSON-serialisable payload (or a Buffer/string holding JSON).",
  408: "FunctionGraph timed out reading the request: retry, with care if the function is not idempotent.",
  413: "The request body is too large: sync invocations accept 6 MB, async 256 KB. Send a reference to the data instead.",
  429: "Too many concurrent requests: retry after a delay, or raise the function's concurrency quota.",
  500: "FunctionGraph failed internally: try again later.",
  502: "The gateway got a bad answer from FunctionGraph: try again later.",
  503: "FunctionGraph is unavailable: try again later.",
  504: "The gateway timed out waiting for FunctionGraph (sync calls are cut at 90 s): retry, or invoke asynchronously.",
};

const DISABLED_HINT =
  "The function is disabled (FunctionGraph answers 429 for it): enable it; retrying will not help.";

interface ErrorBody {
  error_code?: unknown;
  error_msg?: unknown;
  request_id?: unknown;
  /** IAM's shape: {"error": {"code", "message"}}. */
  error?: { code?: unknown; message?: unknown };
}

/** The first value of a response header (undici gives arrays for repeated headers). */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date; undefined when absent or bad. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Whether an error with this status (and message) is worth retrying. */
export function isRetryableStatus(status: number, errorMsg = ""): boolean {
  if (status === 429 && /disabled/i.test(errorMsg)) return false;
  return RETRYABLE_STATUS.has(status);
}

/** The hint for an error code, else for its status, else a generic one. */
export function hintFor(status: number, errorCode: string, errorMsg = ""): string {
  if (status === 429 && /disabled/i.test(errorMsg)) return DISABLED_HINT;
  return (
    // Own keys only: a code such as "constructor" from the server must not reach Object's.
    (Object.hasOwn(CODE_HINTS, errorCode) ? CODE_HINTS[errorCode] : undefined) ??
    (Object.hasOwn(STATUS_HINTS, status) ? STATUS_HINTS[status] : undefined) ??
    (status >= 500
      ? "FunctionGraph answered with a server error: try again later."
      : "FunctionGraph rejected the request: check the error code and message.")
  );
}

/** An HTTP error answer → ApiError. A body that is not FunctionGraph's JSON gives `HTTP_<status>`. */
export function classifyHttpError(
  status: number,
  headers: IncomingHttpHeaders,
  bodyText: string,
): ApiError {
  let body: ErrorBody | undefined;
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (parsed !== null && typeof parsed === "object") body = parsed as ErrorBody;
  } catch {
    // not JSON: handled below
  }
  let errorCode: string | undefined;
  let errorMsg: string | undefined;
  if (body) {
    errorCode = str(body.error_code) ?? str(body.error?.code);
    errorMsg = str(body.error_msg) ?? str(body.error?.message);
  }
  if (errorCode === undefined) {
    errorCode = `HTTP_${status}`;
    // A short excerpt of an unexpected body helps (a proxy's error page); a long one does not.
    errorMsg ??= bodyText.trim().slice(0, 200) || `HTTP status ${status}`;
  }
  errorMsg ??= "";
  const requestId =
    str(body?.request_id) ?? header(headers, "x-request-id") ?? header(headers, "x-cff-request-id");
  return new ApiError(
    status,
    errorCode,
    errorMsg,
    requestId,
    isRetryableStatus(status, errorMsg),
    hintFor(status, errorCode, errorMsg),
    parseRetryAfter(header(headers, "retry-after")),
  );
}

/** The `code` of the error a request's deadline ends it with (send.ts). */
export const DEADLINE_CODE = "FGCONNECT_DEADLINE";
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", DEADLINE_CODE]);

/**
 * A failure to get an HTTP answer → TimeoutError (our timeout), AbortedError (the caller's
 * signal) or ConnectionError. Typed errors pass through unchanged.
 */
export function classifyTransportError(
  err: unknown,
  origin: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Error {
  if (err instanceof FunctionGraphError) return err;
  if (signal?.aborted) return new AbortedError({ cause: signal.reason });
  const e = err as { code?: unknown; message?: unknown; name?: unknown } | undefined;
  const code = typeof e?.code === "string" ? e.code : undefined;
  if (code !== undefined && TIMEOUT_CODES.has(code)) return new TimeoutError(timeoutMs);
  if (code === "UND_ERR_INVALID_ARG") {
    return new InvalidArgumentError("request", stripUrlCredentials(String(e?.message ?? err)));
  }
  const message = stripUrlCredentials(typeof e?.message === "string" ? e.message : String(err));
  const detail = code && !message.includes(code) ? `${code}: ${message}` : message;
  // The cause is rebuilt from the cleaned text: the original may embed a proxy URL with a password.
  const cause = Object.assign(new Error(message), code ? { code } : {});
  return new ConnectionError(origin, detail, { cause });
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
