/**
 * Delivers one batch of one route to one function: attempts, retries with backoff, maximum
 * event age, and dead-lettering. Every record leaves with `deliveryDone(...)` called once —
 * unless the engine hard-stops first (its signal aborts), in which case the engine abandons it.
 */
import { FunctionError } from "../client/errors.js";
import type { InvokeOptions, Invoker } from "../client/types.js";
import type { SourceRecord } from "../connector.js";
import { type Clock, sleep } from "./clock.js";
import { type DeadLetterSink, toDeadLetterEntry } from "./dead-letter.js";
import type { Logger } from "./logger.js";
import type { DeadLetterReason, DeliveryLabels, EngineMetrics } from "./metrics.js";
import type { PendingRecord } from "./pending.js";
import { decideOnFailure, errorCodeOf, retryAfterOf, retryDelayMs } from "./retry.js";
import type { ResolvedRoute } from "./router.js";
import type { Semaphore } from "./semaphore.js";

/** Floor of the wait between dead-letter write attempts, so a broken disk is not hammered. */
const MIN_DEAD_LETTER_RETRY_MS = 100;

export interface DeliveryDeps {
  invoker: Invoker;
  deadLetter: DeadLetterSink;
  slots: Semaphore;
  clock: Clock;
  random: () => number;
  metrics: EngineMetrics;
  logger: Logger;
  /** Aborts at a hard stop: give up at once, leave records unsettled. */
  signal: AbortSignal;
}

const isSettled = (p: PendingRecord): boolean => p.settled;
const recordOf = (p: PendingRecord): SourceRecord => p.record;
const isUnsettled = (p: PendingRecord): boolean => !p.settled;

/** One function of one route, with what every delivery to it reuses (built once). */
export interface DeliveryTarget {
  route: ResolvedRoute;
  /** The function URN. */
  urn: string;
  labels: DeliveryLabels;
  successLabels: DeliveryLabels & { outcome: "success" };
  invokeOptions: InvokeOptions;
  context: { route: string; mode: ResolvedRoute["mode"] };
}

export function deliveryTarget(
  route: ResolvedRoute,
  urn: string,
  signal: AbortSignal,
): DeliveryTarget {
  const labels: DeliveryLabels = { route: route.name, target: urn, mode: route.mode };
  const invokeOptions: InvokeOptions = { signal };
  if (route.delivery.timeoutMs !== undefined) invokeOptions.timeoutMs = route.delivery.timeoutMs;
  return {
    route,
    urn,
    labels,
    successLabels: { ...labels, outcome: "success" },
    invokeOptions,
    context: { route: route.name, mode: route.mode },
  };
}

