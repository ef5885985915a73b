/**
 * The base of every error fgconnect reports, the connectors' included: a stable `code`,
 * whether retrying can help, and a `hint` that tells the user what to do.
 */
export abstract class FgconnectError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;
  readonly hint: string;

  constructor(message: string, hint: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.hint = hint;
  }
}

/** Every failure the FunctionGraph client reports is one of these classes. */
export abstract class FunctionGraphError extends FgconnectError {}

/** A bad option or argument given to the client (caught before anything is sent). */
export class InvalidArgumentError extends FunctionGraphError {
  readonly code = "INVALID_ARGUMENT";
  readonly retryable = false;
  constructor(
    readonly field: string,
    message: string,
    hint = `Fix "${field}" and try again.`,
  ) {
    super(`${field}: ${message}`, hint);
  }
}

/** A function URN that does not follow FunctionGraph's rules. */
export class InvalidUrnError extends FunctionGraphError {
  readonly code = "INVALID_URN";
  readonly retryable = false;
  constructor(
    readonly urn: string,
    readonly reason: string,
  ) {
    super(
      `invalid function URN "${urn}": ${reason}`,
      "Use urn:fss:<region>:<project_id>:function:<package>:<name>[:<version>|:!<alias>] or a short form such as <package>:<name>.",
    );
  }
}

/** The payload exceeds what the endpoint accepts (sync 6 MB, async 256 KB). */
export class PayloadTooLargeError extends FunctionGraphError {
  readonly code = "PAYLOAD_TOO_LARGE";
  readonly retryable = false;
  constructor(
    readonly size: number,
    readonly limit: number,
    readonly mode: "sync" | "async",
  ) {
    super(
      `payload of ${size} bytes exceeds the ${mode} invocation limit of ${limit} bytes`,
      mode === "async"
        ? "Send a smaller event, or invoke synchronously (6 MB limit), or pass a reference to the data instead of the data."
        : "Send a smaller event, or pass a reference to the data (for example an object key) instead of the data.",
    );
  }
}

/** FunctionGraph (or its gateway) answered with an error body: `{error_code, error_msg}`. */
export class ApiError extends FunctionGraphError {
  readonly code: string;
  readonly retryable: boolean;
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly errorMsg: string,
    readonly requestId: string | undefined,
    retryable: boolean,
    hint: string,
    /** Milliseconds the server asked us to wait (`Retry-After`), when it said. */
    readonly retryAfterMs?: number,
  ) {
    super(
      `FunctionGraph answered ${status} ${errorCode}: ${errorMsg}${requestId ? ` (request ${requestId})` : ""}`,
      hint,
    );
    this.code = errorCode;
    this.retryable = retryable;
  }
}

/** The function ran and failed (threw, or timed out inside FunctionGraph). */
export class FunctionError extends FunctionGraphError {
  readonly code = "FUNCTION_ERROR";
  /** A function error may pass on retry; the delivery policy decides whether to retry it. */
  readonly retryable = true;
  constructor(
    readonly requestId: string | undefined,
    readonly errorType: string | undefined,
    readonly errorMessage: string | undefined,
    /** The function's raw result (the error object serialised by the runtime). */
    readonly result: string,
    /** `X-Func-Err-Code`, when the server sent one. */
    readonly funcErrorCode: string | undefined,
  ) {
    super(
      `function failed${errorType ? ` with ${errorType}` : ""}: ${errorMessage ?? result}${requestId ? ` (request ${requestId})` : ""}`,
      "Look at the function's log for this request id; fix the function or the event it received.",
    );
  }
}

/** No answer within the client's timeout. */
export class TimeoutError extends FunctionGraphError {
  readonly code = "TIMEOUT";
  readonly retryable = true;
  constructor(readonly timeoutMs: number) {
    super(
      `no answer from FunctionGraph within ${timeoutMs} ms`,
      "Raise the client timeout (sync calls may run up to 90 s through the gateway), or invoke asynchronously.",
    );
  }
}

/**
 * The answer's body passed the client's `maxResponseBytes` (or said it would, in Content-Length);
 * the client stopped reading it and closed the connection rather than hold it in memory.
 */
export class ResponseTooLargeError extends FunctionGraphError {
  readonly code = "RESPONSE_TOO_LARGE";
  readonly retryable = false;
  constructor(
    readonly limit: number,
    /** The bytes read when the client stopped, or the Content-Length the server announced. */
    readonly size: number,
    readonly requestId: string | undefined,
  ) {
    super(
      `the answer's body passed the client's limit of ${limit} bytes (${size} bytes read or announced); the client stopped reading it${requestId ? ` (request ${requestId})` : ""}`,
      "FunctionGraph caps a sync result at 6 MB: check that the endpoint is FunctionGraph (or the fgconnect emulator), make the function return less (for example a reference to the data), or raise the client's maxResponseBytes.",
    );
  }
}

/** The caller's AbortSignal fired. */
export class AbortedError extends FunctionGraphError {
  readonly code = "ABORTED";
  readonly retryable = false;
  constructor(options?: { cause?: unknown }) {
    super("the invocation was aborted", "Nothing to do: the caller cancelled it.", options);
  }
}

/** The request never got an HTTP answer: DNS, refused connection, reset, TLS failure. */
export class ConnectionError extends FunctionGraphError {
  readonly code = "CONNECTION_FAILED";
  readonly retryable = true;
  constructor(
    readonly endpoint: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `could not reach ${endpoint}: ${detail}`,
      "Check the endpoint or region, the network path and any HTTPS_PROXY setting.",
      options,
    );
  }
}

/** Credentials could not be obtained (IAM login failed, keys missing). */
export class AuthError extends FunctionGraphError {
  readonly code = "AUTH_FAILED";
  readonly retryable = false;
  constructor(message: string, hint: string, options?: { cause?: unknown }) {
    super(message, hint, options);
  }
}

/** The server answered something that is not FunctionGraph's documented shape. */
export class ProtocolError extends FunctionGraphError {
  readonly code = "PROTOCOL_ERROR";
  readonly retryable = true;
  constructor(message: string) {
    super(message, "Check that the endpoint points at FunctionGraph (or the fgconnect emulator).");
  }
}

/** A call on a client after `close()`. */
export class ClientClosedError extends FunctionGraphError {
  readonly code = "CLIENT_CLOSED";
  readonly retryable = false;
  constructor() {
    super(
      "the FunctionGraph client is closed",
      "Create a new client, or call close() only at shutdown.",
    );
  }
}
