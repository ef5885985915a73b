import { DEFAULT_STATUS_LIMIT, MAX_STATUS_LIMIT } from "./constants.js";
import { badRequest } from "./errors.js";

export type AsyncStatus = "WAIT" | "RUNNING" | "SUCCESS" | "FAIL" | "DISCARD";
const STATUSES = new Set<string>(["WAIT", "RUNNING", "SUCCESS", "FAIL", "DISCARD"]);

/** The state of one async invocation (the programmatic view; the wire shape is snake_case). */
export interface AsyncInvocationResult {
  requestId: string;
  /** The canonical URN called. */
  urn: string;
  /** "package:name" of the function. */
  functionId: string;
  status: AsyncStatus;
  errorCode: string;
  errorMessage: string;
  /** ISO times of the first attempt's start and the final outcome ("" until then). */
  startTime: string;
  endTime: string;
  /** Attempts made so far (throttled waits are not attempts). */
  attempts: number;
  /** The last attempt's result, as a sync call would have returned it. */
  result?: string;
  /** The event as received. */
  payload: unknown;
}

/** `{"error_code","error_message",...}` of the status API. */
export interface AsyncInvocationWire {
  request_id: string;
  status: AsyncStatus;
  error_code: string;
  error_message: string;
  start_time: string;
  end_time: string;
}

/** Every async invocation's state, most recent `max` kept, queried like the real API. */
export class AsyncStatusStore {
  private readonly byId = new Map<string, AsyncInvocationResult>();
  constructor(private readonly max: number) {}

  add(record: AsyncInvocationResult): void {
    this.byId.set(record.requestId, record);
    if (this.byId.size > this.max) {
      const oldest = this.byId.keys().next().value;
      if (oldest !== undefined) this.byId.delete(oldest);
    }
  }

  get(requestId: string): AsyncInvocationResult | undefined {
    return this.byId.get(requestId);
  }

  /** Oldest first. */
  all(): AsyncInvocationResult[] {
    return [...this.byId.values()];
  }

  /**
   * The `GET .../async-invocations` answer for one function: newest first; `marker` is the
   * offset to continue from and `next_marker` is 0 when there is nothing more.
   */
  query(
    functionId: string,
    params: URLSearchParams,
  ): {
    invocations: AsyncInvocationWire[];
    count: number;
    next_marker: number;
  } {
    const requestId = params.get("request_id") || undefined;
    const status = params.get("status") || undefined;
    if (status !== undefined && !STATUSES.has(status)) {
      throw badRequest(`status must be one of ${[...STATUSES].join(", ")}`);
    }
    const limit = parseNonNegative(params.get("limit"), DEFAULT_STATUS_LIMIT, "limit");
    if (limit < 1 || limit > MAX_STATUS_LIMIT) {
      throw badRequest(`limit must be from 1 to ${MAX_STATUS_LIMIT}`);
    }
    const marker = parseNonNegative(params.get("marker"), 0, "marker");

    const matching = this.all()
      .filter(
        (r) =>
          r.functionId === functionId &&
          (requestId === undefined || r.requestId === requestId) &&
          (status === undefined || r.status === status),
      )
      .reverse();
    const page = matching.slice(marker, marker + limit);
    const next = marker + page.length;
    return {
      invocations: page.map(toWire),
      count: matching.length,
      next_marker: next < matching.length ? next : 0,
    };
  }
}

function parseNonNegative(value: string | null, fallback: number, name: string): number {
  if (value === null || value === "") return fallback;
  if (!/^\d+$/.test(value)) throw badRequest(`${name} must be a non-negative integer`);
  return Number(value);
}

export function toWire(r: AsyncInvocationResult): AsyncInvocationWire {
  return {
    request_id: r.requestId,
    status: r.status,
    error_code: r.errorCode,
    error_message: r.errorMessage,
    start_time: r.startTime,
    end_time: r.endTime,
  };
}
