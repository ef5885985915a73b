import { FgconnectError } from "@fgconnect/core";

/** The HTTP connector's errors: a stable `code` and a hint saying what to do. */
export class HttpConnectorError extends FgconnectError {
  readonly retryable: boolean;
  constructor(
    readonly code: string,
    what: string,
    hint: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(`${what} → ${hint}`, hint, options);
    this.retryable = options?.retryable ?? false;
  }
}
