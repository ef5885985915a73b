/**
 * Hooks the engine calls for everything it counts. Core binds to no metrics library: the
 * daemon maps these onto prom-client; an embedder may pass any subset.
 */
import type { InvocationMode } from "../connector.js";

/** Why records went to the dead-letter sink (a small, fixed set: safe as a metric label). */
export type DeadLetterReason =
  | "max age exceeded"
  | "non-retryable error"
  | "function error"
  | "retries exhausted"
  | "format failed";

/** Labels of everything that happens to one route's delivery to one function. */
export interface DeliveryLabels {
  route: string;
  /** The function URN. */
  target: string;
  mode: InvocationMode;
}

export type InvocationOutcome = "success" | "function-error" | "error";

export interface EngineMetrics {
  /** A connector pushed a record. */
  received(labels: { source: string }): void;
  /** A record matched no route; it was acknowledged without delivery. */
  unrouted(labels: { source: string }): void;
  /** An invocation succeeded for `records` records. */
  delivered(labels: DeliveryLabels, records: number): void;
  /** One invocation attempt failed (`code`: the error's code, e.g. FSS.0500, TIMEOUT). */
  attemptFailed(labels: DeliveryLabels & { code: string }): void;
  /** A failed attempt will be retried after `delayMs`. */
  retried(labels: DeliveryLabels, delayMs: number): void;
  /** `records` records were written to the dead-letter sink. */
  deadLettered(labels: DeliveryLabels & { reason: DeadLetterReason }, records: number): void;
  /** Writing to the dead-letter sink failed; it will be retried. */
  deadLetterWriteFailed(labels: { route: string }): void;
  /** Records given back undelivered at shutdown (not acknowledged). */
  abandoned(labels: { source: string }, records: number): void;
  /** An invocation call starts (it holds a slot); `invocation` reports its end. */
  invoking(labels: DeliveryLabels): void;
  /** Latency of one invocation call. */
  invocation(labels: DeliveryLabels & { outcome: InvocationOutcome }, latencyMs: number): void;
  /** Gauge: invocations in progress. */
  inFlight(count: number): void;
  /** Gauge: records accepted and not yet handled, and their bytes. */
  buffered(records: number, bytes: number): void;
  /** The engine asked a source to pause (buffer full) or to resume. */
  paused(labels: { source: string }): void;
  resumed(labels: { source: string }): void;
}

const ignore = (): void => {};

export const noopMetrics: EngineMetrics = {
  received: ignore,
  unrouted: ignore,
  delivered: ignore,
  attemptFailed: ignore,
  retried: ignore,
  deadLettered: ignore,
  deadLetterWriteFailed: ignore,
  abandoned: ignore,
  invoking: ignore,
  invocation: ignore,
  inFlight: ignore,
  buffered: ignore,
  paused: ignore,
  resumed: ignore,
};

/**
 * Fills the hooks an embedder left out with no-ops. Binds each hook, so a class instance
 * (methods on its prototype) works as well as a plain object.
 */
export function withDefaultMetrics(metrics: Partial<EngineMetrics> | undefined): EngineMetrics {
  const out = { ...noopMetrics };
  if (!metrics) return out;
  for (const name of Object.keys(noopMetrics) as (keyof EngineMetrics)[]) {
    const hook = metrics[name];
    if (typeof hook === "function") Object.assign(out, { [name]: hook.bind(metrics) });
  }
  return out;
}
