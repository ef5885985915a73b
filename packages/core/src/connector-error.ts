import { FgconnectError } from "./client/errors.js";

/**
 * A connector's error: a stable `code` given where it is made, and a `hint` saying what to do,
 * also in the message (`what → hint`), since the daemon prints messages as they are.
 */
export class ConnectorError extends FgconnectError {
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
