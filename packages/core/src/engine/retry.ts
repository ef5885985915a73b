/**
 * What to do after a failed invocation, and how long to wait before the next attempt.
 * Pure functions of the error, the policy and a random source.
 */
import { ApiError, FgconnectError, FunctionError, FunctionGraphError } from "../client/errors.js";
import { isFunctionReported } from "./item-failures.js";
import type { DeadLetterReason } from "./metrics.js";
import type { DeliveryPolicy } from "./schema.js";

export type FailureDecision =
  | { action: "retry" }
  | { action: "dead-letter"; reason: DeadLetterReason };

/**
 * - FunctionError (the function ran and threw), or records the function reported as failed
 *   (batchItemFailures): the policy's `onFunctionError` decides.
 * - Any client error marked non-retryable (4xx ApiError, PayloadTooLargeError,
 *   InvalidUrnError, AuthError…): straight to the dead-letter sink; retrying cannot help.
 * - Everything else (5xx, 429, timeouts, connection failures, unknown errors): retry until
 *   `maxAttempts` is used up.
 */
export function decideOnFailure(
  error: unknown,
  attempts: number,
  policy: DeliveryPolicy,
): FailureDecision {
  if (error instanceof FunctionError || isFunctionReported(error)) {
    if (policy.onFunctionError === "dead-letter")
      return { action: "dead-letter", reason: "function error" };
  } else if (error instanceof FunctionGraphError && !error.retryable) {
    return { action: "dead-letter", reason: "non-retryable error" };
  }
  if (attempts >= policy.maxAttempts) return { action: "dead-letter", reason: "retries exhausted" };
  return { action: "retry" };
}

/**
 * Full jitter: a uniform draw in [0, cap], cap = min(maxDelayMs, firstDelayMs × multiplier^(n-1))
 * after the n-th failed attempt — spreads retries of many records so they do not stampede a
 * recovering function. A server's Retry-After is a floor: we wait at least that long.
 */
export function retryDelayMs(
  attempts: number,
  policy: DeliveryPolicy,
  random: () => number,
  retryAfterMs?: number,
): number {
  const cap = Math.min(
    policy.maxDelayMs,
    policy.firstDelayMs * policy.backoffMultiplier ** (attempts - 1),
  );
  const jittered = Math.floor(random() * (cap + 1));
  return Math.max(Math.min(jittered, cap), retryAfterMs ?? 0);
}

/** The server's requested wait, when the error carries one. */
export function retryAfterOf(error: unknown): number | undefined {
  return error instanceof ApiError ? error.retryAfterMs : undefined;
}

/** A stable code for metrics and dead-letter entries. */
export function errorCodeOf(error: unknown): string {
  if (error instanceof FgconnectError) return error.code;
  if (error instanceof Error) return error.name;
  return "UNKNOWN";
}
