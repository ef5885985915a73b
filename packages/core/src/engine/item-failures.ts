/**
 * Partial batch results: a sync function may answer `{"batchItemFailures": [{"itemIdentifier":
 * "<id>"}]}` to say which records of its batch failed; only those are retried. The identifier
 * of a record is what its payload format's `itemId` gives (default: the record's id).
 */
import { FgconnectError } from "../client/errors.js";
import type { InvokeResult } from "../client/types.js";
import type { PayloadFormat } from "../connector.js";
import type { PendingRecord } from "./pending.js";

/** The function named this record in its `batchItemFailures` answer. */
export class BatchItemFailedError extends FgconnectError {
  readonly code = "BATCH_ITEM_FAILED";
  readonly retryable = true;
  constructor(readonly requestId: string) {
    super(
      `the function reported the record as failed in its batchItemFailures answer (request ${requestId})`,
      "Look at the function's log for this request id; fix the function or the record.",
    );
  }
}

/** A `batchItemFailures` answer that cannot be trusted: the whole batch counts as failed. */
export class InvalidBatchItemFailuresError extends FgconnectError {
  readonly code = "INVALID_BATCH_ITEM_FAILURES";
  readonly retryable = true;
  constructor(
    readonly reason: string,
    readonly requestId: string,
  ) {
    super(
      `the function's batchItemFailures answer ${reason} (request ${requestId}); the whole batch counts as failed`,
      'Answer {"batchItemFailures": [{"itemIdentifier": …}]} with the identifier of each failed record as its event carries it (see the format\'s item identifiers in @fgconnect/core\'s README).',
    );
  }
}

/**
 * The records the function reported as failed: undefined when it reported none (or answered
 * without the list: today's success); an InvalidBatchItemFailuresError when the list is
 * malformed or names a record that is not in the batch.
 */
export function reportedFailures(
  result: InvokeResult,
  records: readonly PendingRecord[],
  format: PayloadFormat,
): PendingRecord[] | InvalidBatchItemFailuresError | undefined {
  // Most answers never mention it: the result is then not parsed at all.
  if (!result.raw.includes("batchItemFailures")) return undefined;
  const json = result.json;
  if (typeof json !== "object" || json === null || !("batchItemFailures" in json)) return undefined;
  const list = (json as { batchItemFailures: unknown }).batchItemFailures;
  if (list === null || (Array.isArray(list) && list.length === 0)) return undefined;
  if (!Array.isArray(list))
    return new InvalidBatchItemFailuresError("is not a list", result.requestId);
  const byId = new Map<string, PendingRecord>();
  for (const p of records) byId.set(format.itemId ? format.itemId(p.record) : p.record.id, p);
  const failed = new Set<PendingRecord>();
  for (const item of list) {
    const id = (item as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const p = typeof id === "string" ? byId.get(id) : undefined;
    if (!p) {
      const what = typeof id === "string" ? JSON.stringify(id) : "an entry without itemIdentifier";
      return new InvalidBatchItemFailuresError(
        `names ${what}, which is no record of the batch`,
        result.requestId,
      );
    }
    failed.add(p);
  }
  // In batch order, so that retries keep the order of the records.
  return records.filter((p) => failed.has(p));
}

/** The function itself said the records failed: its policy is onFunctionError's. */
export function isFunctionReported(error: unknown): boolean {
  return error instanceof BatchItemFailedError || error instanceof InvalidBatchItemFailuresError;
}
