/**
 * Delivers one batch of one route to one function: attempts, retries with backoff, maximum
 * event age, and dead-lettering. Every record leaves with `deliveryDone(...)` called once —
 * unless the engine hard-stops first (its signal aborts), in which case the engine abandons it.
 */
import { FunctionError } from "../client/errors.js";
import type { InvokeOptions, Invoker } from "../client/types.js";
import type { SourceRecord } from "../connector.js";
import { sleep } from "./clock.js";
import { type DeadLetterDeps, deadLetterRecords } from "./dead-letter-writes.js";
import {
  BatchItemFailedError,
  InvalidBatchItemFailuresError,
  isFunctionReported,
  reportedFailures,
} from "./item-failures.js";
import type { DeliveryLabels } from "./metrics.js";
import type { PendingRecord } from "./pending.js";
import { decideOnFailure, errorCodeOf, retryAfterOf, retryDelayMs } from "./retry.js";
import type { ResolvedRoute } from "./router.js";
import type { Semaphore } from "./semaphore.js";
import {
  type AttemptOutcome,
  type BatchTrace,
  batchEvent,
  endAttempt,
  endBatch,
  noteDelivered,
  startAttempt,
  startBatch,
  type TracedTarget,
  tracedTarget,
  withTraceHeaders,
} from "./tracing.js";

export interface DeliveryDeps extends DeadLetterDeps {
  invoker: Invoker;
  slots: Semaphore;
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
  /** What spans name the delivery by; undefined: untraced (no SDK when the engine started). */
  traced: TracedTarget | undefined;
}

export function deliveryTarget(
  route: ResolvedRoute,
  urn: string,
  signal: AbortSignal,
): DeliveryTarget {
  const labels: DeliveryLabels = { route: route.name, target: urn, mode: route.mode };
  const invokeOptions: InvokeOptions = { signal };
  if (route.delivery.timeoutMs !== undefined) invokeOptions.timeoutMs = route.delivery.timeoutMs;
  if (route.delivery.logTail !== undefined) invokeOptions.logTail = route.delivery.logTail;
  if (route.delivery.instanceMemoryMb !== undefined)
    invokeOptions.instanceMemoryMb = route.delivery.instanceMemoryMb;
  return {
    route,
    urn,
    labels,
    successLabels: { ...labels, outcome: "success" },
    invokeOptions,
    context: { route: route.name, mode: route.mode },
    traced: tracedTarget(route.name, urn, route.mode),
  };
}

/** What a record's attempts add up to, across the halves it went through, for its dead letter. */
interface History {
  attempts: number;
  firstAttemptAt: number | undefined;
}

export function deliverBatch(
  deps: DeliveryDeps,
  target: DeliveryTarget,
  batch: readonly PendingRecord[],
): Promise<void> {
  const live = batch.some(isSettled) ? batch.filter(isUnsettled) : batch;
  const traced = startBatch(target.traced, live);
  const delivered = deliverRecords(deps, target, traced, live, target.route.delivery.maxAttempts, {
    attempts: 0,
    firstAttemptAt: undefined,
  });
  return traced.span ? delivered.finally(() => endBatch(traced)) : delivered;
}

/**
 * Invokes `records` as one event, retrying up to `budget` attempts. When it fails for good and
 * the route bisects, a batch of several is split in two instead of dead-lettered (see `split`).
 */
