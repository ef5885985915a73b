/** The query of `listAsyncInvocations`, checked and turned into URL parameters. */
import { InvalidArgumentError } from "./errors.js";
import type { AsyncInvocationQuery } from "./types.js";

const ASYNC_STATUSES = new Set(["WAIT", "RUNNING", "SUCCESS", "FAIL", "DISCARD"]);

export function asyncQuery(query: AsyncInvocationQuery): Record<string, string> | undefined {
  if (query === null || typeof query !== "object") {
    throw new InvalidArgumentError("query", "must be an object");
  }
  const q: Record<string, string> = {};
  if (query.requestId !== undefined) {
    if (typeof query.requestId !== "string" || query.requestId === "") {
      throw new InvalidArgumentError("query.requestId", "must be a non-empty string");
    }
    q.request_id = query.requestId;
  }
  if (query.status !== undefined) {
    if (!ASYNC_STATUSES.has(query.status)) {
      throw new InvalidArgumentError(
        "query.status",
        `must be one of ${[...ASYNC_STATUSES].join(", ")}`,
      );
    }
    q.status = query.status;
  }
  if (query.limit !== undefined) {
    if (!Number.isInteger(query.limit) || query.limit < 1) {
      throw new InvalidArgumentError("query.limit", "must be a positive integer");
    }
    q.limit = String(query.limit);
  }
  if (query.marker !== undefined) {
    if (typeof query.marker !== "string") {
      throw new InvalidArgumentError("query.marker", "must be a string");
    }
    q.marker = query.marker;
  }
  return Object.keys(q).length === 0 ? undefined : q;
}
