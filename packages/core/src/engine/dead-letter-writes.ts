/**
 * Dead-lettering a delivery's records: each entry written to the route's sink (or the engine's),
 * retried until it is stored, since a record is acknowledged only once it is.
 */

import type { SourceRecord } from "../connector.js";
import type { DeadLetterEntry, DeadLetterSink } from "../dead-letters.js";
import { type Clock, sleep } from "./clock.js";
import { toDeadLetterEntry } from "./dead-letter.js";
import type { Logger } from "./logger.js";
import type { DeadLetterReason, DeliveryLabels, EngineMetrics } from "./metrics.js";
import type { PendingRecord } from "./pending.js";
import { errorCodeOf, retryDelayMs } from "./retry.js";
import type { ResolvedRoute } from "./router.js";
import { type BatchTrace, batchEvent, noteDeadLettered } from "./tracing.js";

/** Floor of the wait between dead-letter write attempts, so a broken disk is not hammered. */
const MIN_DEAD_LETTER_RETRY_MS = 100;

/** What writing dead letters needs of the engine. */
export interface DeadLetterDeps {
  deadLetter: DeadLetterSink;
  clock: Clock;
  random: () => number;
  metrics: EngineMetrics;
  logger: Logger;
  /** Aborts at a hard stop: give up at once, leave records unsettled. */
  signal: AbortSignal;
  /** Whether the last dead-letter write failed, and why (for health). */
  deadLetterHealth: { ok: boolean; reason?: string };
}

/** Why records are dead-lettered, and what their attempts added up to. */
export interface Failure {
  reason: DeadLetterReason;
  error: unknown;
  attempts: number;
  firstAttemptAt: number | undefined;
}

/** Writes each record's entry, retrying the sink until it succeeds (or a hard stop). */
export async function deadLetterRecords(
  deps: DeadLetterDeps,
  route: ResolvedRoute,
  labels: DeliveryLabels,
  traced: BatchTrace,
  records: readonly PendingRecord[],
  failure: Failure,
): Promise<void> {
  const { logger, metrics } = deps;
  batchEvent(traced, "dead-letter", {
    "fgconnect.reason": failure.reason,
    "fgconnect.records": records.length,
  });
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
    if (!(await writeUntilStored(deps, route, entry, p.record))) break;
    p.deliveryDone("dead-lettered");
    written += 1;
  }
  noteDeadLettered(traced, written);
  if (written > 0) metrics.deadLettered({ ...labels, reason: failure.reason }, written);
}

async function writeUntilStored(
  deps: DeadLetterDeps,
  route: ResolvedRoute,
  entry: DeadLetterEntry,
  record: SourceRecord,
): Promise<boolean> {
  for (let failures = 1; !deps.signal.aborted; failures += 1) {
    try {
      await (route.deadLetter ?? deps.deadLetter).write(entry, record);
      if (!deps.deadLetterHealth.ok) deps.deadLetterHealth = { ok: true };
      return true;
    } catch (error) {
      deps.deadLetterHealth = { ok: false, reason: messageOf(error) };
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