export async function deliverBatch(
  deps: DeliveryDeps,
  target: DeliveryTarget,
  batch: readonly PendingRecord[],
): Promise<void> {
  const { clock, metrics, logger, signal } = deps;
  const { route, labels } = target;
  const policy = route.delivery;

  let live = batch.some(isSettled) ? batch.filter(isUnsettled) : batch;
  let attempts = 0;
  let firstAttemptAt: number | undefined;
  let payload: unknown;
  let payloadFor: readonly PendingRecord[] | undefined;

  while (live.length > 0 && !signal.aborted) {
    if (policy.maxEventAgeMs !== undefined) {
      const oldest = clock.now() - policy.maxEventAgeMs;
      const expired = live.filter((p) => p.record.timestamp < oldest);
      if (expired.length > 0) {
        await deadLetterRecords(deps, route, labels, expired, {
          reason: "max age exceeded",
          error: undefined,
          attempts,
          firstAttemptAt,
        });
        live = live.filter((p) => !expired.includes(p));
        continue;
      }
    }

    if (payloadFor !== live) {
      try {
        payload = route.format.build(live.map(recordOf), target.context);
        payloadFor = live;
      } catch (error) {
        await deadLetterRecords(deps, route, labels, live, {
          reason: "format failed",
          error,
          attempts,
          firstAttemptAt,
        });
        return;
      }
    }

    // A free slot is taken without waiting a promise turn.
    if (!deps.slots.tryAcquire() && !(await deps.slots.acquire(signal))) return;
    attempts += 1;
    const started = clock.now();
    firstAttemptAt ??= started;
    let failure: { error: unknown } | undefined;
    try {
      if (route.mode === "sync") {
        const result = await deps.invoker.invoke(target.urn, payload, target.invokeOptions);
        if (route.onResult) await route.onResult(live.map(recordOf), result, target.context);
      } else {
        const accepted = await deps.invoker.invokeAsync(target.urn, payload, target.invokeOptions);
        if (route.onAccepted) await route.onAccepted(live.map(recordOf), accepted, target.context);
      }
    } catch (error) {
      failure = { error };
    } finally {
      deps.slots.release();
    }
    const latencyMs = clock.now() - started;

    if (!failure) {
      metrics.invocation(target.successLabels, latencyMs);
      metrics.delivered(labels, live.length);
      for (const p of live) p.deliveryDone("delivered");
      return;
    }
    // Aborted by a hard stop: whether it arrived is unknown, so the engine abandons the records.
    if (signal.aborted) return;

    const { error } = failure;
    const outcome = error instanceof FunctionError ? "function-error" : "error";
    metrics.invocation({ ...labels, outcome }, latencyMs);
    metrics.attemptFailed({ ...labels, code: errorCodeOf(error) });
    const decision = decideOnFailure(error, attempts, policy);
    if (decision.action === "dead-letter") {
      await deadLetterRecords(deps, route, labels, live, {
        reason: decision.reason,
        error,
        attempts,
        firstAttemptAt,
      });
      return;
    }
    const delayMs = retryDelayMs(attempts, policy, deps.random, retryAfterOf(error));
    metrics.retried(labels, delayMs);
    logger.warn(
      {
        ...labels,
        records: live.map((p) => p.record.id),
        attempts,
        delayMs,
        code: errorCodeOf(error),
      },
      "invocation failed; retrying",
    );
    if (!(await sleep(clock, delayMs, signal))) return;
  }
}

interface Failure {
  reason: DeadLetterReason;
  error: unknown;
  attempts: number;
  firstAttemptAt: number | undefined;
}

/** Writes each record's entry, retrying the sink until it succeeds (or a hard stop). */
async function deadLetterRecords(
  deps: DeliveryDeps,
  route: ResolvedRoute,
  labels: DeliveryLabels,
  records: readonly PendingRecord[],
  failure: Failure,
): Promise<void> {
  const { logger, metrics } = deps;
  logger.warn(
    {
      ...labels,
      records: records.map((p) => p.record.id),
      reason: failure.reason,
      attempts: failure.attempts,
      code: failure.error === undefined ? undefined : errorCodeOf(failure.error),
    },
    "dead-lettering records",
  );
  let written = 0;
  for (const p of records) {
    const entry = toDeadLetterEntry(p.record, { ...failure, ...labels, now: deps.clock.now() });
    if (!(await writeUntilStored(deps, route, entry))) break;
    p.deliveryDone("dead-lettered");
    written += 1;
  }
  if (written > 0) metrics.deadLettered({ ...labels, reason: failure.reason }, written);
}

async function writeUntilStored(
  deps: DeliveryDeps,
  route: ResolvedRoute,
  entry: Parameters<DeadLetterSink["write"]>[0],
): Promise<boolean> {
  for (let failures = 1; !deps.signal.aborted; failures += 1) {
    try {
      await (route.deadLetter ?? deps.deadLetter).write(entry);
      return true;
    } catch (error) {
      deps.metrics.deadLetterWriteFailed({ route: route.name });
      const delayMs = Math.max(
        MIN_DEAD_LETTER_RETRY_MS,
        retryDelayMs(failures, route.delivery, deps.random),
      );
      deps.logger.error(
        {
          route: route.name,
          record: entry.record.id,
          delayMs,
          err: errorCodeOf(error),
          message: String(error),
        },
        "dead-letter write failed; record not acknowledged, retrying",
      );
      if (!(await sleep(deps.clock, delayMs, deps.signal))) return false;
    }
  }
  return false;
}