async function deliverRecords(
  deps: DeliveryDeps,
  target: DeliveryTarget,
  traced: BatchTrace,
  records: readonly PendingRecord[],
  budget: number,
  history: History,
): Promise<void> {
  const { clock, metrics, logger, signal } = deps;
  const { route, labels } = target;
  const policy =
    budget === route.delivery.maxAttempts
      ? route.delivery
      : { ...route.delivery, maxAttempts: budget };
  const bisect = route.batch.bisectOnError;
  const itemFailures = route.mode === "sync" && route.batch.reportBatchItemFailures;

  let live = records;
  let tries = 0;
  let payload: unknown;
  let payloadFor: readonly PendingRecord[] | undefined;

  while (live.length > 0 && !signal.aborted) {
    if (policy.maxEventAgeMs !== undefined) {
      const oldest = clock.now() - policy.maxEventAgeMs;
      const expired = live.filter((p) => p.record.timestamp < oldest);
      if (expired.length > 0) {
        await deadLetterRecords(deps, route, labels, traced, expired, {
          reason: "max age exceeded",
          error: undefined,
          ...history,
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
        if (bisect && live.length > 1)
          return split(deps, target, traced, live, budget, history, error);
        await deadLetterRecords(deps, route, labels, traced, live, {
          reason: "format failed",
          error,
          ...history,
        });
        return;
      }
    }

    // A free slot is taken without waiting a promise turn.
    if (
      !deps.slots.tryAcquire() &&
      !(await deps.slots.acquire(signal, live[0]!.record.orderingKey))
    )
      return;
    tries += 1;
    history.attempts += 1;
    const started = clock.now();
    history.firstAttemptAt ??= started;
    metrics.invoking(labels);
    let error: unknown;
    // The records the function named as failed, and the others.
    let failed: PendingRecord[] | undefined;
    let done = live;
    let requestId: string | undefined;
    const attempt = startAttempt(traced, target.traced, history.attempts, live.length);
    const options = withTraceHeaders(attempt, target.invokeOptions);
    try {
      if (route.mode === "sync") {
        const result = await deps.invoker.invoke(target.urn, payload, options);
        requestId = result.requestId;
        const reported = itemFailures ? reportedFailures(result, live, route.format) : undefined;
        if (reported instanceof InvalidBatchItemFailuresError) error = reported;
        else {
          failed = reported;
          if (failed) done = without(live, failed);
          if (route.onResult && done.length > 0)
            await route.onResult(done.map(recordOf), result, target.context);
          if (failed) error = new BatchItemFailedError(result.requestId);
        }
      } else {
        const accepted = await deps.invoker.invokeAsync(target.urn, payload, options);
        requestId = accepted.requestId;
        if (route.onAccepted) await route.onAccepted(live.map(recordOf), accepted, target.context);
      }
    } catch (thrown) {
      error = thrown ?? new Error("invocation failed without an error");
      failed = undefined;
    } finally {
      deps.slots.release();
    }
    const latencyMs = clock.now() - started;
    endAttempt(
      attempt,
      attemptOutcome(error, failed, signal),
      requestId,
      error,
      error === undefined ? undefined : errorCodeOf(error),
    );

    if (error === undefined) {
      noteDelivered(traced, live.length);
      metrics.invocation(target.successLabels, latencyMs);
      metrics.delivered(labels, live.length);
      for (const p of live) p.deliveryDone("delivered");
      return;
    }
    // Aborted by a hard stop: whether it arrived is unknown, so the engine abandons the records.
    if (signal.aborted) return;

    if (failed) {
      // The function answered, naming the records that failed: the others are delivered.
      metrics.invocation(target.successLabels, latencyMs);
      if (done.length > 0) metrics.delivered(labels, done.length);
      noteDelivered(traced, done.length);
      for (const p of done) p.deliveryDone("delivered");
      live = failed;
    } else {
      const outcome = outcomeOfFunction(error) ? "function-error" : "error";
      metrics.invocation({ ...labels, outcome }, latencyMs);
      if (error instanceof InvalidBatchItemFailuresError)
        logger.warn(
          { ...labels, records: live.length, err: error.message },
          "invalid batch answer",
        );
    }
    metrics.attemptFailed({ ...labels, code: errorCodeOf(error) });
    const decision = decideOnFailure(error, tries, policy);
    // Records the function named failed one by one: splitting them cannot isolate anything.
    if (bisect && !failed && live.length > 1) {
      // Used up its attempts: each half gets half as many, so a deep split stays short.
      if (decision.action === "dead-letter" && decision.reason === "retries exhausted")
        return split(
          deps,
          target,
          traced,
          live,
          Math.max(1, Math.ceil(budget / 2)),
          history,
          error,
        );
      // A function error, a non-retryable error: the records are the likely cause, split now.
      if (decision.action === "dead-letter" || outcomeOfFunction(error))
        return split(deps, target, traced, live, budget, history, error);
    }
    if (decision.action === "dead-letter") {
      await deadLetterRecords(deps, route, labels, traced, live, {
        reason: decision.reason,
        error,
        ...history,
      });
      return;
    }
    const delayMs = retryDelayMs(tries, policy, deps.random, retryAfterOf(error));
    metrics.retried(labels, delayMs);
    batchEvent(traced, "retry", {
      "fgconnect.delay_ms": delayMs,
      "fgconnect.records": live.length,
    });
    logger.warn(
      {
        ...labels,
        records: live.map((p) => p.record.id),
        attempts: history.attempts,
        delayMs,
        code: errorCodeOf(error),
      },
      "invocation failed; retrying",
    );
    if (!(await sleep(clock, delayMs, signal))) return;
  }
}

function attemptOutcome(
  error: unknown,
  failed: readonly PendingRecord[] | undefined,
  signal: AbortSignal,
): AttemptOutcome {
  if (error === undefined) return "success";
  if (failed) return "partial";
  if (signal.aborted) return "aborted";
  return outcomeOfFunction(error) ? "function-error" : "error";
}

/** The function ran and failed (threw, or answered about its batch wrongly). */
function outcomeOfFunction(error: unknown): boolean {
  return error instanceof FunctionError || isFunctionReported(error);
}

/**
 * Bisect on error: delivers each half of a batch that failed for good on its own, in order (the
 * second once the first is delivered or dead-lettered), recursively down to single records.
 * Only what fails alone is dead-lettered; a good record never goes down with a bad neighbour.
 */
async function split(
  deps: DeliveryDeps,
  target: DeliveryTarget,
  traced: BatchTrace,
  records: readonly PendingRecord[],
  budget: number,
  history: History,
  error: unknown,
): Promise<void> {
  const half = Math.ceil(records.length / 2);
  batchEvent(traced, "split", { "fgconnect.records": records.length });
  deps.logger.info(
    { ...target.labels, records: records.length, code: errorCodeOf(error), attempts: budget },
    "batch failed; delivering each half on its own to isolate the failing records",
  );
  for (const part of [records.slice(0, half), records.slice(half)]) {
    if (deps.signal.aborted) return;
    await deliverRecords(deps, target, traced, part, budget, { ...history });
  }
}

function without(
  records: readonly PendingRecord[],
  removed: readonly PendingRecord[],
): PendingRecord[] {
  const set = new Set(removed);
  return records.filter((p) => !set.has(p));
}
